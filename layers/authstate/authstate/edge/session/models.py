"""The session recipe's API shapes: request bodies and parameters validated at the edge (pydantic v2,
strict) and the response bodies its handlers return (``edge.models``: what every recipe's share)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import ConfigDict, Field, model_serializer
from pydantic.json_schema import SkipJsonSchema
from pydantic_core.core_schema import SerializerFunctionWrapHandler

from authstate.edge.models import Document, EpochMillis, RequestModel, ResponseModel, UserId
from authstate.identifiers import (
    SESSION_HANDLE_EXAMPLE,
    SESSION_HANDLE_PATTERN,
    TENANT_ID_PATTERN,
    TENANT_ID_RULE,
)
from authstate.limits import MAX_ACCESS_TOKEN_CHARS, MAX_OPAQUE_TOKEN_CHARS, MAX_REFRESH_TOKEN_CHARS

TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN, description=TENANT_ID_RULE)]
#: A session handle: a lower-case UUID4, as session creation makes them (or a SuperTokens core's, imported).
SessionHandle = Annotated[str, Field(pattern=SESSION_HANDLE_PATTERN, examples=[SESSION_HANDLE_EXAMPLE])]
AccessTokenText = Annotated[str, Field(min_length=1, max_length=MAX_ACCESS_TOKEN_CHARS)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=MAX_OPAQUE_TOKEN_CHARS)]

# -- Parameters -------------------------------------------------------------------------------------

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
