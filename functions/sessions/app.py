"""Session reads and revocation: one session, its data, a user's sessions."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.models import UserIdPath
from authstate.edge.session import responses as sr
from authstate.edge.session.models import (
    RevokedSessionHandlesResponse,
    RevokeSessionResponse,
    SessionDataResponse,
    SessionHandlePath,
    SessionHandlesResponse,
    SessionResponse,
    TenantIdQuery,
)
from authstate.edge.session.shapes import session_response
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()
Verifying = Annotated[Sessions, Depends(session_providers.verifying_sessions)]


@app.get(
    "/sessions/<sessionHandle>",
    summary="Read a session",
    tags=["Sessions"],
    responses=r.documented(
        200, SessionResponse, "The session", r.API_KEY, r.STORAGE, sr.SESSION_PATH, sr.OFFLINE
    ),
)
def get_session(sessionHandle: SessionHandlePath, sessions: Verifying) -> Response[str]:
    session, data = sessions.get(sessionHandle)
    metrics.add_metric(name="SessionRead", unit="Count", value=1)
    return respond(session_response(session, data))


@app.get(
    "/sessions/<sessionHandle>/data",
    summary="Read session data offline",
    tags=["Session data"],
    responses=r.documented(
        200, SessionDataResponse, "The session data", r.API_KEY, r.STORAGE, sr.HANDLE_PATH, sr.OFFLINE
    ),
)
def get_session_data(sessionHandle: SessionHandlePath, sessions: Verifying) -> Response[str]:
    metrics.add_metric(name="SessionRead", unit="Count", value=1)
    return respond(SessionDataResponse(sessionData=sessions.get_data(sessionHandle)))


@app.delete(
    "/sessions/<sessionHandle>",
    summary="Revoke a session",
    tags=["Sessions"],
    responses=r.documented(
        200,
        RevokeSessionResponse,
        "Whether there was a session to revoke",
        r.API_KEY,
        r.STORAGE,
        sr.SESSION_PATH,
    ),
)
def revoke_session(sessionHandle: SessionHandlePath, sessions: Verifying) -> Response[str]:
    revoked = sessions.revoke(sessionHandle)
    metrics.add_metric(name="SessionRevoked", unit="Count", value=int(revoked))
    return respond(RevokeSessionResponse(revoked=revoked))


@app.get(
    "/users/<userId>/sessions",
    summary="List a user's sessions",
    description="Handles of the user's live sessions, sorted; from an eventually consistent index.",
    tags=["Sessions"],
    responses=r.documented(
        200, SessionHandlesResponse, "The handles", r.API_KEY, r.STORAGE, r.USER_ID_PATH, sr.TENANT_QUERY
    ),
)
def list_user_sessions(
    userId: UserIdPath, sessions: Verifying, tenantId: TenantIdQuery = None
) -> Response[str]:
    metrics.add_metric(name="SessionsListed", unit="Count", value=1)
    return respond(SessionHandlesResponse(sessionHandles=sessions.handles_of_user(userId, tenantId)))


@app.delete(
    "/users/<userId>/sessions",
    summary="Revoke a user's sessions",
    tags=["Sessions"],
    responses=r.documented(
        200,
        RevokedSessionHandlesResponse,
        "The handles revoked",
        r.API_KEY,
        r.STORAGE,
        r.USER_ID_PATH,
        sr.TENANT_QUERY,
    ),
)
def revoke_user_sessions(
    userId: UserIdPath, sessions: Verifying, tenantId: TenantIdQuery = None
) -> Response[str]:
    revoked = sessions.revoke_all(userId, tenantId)
    metrics.add_metric(name="SessionRevoked", unit="Count", value=len(revoked))
    return respond(RevokedSessionHandlesResponse(revokedSessionHandles=revoked))


lambda_handler = lambda_entry(app)
