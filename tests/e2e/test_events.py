"""Every events/*.json goes through `python -m tools.localrun invoke`, like `sam local invoke` would, and
answers what events/README.md's table says: that table is the only place the expectations live."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tools.localrun.events import EVENTS_DIR, EventCase, error_code, load_cases, response_body
from tools.localrun.template import ROOT, Template

CASES = load_cases()


def test_every_event_file_has_one_row_and_every_row_a_file() -> None:
    assert sorted(case.file for case in CASES) == sorted(path.name for path in EVENTS_DIR.glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_the_row_names_the_function_that_serves_the_events_route(case: EventCase, template: Template) -> None:
    event = json.loads(case.path.read_text())
    assert template.function_serving(event["routeKey"]) == case.function


def test_every_function_with_a_route_has_an_event(template: Template) -> None:
    """API Gateway events; a function without a route (the key rotation, invoked directly with IAM) takes
    no such event and has its own tests (tests/e2e/test_key_rotation.py)."""
    assert {case.function for case in CASES} == {
        spec.logical_id for spec in template.functions() if spec.routes
    }


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_event_answers_what_the_table_says(case: EventCase, dynamodb_endpoint: str) -> None:
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tools.localrun",
            "invoke",
            case.function,
            "-e",
            str(case.path),
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
    body = response_body(response)
    assert (response["statusCode"], error_code(body)) == (case.status, case.code), body
