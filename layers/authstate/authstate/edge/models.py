"""The API's shapes: request bodies and parameters validated at the edge (pydantic v2, strict: no
coercion, no unknown fields) and the response bodies the handlers return. Powertools reads both to
validate requests and to build the OpenAPI document, so each is declared once, here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_serializer,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core.core_schema import SerializerFunctionWrapHandler

from authstate.documents.jsondoc import document_text
from authstate.identifiers import (
    SESSION_HANDLE_EXAMPLE,
    SESSION_HANDLE_PATTERN,
    TENANT_ID_PATTERN,
    TENANT_ID_RULE,
    USER_ID_RULE,
    is_user_id,
)
from authstate.limits import (
    MAX_ACCESS_TOKEN_CHARS,
    MAX_OPAQUE_TOKEN_CHARS,
    MAX_REFRESH_TOKEN_CHARS,
    MAX_USER_ID_BYTES,
)

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
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN, description=TENANT_ID_RULE)]
#: A session handle: a lower-case UUID4, as session creation makes them (or a SuperTokens core's, imported).
SessionHandle = Annotated[str, Field(pattern=SESSION_HANDLE_PATTERN, examples=[SESSION_HANDLE_EXAMPLE])]
AccessTokenText = Annotated[str, Field(min_length=1, max_length=MAX_ACCESS_TOKEN_CHARS)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=MAX_OPAQUE_TOKEN_CHARS)]

# -- Parameters -------------------------------------------------------------------------------------

UserIdPath = Annotated[
    str,
    AfterValidator(_user_id),
    Path(description=f"The user's id: 1 to {MAX_USER_ID_BYTES} UTF-8 bytes, percent-encoded in the path"),
]
SessionHandlePath = Annotated[
    str,
    Path(
        pattern=SESSION_HANDLE_PATTERN,
        description="A session handle (a lower-case UUID)",
        examples=[SESSION_HANDLE_EXAMPLE],
    ),
]
TenantIdQuery = Annotated[
    str | None,
    Query(
        pattern=TENANT_ID_PATTERN,
        description=f"Only this tenant's sessions ({TENANT_ID_RULE}); every tenant's without it",
    ),
]


# -- Requests ---------------------------------------------------------------------------------------


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MetadataUpdateRequest(RequestModel):
    metadataUpdate: Document


class CreateSessionRequest(RequestModel):
    userId: UserId
    tenantId: TenantId = "public"
    accessTokenPayload: Document = Field(default_factory=dict)
    sessionData: Document = Field(default_factory=dict)
    enableAntiCsrf: bool = False


class VerifySessionRequest(RequestModel):
    accessToken: AccessTokenText
    checkDatabase: bool = False
    #: Also return the session data (online read); implies ``checkDatabase``.
    includeSessionData: bool = False
    antiCsrfToken: OpaqueToken | None = None


class MergePayloadOnlineRequest(RequestModel):
    accessToken: AccessTokenText
    update: Document
    antiCsrfToken: OpaqueToken | None = None


class DocumentUpdateRequest(RequestModel):
    """Offline root-level merge (payload or session data) by session handle."""

    update: Document


class SessionDataRequest(RequestModel):
    """Offline overwrite of the whole session data."""

    sessionData: Document


class OnlineSessionDataRequest(RequestModel):
    accessToken: AccessTokenText
    sessionData: Document
    antiCsrfToken: OpaqueToken | None = None


class OnlineSessionDataUpdateRequest(RequestModel):
    accessToken: AccessTokenText
    update: Document
    antiCsrfToken: OpaqueToken | None = None


class RefreshSessionRequest(RequestModel):
    #: authstate's own refresh tokens, or a SuperTokens core's for a session imported from it.
    refreshToken: Annotated[str, Field(min_length=1, max_length=MAX_REFRESH_TOKEN_CHARS)]


# -- Responses --------------------------------------------------------------------------------------

#: Milliseconds since the Unix epoch.
EpochMillis = Annotated[int, Field(ge=0)]


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetadataResponse(ResponseModel):
    """A user's metadata (``{}`` for an unknown user, and after ``DELETE``), root keys sorted."""

    metadata: Document


