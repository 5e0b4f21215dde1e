"""POST /sessions/merge: verify an access token, merge into its payload, return a new token now."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics
from authstate.models import MergePayloadOnlineRequest
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.post("/sessions/merge")
def merge_payload_online() -> dict[str, Any]:
    request = json_body(app, MergePayloadOnlineRequest)
    access = sessions.merge_payload_online(request.accessToken, request.update, request.antiCsrfToken)
    metrics.add_metric(name="PayloadMergedOnline", unit="Count", value=1)
    return {
        "session": access.session_summary(),
        "accessTokenPayload": access.payload,
        "accessToken": access.to_body(),
    }


lambda_handler = lambda_entry(app)
