"""A new user's mistakes, over real HTTP: each is answered with a named code and a message that names
the fix, never a 500; a JSON body is JSON under any spelling of its media type; a query parameter a
route does not take is refused, as unknown body fields are; client errors keep the console quiet.

Before: ``Content-Type: Application/JSON`` was a 500; ``GET /sessions/verify`` was "verify is not a
session handle"; an access token sent as ``refreshToken`` was "at most 512 characters"; ``Bearer eyJ…``
as ``accessToken`` was "its parts are not JSON objects"; a refresh token sent to verify "not a JWT";
``Authorization: <key>`` without its scheme ``MISSING_API_KEY`` without a word on the scheme;
``?tenant=public`` silently ignored; ``GET /apiversion`` (an SDK without ``/cdi``) a bare 404; every
4xx a ~480-character INFO line in the console."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import API_KEY, Api
from tools.localrun.process import local_server
from tools.localrun.template import DEFAULT_ROUTE, Template


@dataclass
class Session:
    user_id: str
    handle: str
    access: str
    refresh: str


@pytest.fixture
def session(api: Api, unique_id: str) -> Session:
    response = api.call("POST", "/sessions", json={"userId": unique_id})
    assert response.status_code == 201, response.text
    body = response.json()
    return Session(
        unique_id, body["session"]["handle"], body["accessToken"]["token"], body["refreshToken"]["token"]
    )


#: One valid request per route of the template (but the CDI's): (method, route, path, body, status).
type Valid = tuple[str, str, str, Any, int]


def valid_requests(session: Session) -> list[Valid]:
    s, user = session, session.user_id
    return [
        ("GET", "/users/{userId}/metadata", f"/users/{user}/metadata", None, 200),
        ("PATCH", "/users/{userId}/metadata", f"/users/{user}/metadata", {"metadataUpdate": {"k": 1}}, 200),
        ("DELETE", "/users/{userId}/metadata", f"/users/{user}/metadata", None, 200),
        ("POST", "/sessions", "/sessions", {"userId": user}, 201),
        ("POST", "/sessions/verify", "/sessions/verify", {"accessToken": s.access}, 200),
        ("POST", "/sessions/merge", "/sessions/merge", {"accessToken": s.access, "update": {"k": 1}}, 200),
        (
            "PATCH",
            "/sessions/{sessionHandle}/payload",
            f"/sessions/{s.handle}/payload",
            {"update": {"k": 2}},
            200,
        ),
        (
            "PUT",
            "/sessions/{sessionHandle}/data",
            f"/sessions/{s.handle}/data",
            {"sessionData": {"a": 1}},
            200,
        ),
        ("PATCH", "/sessions/{sessionHandle}/data", f"/sessions/{s.handle}/data", {"update": {"b": 2}}, 200),
        ("PUT", "/sessions/data", "/sessions/data", {"accessToken": s.access, "sessionData": {"c": 3}}, 200),
        ("PATCH", "/sessions/data", "/sessions/data", {"accessToken": s.access, "update": {"d": 4}}, 200),
        ("GET", "/sessions/{sessionHandle}", f"/sessions/{s.handle}", None, 200),
        ("GET", "/sessions/{sessionHandle}/data", f"/sessions/{s.handle}/data", None, 200),
        ("GET", "/users/{userId}/sessions", f"/users/{user}/sessions", None, 200),
        ("GET", "/.well-known/jwks.json", "/.well-known/jwks.json", None, 200),
        # last: they end the session (the refresh rotates its token)
        ("POST", "/sessions/refresh", "/sessions/refresh", {"refreshToken": s.refresh}, 200),
        ("DELETE", "/sessions/{sessionHandle}", f"/sessions/{s.handle}", None, 200),
        ("DELETE", "/users/{userId}/sessions", f"/users/{user}/sessions", None, 200),
    ]


def test_the_valid_requests_cover_every_route(template: Template, session: Session) -> None:
    routes = {
        (route.method, route.path)
        for spec in template.functions()
        for route in spec.routes
        if route.path != DEFAULT_ROUTE and not route.path.startswith("/cdi/")
    }
    assert sorted((method, route) for method, route, *_ in valid_requests(session)) == sorted(routes)


JSON_SPELLINGS = [
    "Application/JSON",
    "APPLICATION/JSON",
    "application/json; charset=UTF-8",
    "application/vnd.api+json",
    "application/merge-patch+json",
]


@pytest.mark.parametrize("content_type", JSON_SPELLINGS)
def test_every_route_with_a_body_reads_json_under_any_spelling(
    api: Api, session: Session, content_type: str
) -> None:
    answered = []
    for method, route, path, body, _ in valid_requests(session):
        if body is None:
            continue
        if route == "/sessions/refresh":
            body = {"refreshToken": session.refresh}
        response = api.call(method, path, data=json.dumps(body), headers={"content-type": content_type})
        answered.append((method, route, response.status_code))
        if route == "/sessions/refresh" and response.ok:
            session.refresh = response.json()["refreshToken"]["token"]
    expected = [(method, route, status) for method, route, _, body, status in valid_requests(session) if body]
    assert answered == expected


def test_every_route_refuses_a_query_parameter_it_does_not_take(api: Api, session: Session) -> None:
    answered = []
    for method, route, path, body, _ in valid_requests(session):
        response = api.call(method, path, json=body, params={"tenant": "public"})
        answered.append((method, route, response.status_code, response.json()))
    takes = {"/users/{userId}/sessions": "takes only `tenantId`"}
    prefix = "unknown query parameter `tenant`:"
    assert answered == [
        (
            method,
            route,
            400,
            {
                "code": "UNKNOWN_QUERY_PARAMETER",
                "message": f"{prefix} {method} {route} {takes.get(route, 'takes none')}",
            },
        )
        for method, route, *_ in valid_requests(session)
    ]
    # Nothing happened: the session is still there, its refresh token still current.
    assert api.call("POST", "/sessions/refresh", json={"refreshToken": session.refresh}).status_code == 200


def test_the_listing_still_takes_tenant_id(api: Api, session: Session) -> None:
    response = api.call("GET", f"/users/{session.user_id}/sessions", params={"tenantId": "public"})
    assert (response.status_code, response.json()) == (200, {"sessionHandles": [session.handle]})


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    ("literal", "allowed"),
    [("verify", "POST"), ("refresh", "POST"), ("merge", "POST"), ("data", "PATCH, PUT")],
)
def test_another_method_on_a_literal_session_path_is_405_not_a_bad_handle(
    api: Api, method: str, literal: str, allowed: str
) -> None:
    response = api.call(method, f"/sessions/{literal}")
    assert (response.status_code, response.json(), response.headers["Allow"]) == (
        405,
        {
            "code": "METHOD_NOT_ALLOWED",
            "message": f"/sessions/{literal} does not take {method}; it takes {allowed}",
        },
        allowed,
    )


def test_a_path_that_is_not_a_handle_is_still_invalid_session_handle(api: Api) -> None:
    response = api.call("GET", "/sessions/verify-me")
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_SESSION_HANDLE")


ACCESS_AS_REFRESH = (
    "the refresh token is not valid: this is an access token (a JWT); send the refresh token"
    " (`refreshToken.token` of the session's creation or last refresh, `rt1.` and more)"
)


def test_an_access_token_sent_as_refresh_token_is_named(api: Api, session: Session) -> None:
    assert len(session.access) > 512  # what used to be "at most 512 characters"
    response = api.call("POST", "/sessions/refresh", json={"refreshToken": session.access})
    assert (response.status_code, response.json()) == (
        401,
        {"code": "REFRESH_TOKEN_INVALID", "message": ACCESS_AS_REFRESH},
    )


def test_a_short_jwt_sent_as_refresh_token_is_named_too(api: Api) -> None:
    response = api.call(
        "POST", "/sessions/refresh", json={"refreshToken": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    )
    assert (response.status_code, response.json()) == (
        401,
        {"code": "REFRESH_TOKEN_INVALID", "message": ACCESS_AS_REFRESH},
    )


def test_bearer_in_the_access_token_field_says_to_send_the_token_alone(api: Api, session: Session) -> None:
    response = api.call("POST", "/sessions/verify", json={"accessToken": f"Bearer {session.access}"})
    assert (response.status_code, response.json()["code"]) == (401, "TOKEN_MALFORMED")
    assert "it starts with `Bearer `; send the token alone" in response.json()["message"]


def test_a_refresh_token_sent_to_verify_says_where_it_goes(api: Api, session: Session) -> None:
    response = api.call("POST", "/sessions/verify", json={"accessToken": session.refresh})
    assert (response.status_code, response.json()) == (
        401,
        {
            "code": "TOKEN_MALFORMED",
            "message": "the access token is not a JWT: this is a refresh token; send the access token"
            " (`accessToken.token`), and the refresh token to POST /sessions/refresh as `refreshToken`",
        },
    )


NO_SCHEME = (
    "an API key is required: the Authorization header has no `Bearer <key>`; send"
    " `Authorization: Bearer <key>` (the word Bearer, a space, then the key), or `api-key: <key>`"
)


@pytest.mark.parametrize("authorization", [API_KEY, f"Basic {API_KEY}", "Bearer", "Token abc"])
def test_an_authorization_header_without_bearer_says_so(api: Api, authorization: str) -> None:
    response = api.call("GET", "/users/alice/metadata", key=None, headers={"authorization": authorization})
    assert (response.status_code, response.json()) == (401, {"code": "MISSING_API_KEY", "message": NO_SCHEME})
    assert API_KEY not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/apiversion",
        "/hello",
        "/recipe/session",
        "/public/recipe/session/user",
        "/appid-a/recipe/user/metadata",
    ],
)
def test_a_supertokens_core_path_without_cdi_says_where_the_core_is(api: Api, path: str) -> None:
    response = api.call("GET", path)
    assert (response.status_code, response.json()) == (
        404,
        {
            "code": "ROUTE_NOT_FOUND",
            "message": f"no route GET {path}: this is a SuperTokens core path, served under /cdi;"
            " SuperTokens SDKs: point connection_uri at …/cdi (this API's URL followed by /cdi)",
        },
    )


def test_any_other_unknown_path_is_a_plain_404(api: Api) -> None:
    response = api.call("GET", "/user/alice/metadata")
    assert response.json()["message"] == "no route GET /user/alice/metadata (see /openapi.json)"


# -- the console ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_server(
    dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A server at the template's log level (INFO), as `make run` starts one; only the functions' logs."""
    log = tmp_path_factory.mktemp("quiet") / "server.log"
    with local_server(dynamodb_endpoint, API_KEY, log) as url:
        yield url, log


