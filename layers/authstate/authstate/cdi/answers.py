"""Every error, answered as the CDI answers it: one table from authstate's error codes to the core's
answers, used by every route (and by admission, before routing).

- A refusal the SDK acts on is HTTP 200 with a ``status``: ``UNAUTHORISED`` (the SDK ends the session),
  ``TRY_REFRESH_TOKEN`` (it refreshes), ``TOKEN_THEFT_DETECTED`` (it revokes the session). A route answers
  only the statuses of its answer model (``models``): where it cannot say ``TRY_REFRESH_TOKEN`` (the core's
  regenerate and refresh), the same refusal is ``UNAUTHORISED``.
- Anything else is plain text with its HTTP status (bad input: 400, with the core's words where it has
  them, naming the fields the caller sent), the SDK raising it as an exception. Errors that say "retry"
  are 429, which the SDKs retry; an unknown route is a JSON 404 naming what is supported.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, RootModel

from authstate.cdi.models.common import (
    NoSuchRoute,
    TheftSession,
    TokenTheftDetected,
    TryRefreshToken,
    Unauthorised,
)
from authstate.cdi.protocol import CDI_VERSIONS, SUPPORTED_RECIPES
from authstate.edge.app import logger, respond
from authstate.errors import AuthstateError
from authstate.errors import ErrorCode as E

TEXT: Final = "text/plain; charset=utf-8"


class Refusal(StrEnum):
    """The statuses of the 200 refusals the SDKs act on (status strings, not secrets)."""

    UNAUTHORISED = "UNAUTHORISED"
    TRY_REFRESH_TOKEN = "TRY_REFRESH_TOKEN"  # noqa: S105
    TOKEN_THEFT_DETECTED = "TOKEN_THEFT_DETECTED"  # noqa: S105


@dataclass(frozen=True)
class Status:
    """HTTP 200 with this ``status``; ``message``: the core's words (``None``: the error's own)."""

    refusal: Refusal
    message: str | None = None


@dataclass(frozen=True)
class Text:
    """Plain text with this HTTP status; ``message``: the core's words (``None``: the error's own)."""

    status: int
    message: str | None = None


@dataclass(frozen=True)
class NotFound:
    """The JSON 404 naming the supported recipes."""


type CdiAnswer = Status | Text | NotFound

_TRY_REFRESH: Final = Status(Refusal.TRY_REFRESH_TOKEN)
_BAD_INPUT: Final = Text(400)
_INVALID_KEY: Final = Text(401, "Invalid API key")  # the core's words for a missing key too
_RETRY: Final = Text(429)  # the SDKs' queriers retry a 429 (five times), and only a 429

#: The table. The core's words are from its ``webserver/api/session/*API.java`` and ``session/Session.java``.
ANSWERS: Final[Mapping[E, CdiAnswer]] = {
    E.INVALID_JSON: Text(400, "Invalid Json Input"),
    E.INVALID_UTF8: _BAD_INPUT,
    E.INVALID_NUMBER: _BAD_INPUT,
    E.DUPLICATE_KEY: _BAD_INPUT,
    E.NESTING_TOO_DEEP: _BAD_INPUT,
    E.VALIDATION_ERROR: _BAD_INPUT,
    E.INVALID_KEY: _BAD_INPUT,
    E.TOO_MANY_KEYS: _BAD_INPUT,
    E.INVALID_USER_ID: _BAD_INPUT,
    E.INVALID_SESSION_HANDLE: _BAD_INPUT,
    E.INVALID_TENANT_ID: _BAD_INPUT,
    E.UNKNOWN_QUERY_PARAMETER: _BAD_INPUT,  # never: the CDI ignores them, as the core does
    E.PROTECTED_CLAIM: Text(400, "The user payload contains protected field"),
    E.MISSING_API_KEY: _INVALID_KEY,
    E.INVALID_API_KEY: _INVALID_KEY,
    E.TOKEN_MALFORMED: _TRY_REFRESH,
    E.TOKEN_ALGORITHM_NOT_ALLOWED: _TRY_REFRESH,
    E.TOKEN_KEY_UNKNOWN: _TRY_REFRESH,
    E.TOKEN_SIGNATURE_INVALID: _TRY_REFRESH,
    E.TOKEN_CLAIMS_INVALID: _TRY_REFRESH,
    E.TOKEN_EXPIRED: _TRY_REFRESH,
    E.TOKEN_NOT_YET_VALID: _TRY_REFRESH,
    E.ANTI_CSRF_FAILED: Status(Refusal.TRY_REFRESH_TOKEN, "anti-csrf check failed"),
    E.SESSION_REVOKED: Status(Refusal.UNAUTHORISED, "Either the session has ended or has been blacklisted"),
    E.SESSION_EXPIRED: Status(Refusal.UNAUTHORISED, "Session missing in db or has expired"),
    E.REFRESH_TOKEN_INVALID: Status(Refusal.UNAUTHORISED),
    E.TOKEN_THEFT_DETECTED: Status(Refusal.TOKEN_THEFT_DETECTED),
    E.SESSION_NOT_FOUND: Status(Refusal.UNAUTHORISED, "Session does not exist."),
    E.ROUTE_NOT_FOUND: NotFound(),
    E.METHOD_NOT_ALLOWED: Text(405, "Method not supported"),
    E.CONFLICT: _RETRY,
    E.BODY_TOO_LARGE: Text(413),
    E.ACCESS_TOKEN_PAYLOAD_TOO_LARGE: Text(413),
    E.SESSION_DATA_TOO_LARGE: Text(413),
    E.ITEM_TOO_LARGE: Text(413),
    E.UNSUPPORTED_MEDIA_TYPE: Text(415),  # never: the CDI reads every body as JSON, as the core does
    E.STORAGE_ERROR: Text(500),
    E.INTERNAL_ERROR: Text(500),
    E.CONFIGURATION_INVALID: Text(500),
    E.THROTTLED: _RETRY,
    E.STORAGE_UNAVAILABLE: Text(503),
    E.CUTOVER_IN_PROGRESS: Text(
        503
    ),  # a core token the import has not matched yet: the SDK raises, no sign-out
    E.API_KEYS_UNAVAILABLE: Text(503),
    E.SIGNING_KEY_UNAVAILABLE: Text(503),
}


def text_response(status: int, message: str) -> Response[str]:
    return Response(status_code=status, content_type=TEXT, body=message + "\n")


def answer(error: AuthstateError, statuses: frozenset[str], path: str) -> Response[str]:
    """The answer to ``error`` on a route that answers ``statuses`` (none before routing) at ``path``."""
    kind = ANSWERS[error.code]
    if isinstance(kind, Status) and kind.refusal not in statuses:
        if Refusal.UNAUTHORISED in statuses:
            kind = Status(Refusal.UNAUTHORISED, kind.message)
        else:  # a route that cannot refuse: a bug, answered with the error's own status
            kind = Text(error.status, kind.message)
    if isinstance(kind, NotFound):
        return respond(not_found(path), status=404)
    message = kind.message or error.message
    if isinstance(kind, Status):
        logger.debug("CDI refusal", extra={"code": str(error.code), "status": str(kind.refusal)})
        if kind.refusal is Refusal.TOKEN_THEFT_DETECTED:
            handle, user = error.details["sessionHandle"], error.details["userId"]
            return respond(
                TokenTheftDetected(session=TheftSession(handle=handle, userId=user, recipeUserId=user))
            )
        if kind.refusal is Refusal.TRY_REFRESH_TOKEN:
            return respond(TryRefreshToken(message=message))
        return respond(Unauthorised(message=message))
    if kind.status >= 500:
        logger.error("CDI request failed", extra={"code": str(error.code)}, exc_info=error)
    else:
        logger.debug("CDI request refused", extra={"code": str(error.code), "status": kind.status})
    return text_response(kind.status, message)


def not_found(path: str) -> NoSuchRoute:
    return NoSuchRoute(
        message=f"authstate's Core Driver Interface has no route {path}",
        cdiVersions=CDI_VERSIONS,
        supportedRecipes=SUPPORTED_RECIPES,
    )


def invalid_input(error: RequestValidationError) -> str:
    """A request that does not fit its route's models, in the core's words, naming the field sent."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    where, name = location[0], location[1] if len(location) > 1 else None
    cause = first.get("ctx", {}).get("error")
    if first.get("type") == "value_error" and cause is not None:
        return str(cause)  # our own validators and the core's rules speak for themselves
    if name is None:
        return "Invalid Json Input"
    if where == "query":
        return f"Field name '{name}' is missing in GET request"
    return f"Field name '{name}' is invalid in JSON input"


