"""Powertools' Depends() through the resolver every function uses: each route's dependency tree is
built once (not on every request), and ``dependency_overrides`` still replace a dependency."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import depends
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge.app import AuthstateResolver, json_response

CALLS: list[str] = []


def greeting() -> str:
    CALLS.append("greeting")
    return "hello"


def other_greeting() -> str:
    return "hi"


app = AuthstateResolver(require_key=False)


@app.get("/greet")
def greet(word: Annotated[str, Depends(greeting)]) -> Any:
    return json_response(200, {"word": word})


def event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /greet",
        "rawPath": "/greet",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {"method": "GET", "path": "/greet", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "r",
            "routeKey": "GET /greet",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def word(response: dict[str, Any]) -> str:
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["word"])


def test_a_route_s_dependency_tree_is_built_once_and_solved_per_request() -> None:
    app.resolve(event(), None)  # type: ignore[arg-type]
    built = depends.build_dependency_tree.cache_info().misses  # type: ignore[attr-defined]
    CALLS.clear()
    assert [word(app.resolve(event(), None)) for _ in range(3)] == ["hello"] * 3  # type: ignore[arg-type]
    assert depends.build_dependency_tree.cache_info().misses == built  # type: ignore[attr-defined]
    assert CALLS == ["greeting"] * 3


def test_an_override_still_replaces_the_dependency() -> None:
    app.resolve(event(), None)  # type: ignore[arg-type]
    app.dependency_overrides[greeting] = other_greeting
    try:
        assert word(app.resolve(event(), None)) == "hi"  # type: ignore[arg-type]
    finally:
        app.dependency_overrides.clear()
    assert word(app.resolve(event(), None)) == "hello"  # type: ignore[arg-type]
