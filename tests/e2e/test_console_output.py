"""What `python -m tools.localrun serve` (and so `make run`) prints: a line per slow step, a banner that
says where everything is, no EMF metric lines."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.conftest import API_KEY, Api
from tools.localrun.cli import banner
from tools.localrun.runtime import DEFAULT_API_KEY
from tools.localrun.template import Template

URL, DYNAMODB = "http://127.0.0.1:3000", "http://127.0.0.1:8000"


def test_the_banner_shows_every_address_and_the_default_key() -> None:
    text = banner(URL, DEFAULT_API_KEY, DYNAMODB, started_dynamodb=True, access_log=True, metrics=False)
    assert text.splitlines() == [
        "",
        "authstate local API: every route of template.yaml, as API Gateway HTTP API and Lambda serve them",
        "  API          http://127.0.0.1:3000",
        "  Swagger UI   http://127.0.0.1:3000/docs",
        "  OpenAPI      http://127.0.0.1:3000/openapi.json",
        "  API key      local-dev-key   (as the api-key header, or Authorization: Bearer local-dev-key)",
        "  DynamoDB     http://127.0.0.1:8000   (DynamoDB Local, in memory: gone when the server stops)",
        "               share it: python -m tools.localrun invoke FUNCTION -e EVENT --dynamodb-endpoint http://127.0.0.1:8000",
        "Functions start on their first request (cold start). Ctrl-C stops the server and DynamoDB Local.",
        "Access log below (--quiet: none); Powertools metrics hidden (--metrics shows them).",
    ]


def test_the_banner_does_not_show_a_key_of_your_own() -> None:
    text = banner(URL, "my-secret-key", DYNAMODB, started_dynamodb=False, access_log=False, metrics=True)
    assert [line for line in text.splitlines() if "API key" in line or "my-secret" in line] == [
        "  API key      yours, from --api-key or AUTHSTATE_API_KEYS (not shown)"
    ]


def test_serve_says_what_it_does_then_prints_the_banner(
    api: Api, server_url: str, server_log: Path, dynamodb_endpoint: str, template: Template
) -> None:
    api.call("GET", "/.well-known/jwks.json")  # the server has printed everything before it serves
    log = server_log.read_text()
    steps = [
        re.sub(r" \(\d+\.\d s\)$", "", line) for line in log.splitlines() if line.startswith("localrun: ")
    ]
    port = urlsplit(server_url).port
    tables = [table["TableName"] for table in template.tables()]
    assert steps[:4] == [
        f"localrun: using DynamoDB at {dynamodb_endpoint}",
        f"localrun: creating the template's tables ({len(tables)}) ...",
        f"localrun: tables ready: {', '.join(tables)}",
        f"localrun: starting the HTTP server on 127.0.0.1:{port} ...",
    ]
    assert (
        banner(
            server_url, API_KEY, dynamodb_endpoint, started_dynamodb=False, access_log=False, metrics=False
        )
        in log
    )


def test_no_metric_line_reaches_the_console(api: Api, server_log: Path, unique_id: str) -> None:
    """Every cold start used to print Powertools' ColdStart EMF line, metrics disabled or not."""
    for path in ("/.well-known/jwks.json", f"/users/{unique_id}/metadata", f"/users/{unique_id}/sessions"):
        api.call("GET", path)
    assert [line for line in server_log.read_text().splitlines() if line.startswith('{"_aws":')] == []
