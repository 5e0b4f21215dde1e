"""POST /sessions: create a session with custom access-token claims and session data."""

from aws_lambda_powertools.event_handler import Response

from authstate.http import create_app, json_body, json_response, lambda_entry, metrics
from authstate.models import CreateSessionRequest
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.post("/sessions")
def create_session() -> Response[str]:
    request = json_body(app, CreateSessionRequest)
    issued = sessions.create(
        request.userId,
        request.tenantId,
        request.accessTokenPayload,
        request.sessionData,
        anti_csrf=request.enableAntiCsrf,
    )
    metrics.add_metric(name="SessionCreated", unit="Count", value=1)
    return json_response(201, issued.to_body())


lambda_handler = lambda_entry(app)