def statuses(model: type[BaseModel] | None) -> list[str]:
    """The ``status`` strings an answer model (or a union of them, as a RootModel) can carry."""
    if model is None:
        return []
    if issubclass(model, RootModel):
        root = model.model_fields["root"].annotation
        members = typing.get_args(root) or (root,)
        return [status for member in members for status in statuses(member)]
    field = model.model_fields.get("status")
    return list(typing.get_args(field.annotation)) if field is not None else []


def documented(
    model: type[BaseModel] | None, *, public: bool, body: bool, storage: bool, tenant: bool
) -> dict[int, Any]:
    """Powertools ``responses=`` for a route: its 200 answer, then the plain-text errors it can answer."""
    ok: dict[str, Any] = {"description": "The answer (a 200 refusal is told by its status)"}
    if model is None:
        ok["content"] = {TEXT: {"schema": {"type": "string", "const": "Hello\n"}}}
    else:
        ok["content"] = {content_types.APPLICATION_JSON: {"model": model}}
    texts: dict[int, str] = {
        400: "Bad input: a body or parameter that does not fit, or a cdi-version other than 5.4",
        500: "authstate failed (a bug or its configuration)",
        503: "DynamoDB or the API keys unavailable; retry later",
    }
    if not public:
        texts[401] = "Invalid API key"
    if body:
        texts[413] = "A body, payload, session data or metadata over its limit"
    if storage:
        texts[429] = "DynamoDB throttled, or a write kept losing a race: the SDKs retry"
    responses: dict[int, Any] = {200: ok}
    for status, description in texts.items():
        responses[status] = {"description": description, "content": {TEXT: {"schema": {"type": "string"}}}}
    if tenant:  # a tenant segment the router cannot match (an empty one)
        json = {content_types.APPLICATION_JSON: {"model": NoSuchRoute}}
        responses[404] = {"description": "No such route", "content": json}
    return dict(sorted(responses.items()))
