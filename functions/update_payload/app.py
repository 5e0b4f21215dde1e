"""PATCH /sessions/{sessionHandle}/payload: offline merge; tokens show it from the next refresh."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import AccessTokenPayloadResponse, DocumentUpdateRequest, SessionHandlePath
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()


@app.patch(
    "/sessions/<sessionHandle>/payload",
    summary="Merge into the access-token payload offline",
    description="By handle, without a token; tokens carry the change from the next refresh on.",
    tags=["Sessions"],
    responses=r.documented(
        200,
        AccessTokenPayloadResponse,
        "The stored payload",
        r.API_KEY,
        r.STORAGE,
        sr.HANDLE_PATH,
        r.BODY,
        r.DOCUMENT_WRITE,
        sr.CLAIMS,
        r.MERGE,
        sr.OFFLINE,
    ),
)
def merge_payload_offline(
    sessionHandle: SessionHandlePath,
    request: DocumentUpdateRequest,
    sessions: Annotated[Sessions, Depends(session_providers.verifying_sessions)],
) -> Response[str]:
    payload = sessions.merge_payload_offline(sessionHandle, request.update)
    metrics.add_metric(name="PayloadMergedOffline", unit="Count", value=1)
    return respond(AccessTokenPayloadResponse(accessTokenPayload=payload))


lambda_handler = lambda_entry(app)
