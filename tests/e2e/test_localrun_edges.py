"""The local runner's edges, as a new user meets them: a busy port, a DynamoDB endpoint that is not one,
parameter overrides out of the template's range, an event that is not an API Gateway event: each one
line (exit status 2) before anything starts, where they were botocore or socket tracebacks (126 and 27
lines) or a server whose every create answered 500. And its access log never writes a header value,
however malformed the request."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_http_robustness import request, send_raw
from tools.localrun.dynamodb import free_port
from tools.localrun.runtime import Functions
from tools.localrun.server import Gateway, LocalServer
from tools.localrun.template import ROOT, Template, parameter_problem

SECRET = "sk-local-0123456789abcdef"  # a key as a client might send it; never in the log


def localrun(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "tools.localrun", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _without_make(env: dict[str, str] | None = None) -> dict[str, str]:
    """``make test`` runs pytest under make: MAKELEVEL says so, and the hint then names make."""
    return {"MAKELEVEL": "", **(env or {})}


def test_a_busy_port_is_one_line_before_dynamodb_local_starts(busy_port: int) -> None:
    status, stdout, stderr = localrun("serve", "--port", str(busy_port), env=_without_make())
    assert (status, stdout) == (2, "")
    prefix = f"python -m tools.localrun serve: error: port {busy_port} is in use: --port "
    assert stderr.startswith(prefix), stderr
    assert 8080 <= int(stderr.removeprefix(prefix)) < 8100
    assert stderr.count("\n") == 1


def test_under_make_the_busy_port_hint_is_the_make_command(busy_port: int) -> None:
    status, _, stderr = localrun("serve", "--port", str(busy_port), env={"MAKELEVEL": "1"})
    prefix = f"python -m tools.localrun serve: error: port {busy_port} is in use: PORT="
    assert status == 2
    assert stderr.startswith(prefix), stderr
    assert stderr.endswith(" make run\n")


@pytest.mark.parametrize("endpoint", ["localhost:8000", "127.0.0.1:8000", "ftp://127.0.0.1:8000", "http://"])
def test_a_dynamodb_endpoint_without_its_scheme_is_one_line(endpoint: str) -> None:
    assert localrun("serve", "--port", "0", "--dynamodb-endpoint", endpoint) == (
        2,
        "",
        f"python -m tools.localrun serve: error: --dynamodb-endpoint {endpoint!r} is not a URL:"
        " write it with its scheme and port, e.g. http://127.0.0.1:8000\n",
    )


@pytest.mark.parametrize(
    "command", [("serve", "--port", "0"), ("invoke", "JwksFunction", "-e", "events/jwks_get.json")]
)
def test_a_dynamodb_endpoint_where_nothing_answers_is_one_line(command: tuple[str, ...]) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    status, stdout, stderr = localrun(*command, "--dynamodb-endpoint", endpoint)
    assert (status, stdout) == (2, "")
    assert stderr.splitlines()[-1] == (
        f"python -m tools.localrun {command[0]}: error: no DynamoDB answers at {endpoint}"
        " (EndpointConnectionError): start DynamoDB Local there (the endpoint in `make run`'s banner is"
        " one), or leave out --dynamodb-endpoint to start a fresh one"
    )
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "AccessTokenTtlSeconds=10",
            "parameter AccessTokenTtlSeconds='10' must be a number not less than 60",
        ),
        ("AccessTokenTtlSeconds=1h", "parameter AccessTokenTtlSeconds='1h' must be a number"),
        (
            "MaxCustomClaimsBytes=16385",
            "parameter MaxCustomClaimsBytes='16385' must be a number not greater than 16384",
        ),
        (
            "RefreshReuseWindowSeconds=-1",
            "parameter RefreshReuseWindowSeconds='-1' must be a number not less than 0",
        ),
        (
            "LogLevel=TRACE",
            "parameter LogLevel='TRACE' must be one of AllowedValues: DEBUG, INFO, WARNING, ERROR",
        ),
    ],
)
def test_an_override_the_template_refuses_is_one_line_before_anything_starts(
    override: str, message: str
) -> None:
    assert localrun("serve", "--port", "0", "--parameter-overrides", override) == (
        2,
        "",
        f"python -m tools.localrun serve: error: {message}, in template.yaml\n",
    )


@pytest.mark.parametrize(
    ("spec", "value", "problem"),
    [
        ({"Type": "Number", "MinValue": 60}, "60", None),
        ({"Type": "Number", "MinValue": 60}, "59.9", "must be a number not less than 60"),
        ({"Type": "Number", "MaxValue": 300}, "300", None),
        ({"Type": "Number", "MaxValue": 300}, "300.5", "must be a number not greater than 300"),
        ({"Type": "Number"}, "NaN", "must be a number"),
        ({"Type": "Number", "AllowedValues": [1, 3, 30]}, "30", None),
        ({"Type": "Number", "AllowedValues": [1, 3, 30]}, "31", "must be one of AllowedValues: 1, 3, 30"),
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "abc", None),
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "abc1", "must match the pattern [a-z]+"),
        ({"Type": "String", "MinLength": 2, "MaxLength": 3}, "ab", None),
        ({"Type": "String", "MinLength": 2}, "a", "must contain at least 2 characters"),
        ({"Type": "String", "MaxLength": 3}, "abcd", "must contain at most 3 characters"),
        (
            {"Type": "String", "MaxLength": 3, "ConstraintDescription": "three letters at most"},
            "abcd",
            "must contain at most 3 characters (three letters at most)",
        ),
    ],
)
def test_parameter_constraints_as_cloudformation_checks_them(
    spec: dict[str, object], value: str, problem: str | None
) -> None:
    found = parameter_problem("P", spec, value)
    assert found == (None if problem is None else f"parameter P={value!r} {problem}")


def test_every_default_of_the_template_meets_its_own_constraints(template: Template) -> None:
    parameters = template.raw["Parameters"]
    assert {
        name: parameter_problem(name, spec, str(spec.get("Default", ""))) for name, spec in parameters.items()
    } == dict.fromkeys(parameters)


@pytest.mark.parametrize(
    "event", [{}, {"body": "{}"}, {"version": "1.0", "routeKey": "GET /x", "rawPath": "/x"}]
)
def test_an_event_that_is_not_api_gateway_v2_is_one_line(tmp_path: Path, event: dict[str, object]) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    status, stdout, stderr = localrun("invoke", "UserMetadataFunction", "-e", str(path))
    assert (status, stdout) == (2, "")
    assert stderr.startswith(
        f"python -m tools.localrun invoke: error: the event file {path} is not an API Gateway v2 event"
        " (HTTP API, payload format 2.0): it lacks "
    )
    assert stderr.endswith("; start from one of events/*.json (python -m tools.localrun events)\n")
    assert stderr.count("\n") == 1


# -- the access log ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logged_server(template: Template) -> Iterator[tuple[str, io.StringIO]]:
    """The server in this process with its access log in memory; no function is ever invoked."""
    log = io.StringIO()
    functions = Functions(template)
    server = LocalServer(("127.0.0.1", 0), Gateway(template, functions), access_log=log, request_timeout=5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", log
    finally:
        server.shutdown()
        server.server_close()
        functions.close()


MALFORMED = {
    "a header line with a space before its colon": request(
        "GET", b"/users/a/metadata", f"Authorization : Bearer {SECRET}".encode()
    ),
    "a header value with a NUL": request(
        "GET", b"/users/a/metadata", f"Authorization: Bearer {SECRET}\x00".encode()
    ),
    "a header line without a colon": request("GET", b"/users/a/metadata", f"Bearer {SECRET}".encode()),
    "a header line as the request line": f"Authorization: Bearer {SECRET}\r\nHost: x\r\n\r\n".encode(),
    "a request line with a header in it": f"GET / HTTP/1.1 api-key: {SECRET}\r\nHost: x\r\n\r\n".encode(),
    "a header name with a space": request("GET", b"/", f"Api Key: Bearer {SECRET}".encode()),
    "a bare CR in a header value": request("GET", b"/", f"api-key: Bearer\r{SECRET}".encode()),
}


@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_request_never_puts_a_header_value_in_the_access_log(
    logged_server: tuple[str, io.StringIO], raw: bytes
) -> None:
    url, log = logged_server
    before = len(log.getvalue())
    replies = send_raw(url, raw)
    assert [status for status, _, _ in replies] == [400]
    written = log.getvalue()[before:]
    assert written.count("\n") == 1, written
    assert " 400 " in written
    assert SECRET not in written
    assert "Bearer" not in written
