"""Request bodies, validated at the edge with pydantic v2 (strict: no type coercion)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from authstate.limits import MAX_USER_ID_BYTES

type Document = dict[str, JsonValue]


def _user_id(value: str) -> str:
    if not value.strip() or len(value.encode("utf-8", "surrogatepass")) > MAX_USER_ID_BYTES:
        raise ValueError(f"must be 1 to {MAX_USER_ID_BYTES} bytes and not blank")
    return value


UserId = Annotated[str, AfterValidator(_user_id)]
TenantId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
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
