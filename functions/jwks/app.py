"""GET /.well-known/jwks.json: the public keys that may still verify a live access token (no API key)."""

import time

from aws_lambda_powertools.event_handler import Response, content_types

from authstate.http import create_app, lambda_entry, metrics
from authstate.jsondoc import dumps
from authstate.keys import KeyRing

app = create_app(require_key=False)
keyring = KeyRing.from_settings()


@app.get("/.well-known/jwks.json")
def get_jwks() -> Response[str]:
    metrics.add_metric(name="JwksServed", unit="Count", value=1)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=dumps(keyring.jwks(time.time())),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
