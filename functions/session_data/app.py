"""Session data writes: overwrite (PUT) or root-level merge (PATCH), offline by handle or online
with a verified access token. Session data lives only in the database, never in a token."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics, session_handle_parameter
from authstate.models import (
    DocumentUpdateRequest,
    OnlineSessionDataRequest,
    OnlineSessionDataUpdateRequest,
    SessionDataRequest,
)
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.put("/sessions/<sessionHandle>/data")
def overwrite_offline(sessionHandle: str) -> dict[str, Any]:
    handle = session_handle_parameter(app)
    request = json_body(app, SessionDataRequest)
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return {"sessionData": sessions.put_data(handle, request.sessionData)}


@app.patch("/sessions/<sessionHandle>/data")
def merge_offline(sessionHandle: str) -> dict[str, Any]:
    handle = session_handle_parameter(app)
    request = json_body(app, DocumentUpdateRequest)
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return {"sessionData": sessions.merge_data(handle, request.update)}


@app.put("/sessions/data")
def overwrite_online() -> dict[str, Any]:
    request = json_body(app, OnlineSessionDataRequest)
    access = sessions.verify_token(request.accessToken, request.antiCsrfToken)
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return {
        "sessionData": sessions.put_data(access.claims["sessionHandle"], request.sessionData, online=True)
    }


@app.patch("/sessions/data")
def merge_online() -> dict[str, Any]:
    request = json_body(app, OnlineSessionDataUpdateRequest)
    access = sessions.verify_token(request.accessToken, request.antiCsrfToken)
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return {"sessionData": sessions.merge_data(access.claims["sessionHandle"], request.update, online=True)}


lambda_handler = lambda_entry(app)
