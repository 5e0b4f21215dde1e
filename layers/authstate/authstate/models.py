"""Request bodies, validated at the edge with pydantic v2 (strict: no type coercion), and the
response bodies the handlers produce (for the OpenAPI contract only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from authstate.limits import MAX_USER_ID_BYTES

type Document = dict[str, JsonValue]


def _user_id(value: str) -> str:
    if not value.strip() or len(value.encode("utf-8", "surrogatepass")) > MAX_USER_ID_BYTES:
        raise ValueError(f"must be 1 to {MAX_USER_ID_BYTES} bytes and not blank")
    return value


UserId = Annotated[str, AfterValidator(_user_id)]
TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
#: Opaque token strings: bounded so that a huge header cannot cost us parsing time.
Token = Annotated[str, Field(min_length=1, max_length=16384)]


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
    accessToken: Token
    checkDatabase: bool = False
    #: Also return the session data (online read); implies ``checkDatabase``.
    includeSessionData: bool = False
    antiCsrfToken: Token | None = None


class MergePayloadOnlineRequest(RequestModel):
    accessToken: Token
    update: Document
    antiCsrfToken: Token | None = None


class DocumentUpdateRequest(RequestModel):
    """Offline root-level merge (payload or session data) by session handle."""

    update: Document


class SessionDataRequest(RequestModel):
    """Offline overwrite of the whole session data."""

    sessionData: Document


class OnlineSessionDataRequest(RequestModel):
    accessToken: Token
    sessionData: Document
    antiCsrfToken: Token | None = None


class OnlineSessionDataUpdateRequest(RequestModel):
    accessToken: Token
    update: Document
    antiCsrfToken: Token | None = None


class RefreshSessionRequest(RequestModel):
    refreshToken: Token


# -- Responses -------------------------------------------------------------------------------------
# What each handler returns today, for the OpenAPI contract (authstate.openapi) and its fuzz tests.
# They are not used by the handlers (which build plain dicts), so they cost nothing at cold start
# beyond their definition. Optional keys that are absent rather than null use ``_absent_when_unset``.

#: A session handle: a lower-case UUID4, as ``sessions.create`` makes and the path parameter requires.
SessionHandle = Annotated[
    str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
#: Milliseconds since the Unix epoch.
EpochMillis = Annotated[int, Field(ge=0)]


def _absent_when_unset(schema: dict[str, Any]) -> None:
    """A key that is left out (not sent as ``null``) when it has no value: no ``default`` in the schema."""
    schema.pop("default", None)


class ResponseModel(BaseModel):
    # defer_build: handlers import this module, and only the OpenAPI generator needs these schemas.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MetadataResponse(ResponseModel):
    """A user's metadata (``{}`` for an unknown user, and after ``DELETE``); keys sorted."""

    metadata: Document


class SessionSummary(ResponseModel):
    handle: SessionHandle
    userId: str
    tenantId: str


class AccessTokenInfo(ResponseModel):
    """A freshly minted RS256 access token."""

    token: str = Field(description="The JWT (header kid; custom claims plus the protected ones)")
    expiry: EpochMillis = Field(description="The token's exp, in milliseconds")
    createdTime: EpochMillis = Field(description="The token's iat, in milliseconds")


class RefreshTokenInfo(ResponseModel):
    token: str = Field(description="Opaque refresh token (rt1.<handle>.<parent>.<nonce>.<mac>)")
    expiry: EpochMillis = Field(description="The session's expiry, in milliseconds")


class SessionTokensResponse(ResponseModel):
    """A session and a fresh token pair: what creation (201) and refresh (200) return."""

    session: SessionSummary
    accessTokenPayload: Document = Field(description="The custom claims (nulls dropped), keys sorted")
    accessToken: AccessTokenInfo
    refreshToken: RefreshTokenInfo
    antiCsrfToken: str | None = Field(description="Only for sessions created with enableAntiCsrf; else null")


class VerifySessionResponse(ResponseModel):
    session: SessionSummary
    accessTokenPayload: Document = Field(description="The token's custom claims")
    expiry: EpochMillis = Field(description="The access token's exp, in milliseconds")
    sessionData: Document | SkipJsonSchema[None] = Field(
        default=None,
        description="Only with includeSessionData: true",
        json_schema_extra=_absent_when_unset,
    )


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
    kid: str
    use: Literal["sig"]
    alg: Literal["RS256"]
    n: str = Field(description="Modulus, base64url without padding")
    e: str = Field(description="Public exponent, base64url without padding")


class JwksResponse(ResponseModel):
    """Every key that may still verify a live access token, newest first."""

    keys: list[Jwk]


class ErrorResponse(BaseModel):
    """Every error of the service. Some add non-secret details (a theft names the revoked session)."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    code: str = Field(description="Stable error code, e.g. VALIDATION_ERROR or SESSION_REVOKED")
    message: str
    sessionHandle: str | SkipJsonSchema[None] = Field(
        default=None, description="TOKEN_THEFT_DETECTED only", json_schema_extra=_absent_when_unset
    )
    userId: str | SkipJsonSchema[None] = Field(
        default=None, description="TOKEN_THEFT_DETECTED only", json_schema_extra=_absent_when_unset
    )
