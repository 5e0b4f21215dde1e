"""The shapes of the session recipe's routes (``cdi.routes.session``), and how a session, a token and a
token pair are shown in them (CDI 5.4, the core's ``SessionInformationHolder`` and ``SessionInfo``):
times in milliseconds, an access token's ``expiry``/``createdTime`` its ``exp``/``iat``, ``recipeUserId``
the user id (no account linking)."""

from __future__ import annotations

from typing import Annotated, Self

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    RootModel,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from authstate.cdi import protocol
from authstate.cdi.models.common import (
    Answer,
    CdiRequest,
    EpochMillis,
    Ok,
    TokenTheftDetected,
    TryRefreshToken,
    Unauthorised,
    UserId,
)
from authstate.documents.jsondoc import JsonObject
from authstate.edge.models import Document
from authstate.recipe.session.access_tokens import SDK_CLAIMS
from authstate.recipe.session.model import AccessToken, IssuedTokens, Session

#: A session handle: any string (one that no session has is answered UNAUTHORISED, as by the core).
HandleQuery = Annotated[str, Query(description="The session's handle")]
QueryFlag = Annotated[
    bool,
    BeforeValidator(protocol.query_flag),
    Query(description="true (any case) or anything else for false; true when absent"),
]


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


# -- From the recipe's values -----------------------------------------------------------------------


def session_object(session: Session) -> SessionObject:
    return SessionObject(
        handle=session.handle,
        userId=session.user_id,
        recipeUserId=session.user_id,
        userDataInJWT=session.payload,
        tenantId=session.tenant_id,
    )


def session_of_token(access: AccessToken) -> SessionObject:
    return SessionObject(
        handle=access.handle,
        userId=access.user_id,
        recipeUserId=access.user_id,
        userDataInJWT=access.custom_claims(SDK_CLAIMS),
        tenantId=access.tenant_id,
    )


def token_object(access: AccessToken) -> TokenObject:
    return TokenObject(token=access.token, expiry=access.expiry_ms, createdTime=access.created_ms)


def session_tokens(issued: IssuedTokens, *, now_ms: int) -> SessionTokens:
    """``antiCsrfToken`` only when the session has one (left out, not null, otherwise)."""
    session = issued.session
    tokens = SessionTokens(
        session=session_object(session),
        accessToken=token_object(issued.access_token),
        refreshToken=TokenObject(
            token=issued.refresh_token.token, expiry=session.expiry_ms, createdTime=now_ms
        ),
    )
    if session.anti_csrf_token is None:
        return tokens
    return tokens.model_copy(update={"antiCsrfToken": session.anti_csrf_token})


def verified(access: AccessToken, renewed: AccessToken | None) -> Verified:
    """A verification: the session as the token says, and the replacement token if there is one."""
    if renewed is None:
        return Verified(session=session_of_token(access))
    return Verified(session=session_of_token(renewed), accessToken=token_object(renewed))


def regenerated(session: Session, renewed: AccessToken | None) -> Verified:
    if renewed is None:
        return Verified(session=session_object(session))
    return Verified(session=session_object(session), accessToken=token_object(renewed))


def information(session: Session, data: JsonObject) -> SessionInformation:
    return SessionInformation(
        sessionHandle=session.handle,
        userId=session.user_id,
        recipeUserId=session.user_id,
        userDataInDatabase=data,
        expiry=session.expiry_ms,
        userDataInJWT=session.payload,
        timeCreated=session.created_ms,
        tenantId=session.tenant_id,
    )
