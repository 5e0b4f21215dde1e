"""The shapes of the core's own routes (``cdi.routes.core``)."""

from __future__ import annotations

from typing import Literal

from authstate.cdi.models.common import Answer


class UnknownUserId(Answer):
    """authstate keeps no users: account linking's lookup finds none, and the SDK uses the id it has."""

    status: Literal["UNKNOWN_USER_ID_ERROR"] = "UNKNOWN_USER_ID_ERROR"


class ApiVersions(Answer):
    versions: list[str]
