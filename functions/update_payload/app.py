"""PATCH /sessions/{sessionHandle}/payload: offline merge; tokens show it from the next refresh."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics, session_handle_parameter
from authstate.models import DocumentUpdateRequest
from authstate.sessions import Sessions

app = create_app()
sessions = Sessions.from_settings()


@app.patch("/sessions/<sessionHandle>/payload")
def merge_payload_offline(sessionHandle: str) -> dict[str, Any]:
    handle = session_handle_parameter(app)
    request = json_body(app, DocumentUpdateRequest)
    payload = sessions.merge_payload_offline(handle, request.update)
    metrics.add_metric(name="PayloadMergedOffline", unit="Count", value=1)
    return {"accessTokenPayload": payload}


lambda_handler = lambda_entry(app)
