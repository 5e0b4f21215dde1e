"""The API's shapes that every recipe's share: a JSON document, a user id, the base request and response
models (pydantic v2, strict: no coercion, no unknown fields) and the error body. Each recipe's own are
``edge.session.models`` and ``edge.usermetadata.models``. Powertools reads them all to validate requests
and to build the OpenAPI document, so each is declared once."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from authstate.documents.jsondoc import document_text
from authstate.identifiers import USER_ID_RULE, is_user_id
from authstate.limits import MAX_USER_ID_BYTES

#: A JSON document (user metadata, custom claims, session data). Its values are checked by
#: ``documents.jsondoc`` (strict JSON, limits), not coerced by pydantic. In a response it is written
#: as one JSON text (stored values copied verbatim) instead of being walked value by value: a
#: response model is dumped for ``jsondoc.dumps`` only (``edge.app.respond``).
Document = Annotated[
    dict[str, Any],
    Field(json_schema_extra={"additionalProperties": True}, description="A JSON object"),
    PlainSerializer(document_text, return_type=Any),
    WithJsonSchema({"type": "object", "additionalProperties": True}, mode="serialization"),
]


def _user_id(value: str) -> str:
    if not is_user_id(value):
        raise ValueError(f"must be {USER_ID_RULE}")
    return value


UserId = Annotated[str, AfterValidator(_user_id)]

# -- Parameters -------------------------------------------------------------------------------------

UserIdPath = Annotated[
    str,
    AfterValidator(_user_id),
    Path(description=f"The user's id: 1 to {MAX_USER_ID_BYTES} UTF-8 bytes, percent-encoded in the path"),
]


# -- Requests and responses -------------------------------------------------------------------------


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


#: Milliseconds since the Unix epoch.
EpochMillis = Annotated[int, Field(ge=0)]


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorResponse(BaseModel):
    """Every error of the service. Some add non-secret details (a theft names the revoked session)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    code: str = Field(description="Stable error code, e.g. VALIDATION_ERROR or SESSION_REVOKED")
    message: str
    sessionHandle: str | SkipJsonSchema[None] = Field(default=None, description="TOKEN_THEFT_DETECTED only")
    userId: str | SkipJsonSchema[None] = Field(default=None, description="TOKEN_THEFT_DETECTED only")
