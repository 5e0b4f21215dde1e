"""Every events/*.json goes through `python -m localrun invoke`, like `sam local invoke` would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from localrun.template import ROOT, Template

EVENTS = sorted((ROOT / "events").glob("*.json"))
#: Events that show an error path (tokens are minted at run time, so a fixed event cannot hold a
#: valid one; handles in events name no live session). Every other event must succeed.
EXPECTED_ERRORS = {
    "session_verify_invalid_token.json": (401, "TOKEN_MALFORMED"),
    "session_merge_invalid_token.json": (401, "TOKEN_MALFORMED"),
    "session_refresh_invalid_token.json": (401, "REFRESH_TOKEN_INVALID"),
    "session_payload_patch_unknown.json": (404, "SESSION_NOT_FOUND"),
    "session_data_put_unknown.json": (404, "SESSION_NOT_FOUND"),
    "session_get_unknown.json": (404, "SESSION_NOT_FOUND"),
}


def function_for(event: dict[str, object], template: Template) -> str:
    route_key = str(event["routeKey"])
    for spec in template.functions():
        if any(f"{route.method} {route.path}" == route_key for route in spec.routes):
            return spec.logical_id
    raise AssertionError(f"no function serves {route_key}")


def test_every_function_has_an_event(template: Template) -> None:
    covered = {function_for(json.loads(path.read_text()), template) for path in EVENTS}
    assert covered == {spec.logical_id for spec in template.functions()}


@pytest.mark.parametrize("event_file", EVENTS, ids=[path.name for path in EVENTS])
def test_event_invokes_its_function(event_file: Path, template: Template, dynamodb_endpoint: str) -> None:
    event = json.loads(event_file.read_text())
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "localrun",
            "invoke",
            function_for(event, template),
            "-e",
            str(event_file),
            "--dynamodb-endpoint",
            dynamodb_endpoint,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    body = json.loads(response["body"])
    if event_file.name in EXPECTED_ERRORS:
        assert (response["statusCode"], body["code"]) == EXPECTED_ERRORS[event_file.name]
    else:
        assert response["statusCode"] in (200, 201), response
        assert isinstance(body, dict)
        assert "code" not in body
