"""Domain values as the CDI shows them (CDI 5.4, the core's ``SessionInformationHolder`` and
``SessionInfo``): times in milliseconds, an access token's ``expiry``/``createdTime`` its
``exp``/``iat``, ``recipeUserId`` the user id (no account linking)."""

from __future__ import annotations

from authstate.cdi.models import SessionInformation, SessionObject, SessionTokens, TokenObject, Verified
from authstate.documents.jsondoc import JsonObject
from authstate.sessions.model import AccessToken, IssuedTokens, Session
from authstate.sessions.service import SDK_CLAIMS


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
