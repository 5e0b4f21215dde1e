"""Routing and the event, as API Gateway HTTP API builds them, on a small template of its own whose
functions echo their event: ``$default``, ``ANY``, route priority, ``rawPath`` and
``pathParameters``. The server runs in this process (``make_server``), on a free port."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.test_http_robustness import gateway, request, send_raw
from tools.localrun.gateway import Router
from tools.localrun.runtime import Functions
from tools.localrun.server import SWAGGER_UI, make_server, openapi_document
from tools.localrun.template import Template

ECHO = """
import json

def handler(event, context):
    body = {"function": context.function_name, "event": event}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
"""

FUNCTIONS = """
  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Events:
        GetItem: {{Type: HttpApi, Properties: {{Path: "/items/{{itemId}}", Method: get}}}}
        GetSpecial: {{Type: HttpApi, Properties: {{Path: /items/special, Method: GET}}}}
  AnyItemFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Events:
        AnyItem: {{Type: HttpApi, Properties: {{Path: "/items/{{itemId}}", Method: ANY}}}}
  FilesFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Events:
        Files: {{Type: HttpApi, Properties: {{Path: "/files/{{path+}}", Method: GET}}}}
"""

DEFAULT_FUNCTION = """
  CatchAllFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Events:
        CatchAll: {{Type: HttpApi, Properties: {{Path: $default, Method: ANY}}}}
