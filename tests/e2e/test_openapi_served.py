"""The local server's own extras: the generated OpenAPI document and Swagger UI (no CDN)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tools.localrun.openapi import build_openapi
from tools.localrun.server import SWAGGER_UI


def test_openapi_json_is_the_generated_document(api: Api) -> None:
    response = api.call("GET", "/openapi.json", key=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == build_openapi()


@pytest.mark.skipif(
    not SWAGGER_UI.is_dir(), reason="swagger-ui-dist not installed (npm ci in tools/localrun/)"
)
def test_docs_serve_swagger_ui_from_the_npm_package(api: Api) -> None:
    page = api.call("GET", "/docs", key=None)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '"/openapi.json"' in page.text
    assert "https://" not in page.text  # everything from this server, nothing from a CDN
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        response = api.call("GET", f"/docs/{asset}", key=None)
        assert response.status_code == 200, asset
        assert response.content == (SWAGGER_UI / asset).read_bytes()
    assert api.call("GET", "/docs/package.json", key=None).status_code == 404
    assert api.call("GET", "/docs/../template.yaml", key=None).status_code == 404
