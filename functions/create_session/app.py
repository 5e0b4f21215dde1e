"""POST /sessions: create a session with custom access-token claims and session data."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate import services
from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.models import CreateSessionRequest, SessionTokensResponse
from authstate.edge.shapes import tokens_response
from authstate.sessions.service import Sessions

app = AuthstateResolver()


@app.post(
    "/sessions",
    summary="Create a session",
    description="Issues an RS256 access token (custom claims beside the protected ones) and a refresh token.",
    tags=["Sessions"],
    responses=r.documented(
        201,
        SessionTokensResponse,
        "The session and its first token pair",
        r.API_KEY,
        r.STORAGE,
        r.BODY,
        r.DOCUMENT_WRITE,
        r.CLAIMS,
        r.SESSION_DATA,
        r.MINT,
    ),
)
def create_session(
    request: CreateSessionRequest, sessions: Annotated[Sessions, Depends(services.sessions)]
) -> Response[str]:
    issued = sessions.create(
        request.userId,
        request.tenantId,
        request.accessTokenPayload,
        request.sessionData,
        anti_csrf=request.enableAntiCsrf,
    )
    metrics.add_metric(name="SessionCreated", unit="Count", value=1)
    return respond(tokens_response(issued), status=201)


lambda_handler = lambda_entry(app)