"""


def write_template(directory: Path, *, with_default: bool) -> Template:
    code = directory / "echo"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(ECHO)
    resources = FUNCTIONS + (DEFAULT_FUNCTION if with_default else "")
    text = "Transform: AWS::Serverless-2016-10-31\nResources:\n" + resources.format(code=code)
    path = directory / f"template-{with_default}.yaml"
    path.write_text(textwrap.dedent(text))
    return Template.load(path)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Template]:
    directory = tmp_path_factory.mktemp("template")
    return {flag: write_template(directory, with_default=flag) for flag in (True, False)}


def serve(template: Template, **options: Any) -> Iterator[str]:
    functions = Functions(template)  # in this process: the echo needs no isolation
    server = make_server(template, functions, "127.0.0.1", 0, quiet=True, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        functions.close()


@pytest.fixture(scope="module")
def echo_url(templates: dict[bool, Template]) -> Iterator[str]:
    yield from serve(templates[True])


@pytest.fixture(scope="module")
def no_default_url(templates: dict[bool, Template]) -> Iterator[str]:
    yield from serve(templates[False])


def echo(url: str, method: str, path: str) -> tuple[str, dict[str, Any]]:
    """(function, event) for a request whose path is sent exactly as given."""
    [(status, _, body)] = send_raw(url, request(method, path.encode("utf-8")))
    assert status == 200, body
    return body["function"], body["event"]


def routed(url: str, method: str, path: str) -> tuple[str, str, dict[str, str] | None]:
    function, event = echo(url, method, path)
    return function, event["routeKey"], event.get("pathParameters")


# The router alone


def test_the_router_reads_default_and_any_routes(templates: dict[bool, Template]) -> None:
    router = Router(templates[True])
    assert router.default is not None
    assert (router.default.logical_id, router.default.route_key) == ("CatchAllFunction", "$default")
    assert [(route.key, function) for route, function in router.routes] == [
        ("GET /items/special", "ItemsFunction"),
        ("GET /items/{itemId}", "ItemsFunction"),
        ("ANY /items/{itemId}", "AnyItemFunction"),
        ("GET /files/{path+}", "FilesFunction"),
    ]


def test_a_route_declared_twice_is_refused(tmp_path: Path) -> None:
    template = write_template(tmp_path, with_default=True)
    template.raw["Resources"]["OtherDefault"] = template.raw["Resources"]["CatchAllFunction"]
    with pytest.raises(ValueError, match=r"route \$default is declared by CatchAllFunction and OtherDefault"):
        Router(template)


# Over HTTP


def test_an_unmatched_request_goes_to_default_without_path_parameters(echo_url: str) -> None:
    assert routed(echo_url, "POST", "/nothing/here") == ("CatchAllFunction", "$default", None)


def test_default_gets_the_whole_path_as_sent(echo_url: str) -> None:
    _, event = echo(echo_url, "GET", "/a/b%2Fc?x=1")
    assert (event["rawPath"], event["rawQueryString"], event["requestContext"]["routeKey"]) == (
        "/a/b%2Fc",
        "x=1",
        "$default",
    )


def test_without_default_an_unmatched_request_is_the_gateways_404(no_default_url: str) -> None:
    assert send_raw(no_default_url, request("POST", b"/nothing/here")) == [gateway(404, "Not Found")]


def test_a_method_with_no_route_of_its_own_goes_to_any(echo_url: str) -> None:
    assert routed(echo_url, "DELETE", "/items/7") == (
        "AnyItemFunction",
        "ANY /items/{itemId}",
        {"itemId": "7"},
    )


def test_a_method_with_a_route_of_its_own_does_not_go_to_any(echo_url: str) -> None:
    assert routed(echo_url, "GET", "/items/7") == ("ItemsFunction", "GET /items/{itemId}", {"itemId": "7"})


def test_a_literal_segment_beats_a_parameter(echo_url: str) -> None:
    assert routed(echo_url, "GET", "/items/special") == ("ItemsFunction", "GET /items/special", None)


def test_a_greedy_parameter_takes_the_rest_of_the_path_decoded(echo_url: str) -> None:
    assert routed(echo_url, "GET", "/files/a/b%20c/%C3%A9") == (
        "FilesFunction",
        "GET /files/{path+}",
        {"path": "a/b c/é"},
    )


def test_a_path_outside_the_greedy_route_goes_to_default(echo_url: str) -> None:
    assert routed(echo_url, "GET", "/files") == ("CatchAllFunction", "$default", None)


def test_raw_path_keeps_the_percent_encoding_and_parameters_are_decoded(echo_url: str) -> None:
    _, event = echo(echo_url, "GET", "/items/a%2Fb%20c")
    assert (event["rawPath"], event["pathParameters"]) == ("/items/a%2Fb%20c", {"itemId": "a/b c"})


def test_raw_utf8_in_the_target_is_seen_percent_encoded(echo_url: str) -> None:
    _, event = echo(echo_url, "GET", "/items/é?q=ü")
    assert (
        event["rawPath"],
        event["pathParameters"],
        event["rawQueryString"],
        event["queryStringParameters"],
    ) == (
        "/items/%C3%A9",
        {"itemId": "é"},
        "q=%C3%BC",
        {"q": "ü"},
    )


def test_a_query_that_is_not_utf8_once_decoded_is_400(echo_url: str) -> None:
    assert send_raw(echo_url, request("GET", b"/items/1?q=%FF")) == [gateway(400, "Bad Request")]


def test_an_absolute_form_target_is_routed_by_its_path(echo_url: str) -> None:
    assert routed(echo_url, "GET", "http://127.0.0.1/items/7") == (
        "ItemsFunction",
        "GET /items/{itemId}",
        {"itemId": "7"},
    )


def test_openapi_json_keeps_priority_over_default(echo_url: str) -> None:
    response = requests.get(f"{echo_url}/openapi.json", timeout=30)
    assert (response.status_code, response.content) == (200, openapi_document())


@pytest.mark.skipif(
    not SWAGGER_UI.is_dir(), reason="swagger-ui-dist not installed (npm ci in tools/localrun/)"
)
def test_docs_keep_priority_over_default(echo_url: str) -> None:
    response = requests.get(f"{echo_url}/docs", timeout=30)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/html; charset=utf-8")


def test_a_local_page_for_another_method_goes_to_default(echo_url: str) -> None:
    assert routed(echo_url, "POST", "/openapi.json") == ("CatchAllFunction", "$default", None)


def test_an_incomplete_request_times_out_with_408(templates: dict[bool, Template]) -> None:
    for url in serve(templates[True], request_timeout=0.5):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}")
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        status_line, _, rest = received.partition(b"\r\n")
        assert (status_line, json.loads(rest.partition(b"\r\n\r\n")[2])) == (
            b"HTTP/1.1 408 Request Timeout",
            {"message": "Request Timeout"},
        )
