"""POST /sessions/refresh: rotate the refresh token (theft detection) and mint a new access token."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics
from authstate.models import RefreshSessionRequest
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.post("/sessions/refresh")
def refresh_session() -> dict[str, Any]:
    request = json_body(app, RefreshSessionRequest)
    issued = sessions.refresh(request.refreshToken)
    metrics.add_metric(name="SessionRefreshed", unit="Count", value=1)
    return issued.to_body()


lambda_handler = lambda_entry(app)
