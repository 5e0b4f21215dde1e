"""POST /sessions: create a session with custom access-token claims and session data."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import CreateSessionRequest, SessionTokensResponse
from authstate.edge.session.shapes import tokens_response
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

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
        sr.CLAIMS,
        sr.SESSION_DATA,
        sr.MINT,
    ),
)
def create_session(
    request: CreateSessionRequest, sessions: Annotated[Sessions, Depends(session_providers.sessions)]
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
