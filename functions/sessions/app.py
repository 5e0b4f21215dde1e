"""Session reads and revocation: one session, its data, a user's sessions."""

from typing import Any

from authstate.http import (
    create_app,
    lambda_entry,
    metrics,
    session_handle_parameter,
    tenant_id_query,
    user_id_parameter,
)
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.get("/sessions/<sessionHandle>")
def get_session(sessionHandle: str) -> dict[str, Any]:
    session, data = sessions.get(session_handle_parameter(app))
    metrics.add_metric(name="SessionRead", unit="Count", value=1)
    return {
        "session": {
            **session.summary(),
            "accessTokenPayload": session.payload,
            "sessionData": data,
            "createdTime": session.created_ms,
            "expiry": session.expires_at * 1000,
        }
    }


@app.get("/sessions/<sessionHandle>/data")
def get_session_data(sessionHandle: str) -> dict[str, Any]:
    metrics.add_metric(name="SessionRead", unit="Count", value=1)
    return {"sessionData": sessions.get_data(session_handle_parameter(app))}


@app.delete("/sessions/<sessionHandle>")
def revoke_session(sessionHandle: str) -> dict[str, Any]:
    revoked = sessions.revoke(session_handle_parameter(app))
    metrics.add_metric(name="SessionRevoked", unit="Count", value=int(revoked))
    return {"revoked": revoked}


@app.get("/users/<userId>/sessions")
def list_user_sessions(userId: str) -> dict[str, Any]:
    metrics.add_metric(name="SessionsListed", unit="Count", value=1)
    return {"sessionHandles": sessions.handles_of_user(user_id_parameter(app), tenant_id_query(app))}


@app.delete("/users/<userId>/sessions")
def revoke_user_sessions(userId: str) -> dict[str, Any]:
    revoked = sessions.revoke_all(user_id_parameter(app), tenant_id_query(app))
    metrics.add_metric(name="SessionRevoked", unit="Count", value=len(revoked))
    return {"revokedSessionHandles": revoked}


lambda_handler = lambda_entry(app)