class SessionSummary(ResponseModel):
    handle: SessionHandle
    userId: str
    tenantId: str


class AccessTokenInfo(ResponseModel):
    """A freshly minted RS256 access token."""

    token: str = Field(description="The JWT (header kid, version 5; custom claims and the protected ones)")
    expiry: EpochMillis = Field(description="The token's exp, in milliseconds")
    createdTime: EpochMillis = Field(description="The token's iat, in milliseconds")


class RefreshTokenInfo(ResponseModel):
    token: str = Field(description="Opaque refresh token (rt1.<handle>.<parent>.<nonce>.<mac>)")
    expiry: EpochMillis = Field(description="The session's expiry, in milliseconds")


class SessionTokensResponse(ResponseModel):
    """A session and a fresh token pair: what creation (201) and refresh (200) return."""

    session: SessionSummary
    accessTokenPayload: Document = Field(description="The custom claims (nulls dropped), root keys sorted")
    accessToken: AccessTokenInfo
    refreshToken: RefreshTokenInfo
    antiCsrfToken: str | None = Field(description="Only for sessions created with enableAntiCsrf; else null")


class VerifySessionResponse(ResponseModel):
    # The serializer below only drops an absent sessionData: document the fields, not "any object".
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_mode_override="validation")

    session: SessionSummary
    accessTokenPayload: Document = Field(description="The token's custom claims, root keys sorted")
    expiry: EpochMillis = Field(description="The access token's exp, in milliseconds")
    sessionData: Document | SkipJsonSchema[None] = Field(
        default=None, description="Only with includeSessionData: true (absent otherwise)"
    )

    @model_serializer(mode="wrap")
    def _without_absent_data(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        if body.get("sessionData") is None:
            body.pop("sessionData", None)
        return body


class MergePayloadOnlineResponse(ResponseModel):
    """The merged payload and a new access token (same exp and refresh-token hashes)."""

    session: SessionSummary
    accessTokenPayload: Document
    accessToken: AccessTokenInfo


class AccessTokenPayloadResponse(ResponseModel):
    """The stored access-token payload after an offline merge (tokens show it from the next refresh)."""

    accessTokenPayload: Document


class SessionDataResponse(ResponseModel):
    sessionData: Document


class SessionDetails(SessionSummary):
    accessTokenPayload: Document = Field(description="The stored payload (what the next refresh mints)")
    sessionData: Document
    createdTime: EpochMillis
    expiry: EpochMillis = Field(description="The session's expiry, in milliseconds")


class SessionResponse(ResponseModel):
    session: SessionDetails


class RevokeSessionResponse(ResponseModel):
    revoked: bool = Field(description="Whether there was a session to revoke")


class SessionHandlesResponse(ResponseModel):
    """The handles of the user's live sessions, sorted (from an eventually consistent index)."""

    sessionHandles: list[SessionHandle]


class RevokedSessionHandlesResponse(ResponseModel):
    revokedSessionHandles: list[SessionHandle]


class Jwk(ResponseModel):
    kty: Literal["RSA"]
    kid: str = Field(description="Key id: d-… for keys that rotate")
    use: Literal["sig"]
    alg: Literal["RS256"]
    n: str = Field(description="Modulus, base64url without padding")
    e: str = Field(description="Public exponent, base64url without padding")


class JwksResponse(ResponseModel):
    """Every key that may still verify a live access token, newest first."""

    keys: list[Jwk]


class ErrorResponse(BaseModel):
    """Every error of the service. Some add non-secret details (a theft names the revoked session)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    code: str = Field(description="Stable error code, e.g. VALIDATION_ERROR or SESSION_REVOKED")
    message: str
    sessionHandle: str | SkipJsonSchema[None] = Field(default=None, description="TOKEN_THEFT_DETECTED only")
    userId: str | SkipJsonSchema[None] = Field(default=None, description="TOKEN_THEFT_DETECTED only")
