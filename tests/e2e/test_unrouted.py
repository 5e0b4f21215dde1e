"""Requests no route takes go to the $default route: a JSON 405 with Allow for a path the API has, a
JSON 404 for one it has not (as API Gateway would route them, and the local runner does)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/users/u-1/metadata", "DELETE, GET, PATCH"),
        ("GET", "/sessions", "POST"),
        ("PATCH", "/sessions/verify", "DELETE, GET, POST"),
        ("POST", "/sessions/286956d5-6135-4ae9-b41a-2cb2ff73aca0/data", "GET, PATCH, PUT"),
        ("PUT", "/.well-known/jwks.json", "GET"),
    ],
)
def test_a_wrong_method_on_a_known_path_is_405_with_allow(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.call(method, path, json={})
    assert (response.status_code, response.headers["Allow"]) == (405, allow)
    assert response.json() == {
        "code": "METHOD_NOT_ALLOWED",
        "message": f"{path} does not take {method}; it takes {allow}",
    }


@pytest.mark.parametrize("path", ["/", "/user/u-1/metadata", "/sessions/a/b/c", "/openapi"])
def test_an_unknown_path_is_404_route_not_found(api: Api, path: str) -> None:
    response = api.call("GET", path, key=None)
    assert response.status_code == 404
    assert response.json() == {
        "code": "ROUTE_NOT_FOUND",
        "message": f"no route GET {path} (see /openapi.json)",
    }
