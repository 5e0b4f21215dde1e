"""POST /sessions/verify: verify an access token (optionally against the database)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session import responses as sr
from authstate.edge.session.models import VerifySessionRequest, VerifySessionResponse
from authstate.edge.session.shapes import verify_response
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.service import Sessions

app = AuthstateResolver()


@app.post(
    "/sessions/verify",
    summary="Verify an access token",
    description=(
        "Signature, key and times only (no database read), unless checkDatabase: then a revoked or expired "
        "session is refused too. includeSessionData implies checkDatabase and adds the session data."
    ),
    tags=["Sessions"],
    responses=r.documented(
        200,
        VerifySessionResponse,
        "The token's session and claims",
        r.API_KEY,
        r.STORAGE,
        r.BODY,
        sr.ACCESS_TOKEN,
        sr.ONLINE,
    ),
)
def verify_session(
    request: VerifySessionRequest,
    sessions: Annotated[Sessions, Depends(session_providers.verifying_sessions)],
) -> Response[str]:
    if request.includeSessionData:
        access, data = sessions.verify_with_data(request.accessToken, request.antiCsrfToken)
        body = verify_response(access, data)
    else:
        access = sessions.verify(
            request.accessToken, check_database=request.checkDatabase, anti_csrf_token=request.antiCsrfToken
        )
        body = verify_response(access)
    metrics.add_metric(name="SessionVerified", unit="Count", value=1)
    return respond(body)


lambda_handler = lambda_entry(app)
