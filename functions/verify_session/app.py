"""POST /sessions/verify: verify an access token (optionally against the database)."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics
from authstate.models import VerifySessionRequest
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.post("/sessions/verify")
def verify_session() -> dict[str, Any]:
    request = json_body(app, VerifySessionRequest)
    session_data = None
    if request.includeSessionData:
        access, session_data = sessions.verify_with_data(request.accessToken, request.antiCsrfToken)
    else:
        access = sessions.verify(
            request.accessToken, check_database=request.checkDatabase, anti_csrf_token=request.antiCsrfToken
        )
    body: dict[str, Any] = {
        "session": access.session_summary(),
        "accessTokenPayload": access.payload,
        "expiry": int(access.claims["exp"]) * 1000,
    }
    if session_data is not None:
        body["sessionData"] = session_data
    metrics.add_metric(name="SessionVerified", unit="Count", value=1)
    return body


lambda_handler = lambda_entry(app)
