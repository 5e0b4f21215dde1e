"""The core's own routes: the interface versions, hello, the JWKS, and account linking's user lookup
(``webserver/api/core/``: ``ApiVersionAPI``, ``HelloAPI``, ``JWKSPublicAPI``, ``GetUserByIdAPI``). The
core's ``/`` hello is not here: API Gateway's ``/cdi/{proxy+}`` never routes ``/cdi/`` to this function."""

from __future__ import annotations

from typing import Annotated, Final

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.cdi.answers import text_response
from authstate.cdi.models.common import UserIdQuery
from authstate.cdi.models.core import ApiVersions, UnknownUserId
from authstate.cdi.models.jwt import Jwks
from authstate.cdi.protocol import CDI_VERSIONS
from authstate.cdi.router import CdiRouter
from authstate.edge.app import metrics, respond
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.jwts import JwtSigner

router = CdiRouter("Core")
Signer = Annotated[JwtSigner, Depends(session_providers.jwt_signer)]
#: As the core says it (``JWKSPublicAPI.java``), so that the SDKs read the max-age (the Python SDK's
#: pattern wants it first); a key is listed 15 minutes before it signs (``key_store.PUBLISH_AHEAD_SECONDS``).
JWKS_CACHE_CONTROL: Final = "max-age=300, must-revalidate"


@router.answers(
    "GET",
    "/apiversion",
    answer=ApiVersions,
    summary="The interface versions",
    description="The SDKs' first call (apiDomain and websiteDomain, which they send, are ignored).",
    versioned=False,
    storage=False,
)
def api_version() -> Response[str]:
    return respond(ApiVersions(versions=CDI_VERSIONS))


@router.answers(
    ["GET", "POST", "PUT", "DELETE"],
    "/hello",
    answer=None,
    summary="Hello",
    public=True,
    versioned=False,
    storage=False,
)
def hello() -> Response[str]:
    return text_response(200, "Hello")


@router.answers(
    "GET",
    "/.well-known/jwks.json",
    answer=Jwks,
    summary="Public keys (JWKS)",
    description="The keys of access tokens and of the JWT recipe's JWTs, the static one included.",
    public=True,
    versioned=False,
)
def jwks(signer: Signer) -> Response[str]:
    metrics.add_metric(name="JwksServed", unit="Count", value=1)
    return respond(Jwks.model_validate(signer.jwks()), headers={"Cache-Control": JWKS_CACHE_CONTROL})


@router.answers(
    "GET",
    "/user/id",
    answer=UnknownUserId,
    summary="Account linking's user lookup",
    description="authstate keeps no users: every id is unknown, and the SDK uses the one it has.",
    storage=False,
)
def user_by_id(userId: UserIdQuery) -> Response[str]:  # declared for its validation: the SDK sends it
    return respond(UnknownUserId())
