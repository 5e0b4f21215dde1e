"""Each route's documented responses: its success model and the error codes it can answer, grouped by
what the route does: here the groups every recipe's routes share, in ``edge.session.responses`` and
``edge.usermetadata.responses`` each recipe's own. The OpenAPI document is built from these (and a test
checks that every :class:`ErrorCode` is documented somewhere)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from authstate.edge.models import ErrorResponse
from authstate.errors import ErrorCode as E

type ErrorGroup = tuple[E, ...]

#: Every route that needs the API key (checked before anything else).
API_KEY: ErrorGroup = (E.MISSING_API_KEY, E.INVALID_API_KEY, E.API_KEYS_UNAVAILABLE)
#: Every route: a query parameter it does not take, a bad configuration, a bug.
ALWAYS: ErrorGroup = (E.UNKNOWN_QUERY_PARAMETER, E.CONFIGURATION_INVALID, E.INTERNAL_ERROR)
STORAGE: ErrorGroup = (E.STORAGE_ERROR, E.THROTTLED, E.STORAGE_UNAVAILABLE)
#: Routes with a JSON body.
BODY: ErrorGroup = (
    E.INVALID_JSON,
    E.INVALID_UTF8,
    E.INVALID_NUMBER,
    E.DUPLICATE_KEY,
    E.NESTING_TOO_DEEP,
    E.VALIDATION_ERROR,
    E.BODY_TOO_LARGE,
    E.UNSUPPORTED_MEDIA_TYPE,
)
#: Routes that store a document sent in the body (root keys become DynamoDB map keys).
DOCUMENT_WRITE: ErrorGroup = (E.INVALID_KEY,)
#: Root-level merges (a bounded update; a merge that reads first may lose races, then retries).
MERGE: ErrorGroup = (E.TOO_MANY_KEYS, E.CONFLICT)
USER_ID_PATH: ErrorGroup = (E.INVALID_USER_ID,)
#: The ``$default`` route: a path or method no other route has.
UNROUTED: ErrorGroup = (E.ROUTE_NOT_FOUND, E.METHOD_NOT_ALLOWED)

_STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    500: "Internal error",
    503: "Service unavailable",
}


def documented(
    status: int, model: type[BaseModel] | None, description: str, *groups: ErrorGroup
) -> dict[int, Any]:
    """Powertools ``responses=`` for a route: the success response, then one response per error status
    listing its codes (each code once, in the order first named)."""
    responses: dict[int, Any] = {status: {"description": description}}
    if model is not None:
        responses[status]["content"] = {"application/json": {"model": model}}
    for error_status, codes in sorted(
        _by_status(code for group in (ALWAYS, *groups) for code in group).items()
    ):
        listed = ", ".join(f"`{code}`" for code in codes)
        responses[error_status] = {
            "description": f"{_STATUS_TEXT[error_status]}: {listed}",
            "content": {"application/json": {"model": ErrorResponse}},
        }
    return responses


def _by_status(codes: Iterable[E]) -> dict[int, list[E]]:
    grouped: dict[int, list[E]] = {}
    for code in codes:
        listed = grouped.setdefault(code.status, [])
        if code not in listed:
            listed.append(code)
    return grouped