def test_client_errors_write_nothing_but_their_access_line(
    default_server: tuple[str, Path], unique_id: str
) -> None:
    url, log = default_server
    mistakes: list[Callable[[requests.Session], requests.Response]] = [
        lambda http: http.get(f"{url}/users/{unique_id}/metadata", timeout=30),
        lambda http: http.get(f"{url}/users/{unique_id}/metadata", headers={"api-key": "wrong"}, timeout=30),
        lambda http: http.post(f"{url}/sessions", headers={"api-key": API_KEY}, json={}, timeout=30),
        lambda http: http.get(f"{url}/sessions/verify", headers={"api-key": API_KEY}, timeout=30),
        lambda http: http.get(f"{url}/nowhere", timeout=30),
        lambda http: http.post(
            f"{url}/sessions/verify", headers={"api-key": API_KEY}, json={"accessToken": "x.y.z"}, timeout=30
        ),
    ]
    before = log.read_text()
    with requests.Session() as http:
        statuses = [mistake(http).status_code for mistake in mistakes]
    assert statuses == [401, 401, 400, 405, 404, 401]
    # --quiet: no access log; and no function log line but the wrong key's, a security event (one short
    # WARNING line: README "Security events")
    written = log.read_text()[len(before) :].splitlines()
    assert [json.loads(line)["event"] for line in written] == ["invalid_api_key"]
