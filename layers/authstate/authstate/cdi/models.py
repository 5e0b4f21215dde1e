"""The CDI's shapes, declared once: request bodies and parameters (validated by Powertools before a
route runs, as the core's ``InputParser`` reads them: unknown fields ignored, no coercion) and the
answers (a 200 body is one of its route's answer models, told apart by ``status``). The OpenAPI
document is built from them (``make openapi``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from authstate.cdi import protocol
from authstate.edge.models import Document, Jwk
from authstate.limits import MAX_JWT_VALIDITY_SECONDS, MAX_USER_ID_BYTES

_USER_ID = f'Any string, "" included: at most {MAX_USER_ID_BYTES} UTF-8 bytes, without U+0000'

UserId = Annotated[str, AfterValidator(protocol.user_id), Field(description=_USER_ID)]
UserIdQuery = Annotated[str, AfterValidator(protocol.user_id), Query(description=_USER_ID)]
TenantIdPath = Annotated[
    str,
    AfterValidator(protocol.tenant_id),
    Path(
        description=(
            "The tenant, any case (read lower-cased): letters, digits and hyphens, not recipe, config, "
            "users or hello. Without this segment the tenant is public."
        ),
        json_schema_extra={"pattern": protocol.TENANT_ID_PATTERN},
    ),
]
#: A session handle: any string (one that no session has is answered UNAUTHORISED, as by the core).
HandleQuery = Annotated[str, Query(description="The session's handle")]
QueryFlag = Annotated[
    bool,
    BeforeValidator(protocol.query_flag),
    Query(description="true (any case) or anything else for false; true when absent"),
]
Validity = Annotated[
    int,
    AfterValidator(protocol.jwt_validity),
    Field(description=f"Seconds, 1 to {MAX_JWT_VALIDITY_SECONDS}", json_schema_extra={"minimum": 1}),
]

# -- Requests ---------------------------------------------------------------------------------------


class CdiRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class CreateSessionRequest(CdiRequest):
    userId: UserId
    userDataInJWT: Document
    userDataInDatabase: Document
    enableAntiCsrf: bool
    useDynamicSigningKey: bool = True


class VerifySessionRequest(CdiRequest):
    accessToken: str
    antiCsrfToken: str | None = None
    doAntiCsrfCheck: bool
    enableAntiCsrf: bool
    checkDatabase: bool


class RefreshSessionRequest(CdiRequest):
    refreshToken: str
    antiCsrfToken: str | None = None
    enableAntiCsrf: bool
    useDynamicSigningKey: bool


class RegenerateRequest(CdiRequest):
    accessToken: str
    userDataInJWT: Document | None = Field(
        default=None, description="The whole new payload; absent: the stored one, unchanged"
    )


class SessionDataRequest(CdiRequest):
    sessionHandle: str
    userDataInDatabase: Document


class AccessTokenPayloadRequest(CdiRequest):
    sessionHandle: str
    userDataInJWT: Document


class RemoveSessionsRequest(CdiRequest):
    """One of ``userId`` (a user's sessions) or ``sessionHandles``, as ``SessionRemoveAPI.java`` reads it."""

    userId: UserId | None = None
    sessionHandles: Annotated[list[str], AfterValidator(protocol.session_handles)] | None = None
    revokeAcrossAllTenants: bool | None = Field(
        default=None, description="With userId only; true when absent: every tenant's sessions"
    )
    revokeSessionsForLinkedAccounts: bool | None = Field(
        default=None, description="With userId only (no account linking here: it changes nothing)"
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.userId is None) == (self.sessionHandles is None):
            raise ValueError("Invalid JSON input - use one of userId or sessionHandles array")
        for name in ("revokeAcrossAllTenants", "revokeSessionsForLinkedAccounts"):
            if self.userId is None and getattr(self, name) is not None:
                raise ValueError(f"Invalid JSON input - {name} can only be set if userId is set")
        return self


class MetadataUpdateRequest(CdiRequest):
    userId: UserId
    metadataUpdate: Document


class MetadataRemoveRequest(CdiRequest):
    userId: UserId


class CreateJwtRequest(CdiRequest):
    payload: Document
    validity: Validity
    algorithm: str = Field(description="RS256 (any case); anything else is UNSUPPORTED_ALGORITHM_ERROR")
    jwksDomain: str = Field(description="The JWT's iss, unless the payload has one")
    useStaticSigningKey: bool = Field(default=True, description="false: the current rotating key")


# -- Answers ----------------------------------------------------------------------------------------

#: Milliseconds since the Unix epoch.
EpochMillis = Annotated[int, Field(ge=0)]


class Answer(BaseModel):
    """A 200 body. Fields left unset are left out of it (``edge.app.respond``), but ``status``, which
    every answer that has one carries, though no route passes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        if "status" in type(self).model_fields:
            self.__pydantic_fields_set__.add("status")


class Ok(Answer):
    status: Literal["OK"] = "OK"


class Unauthorised(Answer):
    """No such live session, or a token the core refuses; the SDK ends the session."""

    status: Literal["UNAUTHORISED"] = "UNAUTHORISED"
    message: str


class TryRefreshToken(Answer):
    """The access token does not verify here; the SDK refreshes."""

    status: Literal["TRY_REFRESH_TOKEN"] = "TRY_REFRESH_TOKEN"
    message: str


class TheftSession(Answer):
    handle: str
    userId: str
    recipeUserId: str


class TokenTheftDetected(Answer):
    """A refresh token presented after its child or sibling was used; the session is revoked."""

    status: Literal["TOKEN_THEFT_DETECTED"] = "TOKEN_THEFT_DETECTED"
    session: TheftSession


class SessionObject(Answer):
    handle: str
    userId: str
    recipeUserId: str = Field(description="The userId: no account linking")
    userDataInJWT: Document
    tenantId: str


class TokenObject(Answer):
    token: str
    expiry: EpochMillis
    createdTime: EpochMillis


class SessionTokens(Ok):
    """What creation and refresh answer; ``antiCsrfToken`` only when the session has one."""

    session: SessionObject
    accessToken: TokenObject
    refreshToken: TokenObject
    antiCsrfToken: str | SkipJsonSchema[None] = None


class Verified(Ok):
    """``accessToken`` only when the SDK should replace the one it sent."""

    session: SessionObject
    accessToken: TokenObject | SkipJsonSchema[None] = None


class SessionInformation(Ok):
    sessionHandle: str
    userId: str
    recipeUserId: str
    userDataInDatabase: Document
    expiry: EpochMillis = Field(description="The session's expiry")
    userDataInJWT: Document
    timeCreated: EpochMillis
    tenantId: str


class SessionHandles(Ok):
    sessionHandles: list[str]


class SessionHandlesRevoked(Ok):
    sessionHandlesRevoked: list[str]


class Metadata(Ok):
    metadata: Document


class UnknownUserId(Answer):
    """authstate keeps no users: account linking's lookup finds none, and the SDK uses the id it has."""

    status: Literal["UNKNOWN_USER_ID_ERROR"] = "UNKNOWN_USER_ID_ERROR"


class CreatedJwt(Ok):
    jwt: str


class UnsupportedAlgorithm(Answer):
    status: Literal["UNSUPPORTED_ALGORITHM_ERROR"] = "UNSUPPORTED_ALGORITHM_ERROR"


class Jwks(Answer):
    """Every key that verifies an access token or a JWT of the JWT recipe (the static one, s-…, too)."""

    keys: list[Jwk]


class JwksOk(Ok, Jwks):
    pass


class ApiVersions(Answer):
    versions: list[str]


class NoSuchRoute(Answer):
    """The JSON 404 of any route this facade does not have (the core answers a plain-text one)."""

    message: str
    cdiVersions: list[str]
    supportedRecipes: list[str]


class VerifyAnswer(
    RootModel[Annotated[Verified | Unauthorised | TryRefreshToken, Field(discriminator="status")]]
):
    pass


class RefreshAnswer(
    RootModel[Annotated[SessionTokens | Unauthorised | TokenTheftDetected, Field(discriminator="status")]]
):
    pass


class RegenerateAnswer(RootModel[Annotated[Verified | Unauthorised, Field(discriminator="status")]]):
    pass


class SessionInformationAnswer(
    RootModel[Annotated[SessionInformation | Unauthorised, Field(discriminator="status")]]
):
    pass


class UpdateAnswer(RootModel[Annotated[Ok | Unauthorised, Field(discriminator="status")]]):
    pass


class CreateJwtAnswer(RootModel[Annotated[CreatedJwt | UnsupportedAlgorithm, Field(discriminator="status")]]):
    pass
