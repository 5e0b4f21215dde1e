"""The session recipe (``webserver/api/session/``: ``SessionAPI``, ``VerifySessionAPI``,
``RefreshSessionAPI``, ``SessionRegenerateAPI``, ``SessionDataAPI``, ``JWTDataAPI``, ``SessionUserAPI``,
``SessionRemoveAPI``). Each route hands its validated request to the session service and shows the
result; refusals are the services' errors, answered by ``answers``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate import providers
from authstate.cdi.models import session as shapes
from authstate.cdi.models.common import Ok, TenantIdPath, UserIdQuery
from authstate.cdi.models.session import (
    AccessTokenPayloadRequest,
    CreateSessionRequest,
    HandleQuery,
    QueryFlag,
    RefreshAnswer,
    RefreshSessionRequest,
    RegenerateAnswer,
    RegenerateRequest,
    RemoveSessionsRequest,
    SessionDataRequest,
    SessionHandles,
    SessionHandlesRevoked,
    SessionInformationAnswer,
    SessionTokens,
    UpdateAnswer,
    VerifyAnswer,
    VerifySessionRequest,
)
from authstate.cdi.router import CdiRouter
from authstate.config import Settings
from authstate.documents.merge import with_nulls_kept
from authstate.edge.app import metrics, respond
from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import is_session_handle
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.access_tokens import SDK_CLAIMS
from authstate.recipe.session.service import Sessions

router = CdiRouter("Session")
#: Sessions that may mint (verification answers a replacement token, as the core does).
Minting = Annotated[Sessions, Depends(session_providers.sessions)]
Configured = Annotated[Settings, Depends(providers.settings)]


def _now_ms() -> int:
    return int(providers.clock()() * 1000)


def _handle(handle: str) -> str:
    """A handle a session can have; any other string names no session (the core answers it
    UNAUTHORISED, and DynamoDB is not asked: its keys are at most 2 KB)."""
    if not is_session_handle(handle):
        raise AuthstateError(ErrorCode.SESSION_NOT_FOUND, "no session has such a handle")
    return handle


@router.answers(
    "POST",
    "/recipe/session",
    answer=SessionTokens,
    summary="Create a session",
    description=(
        "userDataInJWT is kept as sent, top-level nulls included; it may not set the core's protected "
        "claims (sub, exp, iat, sessionHandle, refreshTokenHash1, parentRefreshTokenHash1, antiCsrfToken, "
        "tId, rsub). useDynamicSigningKey: false signs with the static key (kid s-…)."
    ),
    tenant=True,
    body=True,
)
def create_session(tenantId: TenantIdPath, request: CreateSessionRequest, sessions: Minting) -> Response[str]:
    issued = sessions.create(
        request.userId,
        tenantId,
        with_nulls_kept(request.userDataInJWT),
        request.userDataInDatabase,
        anti_csrf=request.enableAntiCsrf,
        static_key=not request.useDynamicSigningKey,
        allowed_claims=SDK_CLAIMS,
        fields=("userDataInJWT", "userDataInDatabase"),
    )
    metrics.add_metric(name="SessionCreated", unit="Count", value=1)
    return respond(shapes.session_tokens(issued, now_ms=_now_ms()))


@router.answers(
    "POST",
    "/recipe/session/verify",
    answer=VerifyAnswer,
    summary="Verify an access token",
    description=(
        "A token minted from a child refresh token, or (checkDatabase) whose claims the stored ones "
        "replaced, is answered with a replacement accessToken."
    ),
    body=True,
)
def verify_session(request: VerifySessionRequest, sessions: Minting) -> Response[str]:
    access, renewed = sessions.verify_with_renewal(
        request.accessToken,
        request.antiCsrfToken,
        check_anti_csrf=request.doAntiCsrfCheck and request.enableAntiCsrf,
        check_database=request.checkDatabase,
    )
    metrics.add_metric(name="SessionVerified", unit="Count", value=1)
    return respond(shapes.verified(access, renewed))


@router.answers(
    "POST",
    "/recipe/session/refresh",
    answer=RefreshAnswer,
    summary="Refresh a session",
    description=(
        "A refresh token presented after its child or a sibling was used is theft: the session is "
        "revoked (CdiRefreshReuseWindowSeconds, 0 by default as in the core, can allow a window)."
    ),
    body=True,
)
def refresh_session(request: RefreshSessionRequest, sessions: Minting, settings: Configured) -> Response[str]:
    issued = sessions.refresh(
        request.refreshToken,
        anti_csrf_token=request.antiCsrfToken,
        check_anti_csrf=request.enableAntiCsrf,
        static_key=not request.useDynamicSigningKey,
        reuse_window_seconds=settings.cdi_refresh_reuse_window_seconds,
    )
    metrics.add_metric(name="SessionRefreshed", unit="Count", value=1)
    return respond(shapes.session_tokens(issued, now_ms=_now_ms()))


@router.answers(
    "POST",
    "/recipe/session/regenerate",
    answer=RegenerateAnswer,
    summary="Replace the access-token payload online",
    description=(
        "The SDK's online merge sends the whole new payload; only what differs from the presented "
        "token's claims is written, as one merge, so concurrent merges of different keys lose nothing."
    ),
    body=True,
)
def regenerate(request: RegenerateRequest, sessions: Minting) -> Response[str]:
    payload = None if request.userDataInJWT is None else with_nulls_kept(request.userDataInJWT)
    session, renewed = sessions.regenerate(request.accessToken, payload)
    metrics.add_metric(name="PayloadMergedOnline", unit="Count", value=1)
    return respond(shapes.regenerated(session, renewed))


@router.answers("GET", "/recipe/session", answer=SessionInformationAnswer, summary="Read a session")
def session_information(sessionHandle: HandleQuery, sessions: Minting) -> Response[str]:
    session, data = sessions.get(_handle(sessionHandle))
    metrics.add_metric(name="SessionRead", unit="Count", value=1)
    return respond(shapes.information(session, data))


@router.answers(
    "PUT", "/recipe/session/data", answer=UpdateAnswer, summary="Replace the session data", body=True
)
def update_session_data(request: SessionDataRequest, sessions: Minting) -> Response[str]:
    sessions.put_data(_handle(request.sessionHandle), request.userDataInDatabase, field="userDataInDatabase")
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return respond(Ok())


@router.answers(
    "PUT",
    "/recipe/jwt/data",
    answer=UpdateAnswer,
    summary="Replace the access-token payload offline",
    description="The whole payload, as the SDK read and merged it (last writer wins), from the next refresh.",
    body=True,
)
def update_access_token_payload(request: AccessTokenPayloadRequest, sessions: Minting) -> Response[str]:
    sessions.replace_payload(_handle(request.sessionHandle), with_nulls_kept(request.userDataInJWT))
    metrics.add_metric(name="PayloadMergedOffline", unit="Count", value=1)
    return respond(Ok())


@router.answers(
    "GET",
    "/recipe/session/user",
    answer=SessionHandles,
    summary="A user's session handles",
    description="In every tenant unless fetchAcrossAllTenants is false (then in the path's tenant only).",
    tenant=True,
)
def session_handles_of_user(
    tenantId: TenantIdPath,
    userId: UserIdQuery,
    sessions: Minting,
    fetchAcrossAllTenants: QueryFlag = True,
    fetchSessionsForAllLinkedAccounts: QueryFlag = True,  # no account linking: changes nothing
) -> Response[str]:
    handles = sessions.handles_of_user(userId, None if fetchAcrossAllTenants else tenantId)
    metrics.add_metric(name="SessionsListed", unit="Count", value=1)
    return respond(SessionHandles(sessionHandles=handles))


@router.answers(
    "POST",
    "/recipe/session/remove",
    answer=SessionHandlesRevoked,
    summary="Revoke sessions",
    description=(
        "By handle, or a user's: in every tenant unless revokeAcrossAllTenants is false (then in the "
        "path's tenant only)."
    ),
    tenant=True,
    body=True,
)
def remove_sessions(
    tenantId: TenantIdPath, request: RemoveSessionsRequest, sessions: Minting
) -> Response[str]:
    if request.userId is None:  # then sessionHandles: the model holds exactly one of them
        candidates = [handle for handle in request.sessionHandles or [] if is_session_handle(handle)]
        revoked = sessions.revoke_many(candidates)
    else:
        across = request.revokeAcrossAllTenants is not False
        revoked = sessions.revoke_all(request.userId, None if across else tenantId)
    metrics.add_metric(name="SessionRevoked", unit="Count", value=len(revoked))
    return respond(SessionHandlesRevoked(sessionHandlesRevoked=revoked))
