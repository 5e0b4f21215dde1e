"""POST /sessions/refresh: rotate the refresh token (theft detection) and mint a new access token."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import RefreshSessionRequest, SessionTokensResponse
from authstate.edge.session.shapes import tokens_response
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()


@app.post(
    "/sessions/refresh",
    summary="Refresh a session",
    description=(
        "Rotates the refresh token (one conditional UpdateItem), extends the session and mints a new access "
        "token from the stored payload. A token reused after rotation is theft: the session is revoked."
    ),
    tags=["Sessions"],
    responses=r.documented(
        200, SessionTokensResponse, "A new token pair", r.API_KEY, r.STORAGE, r.BODY, sr.REFRESH, sr.MINT
    ),
)
def refresh_session(
    request: RefreshSessionRequest, sessions: Annotated[Sessions, Depends(session_providers.sessions)]
) -> Response[str]:
    issued = sessions.refresh(request.refreshToken)
    metrics.add_metric(name="SessionRefreshed", unit="Count", value=1)
    return respond(tokens_response(issued))


lambda_handler = lambda_entry(app)
