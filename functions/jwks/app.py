"""GET /.well-known/jwks.json: the public keys that may still verify a live access token (no API key)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate import providers
from authstate.clock import Clock
from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.session.models import JwksResponse
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.key_store import KeyRing

app = AuthstateResolver(require_key=False)


@app.get(
    "/.well-known/jwks.json",
    summary="Public keys (JWKS)",
    description="Every key that may still verify a live access token, newest first. No API key.",
    tags=["Keys"],
    responses=r.documented(200, JwksResponse, "The JSON Web Key Set", r.STORAGE),
    openapi_extensions={"security": []},  # public: SDKs fetch it without credentials
)
def get_jwks(
    keyring: Annotated[KeyRing, Depends(session_providers.verifying_keyring)],
    clock: Annotated[Clock, Depends(providers.clock)],
) -> Response[str]:
    metrics.add_metric(name="JwksServed", unit="Count", value=1)
    return respond(
        JwksResponse.model_validate(keyring.jwks(clock())),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
