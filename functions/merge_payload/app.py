"""POST /sessions/merge: verify an access token, merge into its payload, return a new token now."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import MergePayloadOnlineRequest, MergePayloadOnlineResponse
from authstate.edge.session.shapes import merge_response
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()


@app.post(
    "/sessions/merge",
    summary="Merge into the access-token payload online",
    description=(
        "Verifies the token, merges update into the stored payload (one UpdateItem) and returns a new access "
        "token at once, with the same expiry and refresh-token hashes."
    ),
    tags=["Sessions"],
    responses=r.documented(
        200,
        MergePayloadOnlineResponse,
        "The merged payload and a new access token",
        r.API_KEY,
        r.STORAGE,
        r.BODY,
        r.DOCUMENT_WRITE,
        sr.CLAIMS,
        r.MERGE,
        sr.ACCESS_TOKEN,
        sr.ONLINE,
        sr.MINT,
    ),
)
def merge_payload_online(
    request: MergePayloadOnlineRequest, sessions: Annotated[Sessions, Depends(session_providers.sessions)]
) -> Response[str]:
    access = sessions.merge_payload_online(request.accessToken, request.update, request.antiCsrfToken)
    metrics.add_metric(name="PayloadMergedOnline", unit="Count", value=1)
    return respond(merge_response(access))


lambda_handler = lambda_entry(app)
