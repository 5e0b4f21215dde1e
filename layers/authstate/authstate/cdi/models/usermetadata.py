"""The shapes of the user-metadata recipe's routes (``cdi.routes.usermetadata``)."""

from __future__ import annotations

from authstate.cdi.models.common import CdiRequest, Ok, UserId
from authstate.edge.models import Document


class MetadataUpdateRequest(CdiRequest):
    userId: UserId
    metadataUpdate: Document


class MetadataRemoveRequest(CdiRequest):
    userId: UserId


class Metadata(Ok):
    metadata: Document
