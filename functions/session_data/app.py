"""Session data writes: overwrite (PUT) or root-level merge (PATCH), offline by handle or online
with a verified access token. Session data lives only in the database, never in a token."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import (
    DocumentUpdateRequest,
    OnlineSessionDataRequest,
    OnlineSessionDataUpdateRequest,
    SessionDataRequest,
    SessionDataResponse,
    SessionHandlePath,
)
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()
Verifying = Annotated[Sessions, Depends(session_providers.verifying_sessions)]
_WRITE = (r.API_KEY, r.STORAGE, r.BODY, r.DOCUMENT_WRITE, sr.SESSION_DATA)
_BY_HANDLE = (*_WRITE, sr.HANDLE_PATH, sr.OFFLINE)
_BY_TOKEN = (*_WRITE, sr.ACCESS_TOKEN, sr.ONLINE)
_OFFLINE = r.documented(200, SessionDataResponse, "The session data now", *_BY_HANDLE)
_OFFLINE_MERGE = r.documented(200, SessionDataResponse, "The session data now", *_BY_HANDLE, r.MERGE)
_ONLINE = r.documented(200, SessionDataResponse, "The session data now", *_BY_TOKEN)
_ONLINE_MERGE = r.documented(200, SessionDataResponse, "The session data now", *_BY_TOKEN, r.MERGE)


def _written(data: dict[str, object]) -> Response[str]:
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return respond(SessionDataResponse(sessionData=data))


@app.put(
    "/sessions/<sessionHandle>/data",
    summary="Overwrite session data offline",
    description="Stores sessionData exactly as sent (nulls included), by handle.",
    tags=["Session data"],
    responses=_OFFLINE,
)
def overwrite_offline(
    sessionHandle: SessionHandlePath, request: SessionDataRequest, sessions: Verifying
) -> Response[str]:
    return _written(sessions.put_data(sessionHandle, request.sessionData))


@app.patch(
    "/sessions/<sessionHandle>/data",
    summary="Merge into session data offline",
    tags=["Session data"],
    responses=_OFFLINE_MERGE,
)
def merge_offline(
    sessionHandle: SessionHandlePath, request: DocumentUpdateRequest, sessions: Verifying
) -> Response[str]:
    return _written(sessions.merge_data(sessionHandle, request.update))


@app.put(
    "/sessions/data",
    summary="Overwrite session data online",
    description="Verifies the access token; the write itself requires the session to be live.",
    tags=["Session data"],
    responses=_ONLINE,
)
def overwrite_online(request: OnlineSessionDataRequest, sessions: Verifying) -> Response[str]:
    access = sessions.verify_token(request.accessToken, request.antiCsrfToken)
    return _written(sessions.put_data(access.handle, request.sessionData, online=True))


@app.patch(
    "/sessions/data",
    summary="Merge into session data online",
    tags=["Session data"],
    responses=_ONLINE_MERGE,
)
def merge_online(request: OnlineSessionDataUpdateRequest, sessions: Verifying) -> Response[str]:
    access = sessions.verify_token(request.accessToken, request.antiCsrfToken)
    return _written(sessions.merge_data(access.handle, request.update, online=True))


lambda_handler = lambda_entry(app)
