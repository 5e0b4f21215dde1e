"""Domain values to response models: the one place that says how a session, a token or a token pair
is shown by the API."""

from __future__ import annotations

from authstate.documents.jsondoc import JsonObject
from authstate.edge.session.models import (
    AccessTokenInfo,
    MergePayloadOnlineResponse,
    RefreshTokenInfo,
    SessionDetails,
    SessionResponse,
    SessionSummary,
    SessionTokensResponse,
    VerifySessionResponse,
)
from authstate.recipe.session.model import AccessToken, IssuedTokens, Session


def summary_of_token(access: AccessToken) -> SessionSummary:
    return SessionSummary(handle=access.handle, userId=access.user_id, tenantId=access.tenant_id)


def access_token_info(access: AccessToken) -> AccessTokenInfo:
    return AccessTokenInfo(token=access.token, expiry=access.expiry_ms, createdTime=access.created_ms)


def tokens_response(issued: IssuedTokens) -> SessionTokensResponse:
    session = issued.session
    return SessionTokensResponse(
        session=SessionSummary(handle=session.handle, userId=session.user_id, tenantId=session.tenant_id),
        accessTokenPayload=issued.access_token.payload,
        accessToken=access_token_info(issued.access_token),
        refreshToken=RefreshTokenInfo(token=issued.refresh_token.token, expiry=session.expiry_ms),
        antiCsrfToken=session.anti_csrf_token,
    )


def verify_response(access: AccessToken, data: JsonObject | None = None) -> VerifySessionResponse:
    return VerifySessionResponse(
        session=summary_of_token(access),
        accessTokenPayload=access.payload,
        expiry=access.expiry_ms,
        sessionData=data,
    )


def merge_response(access: AccessToken) -> MergePayloadOnlineResponse:
    return MergePayloadOnlineResponse(
        session=summary_of_token(access),
        accessTokenPayload=access.payload,
        accessToken=access_token_info(access),
    )


def session_response(session: Session, data: JsonObject) -> SessionResponse:
    return SessionResponse(
        session=SessionDetails(
            handle=session.handle,
            userId=session.user_id,
            tenantId=session.tenant_id,
            accessTokenPayload=session.payload,
            sessionData=data,
            createdTime=session.created_ms,
            expiry=session.expiry_ms,
        )
    )
