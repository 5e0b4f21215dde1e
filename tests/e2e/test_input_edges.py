"""Odd input over real HTTP (the second security probe, issue 11.1, 11.7 to 11.9): a non-ASCII anti-CSRF
token, empty or newline-ended tenant ids and handles, documents 64 and 65 levels deep, numbers beyond a
double or with more digits than one holds: each a named 4xx, or kept exactly, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.calls import CLAIMS_CAP, create, outcome, size_of, verify
from tests.e2e.conftest import Api

#: Nesting limit of a document (the document object itself is level 1), issue 11.8.
MAX_DEPTH = 64


# -- 11.1 non-ASCII anti-CSRF token ----------------------------------------------------------------

ONLINE_ROUTES_WITH_CSRF = {
    "verify": ("POST", "/sessions/verify", {}),
    "merge": ("POST", "/sessions/merge", {"update": {"a": 1}}),
    "put-data": ("PUT", "/sessions/data", {"sessionData": {"a": 1}}),
    "patch-data": ("PATCH", "/sessions/data", {"update": {"a": 1}}),
}


@pytest.mark.parametrize("csrf", ["é", "😀"], ids=["latin1", "astral"])
@pytest.mark.parametrize("route", list(ONLINE_ROUTES_WITH_CSRF))
def test_non_ascii_anti_csrf_token_is_401(api: Api, unique_id: str, route: str, csrf: str) -> None:
    """11.1: a non-ASCII anti-CSRF token is a wrong token (401 ANTI_CSRF_FAILED, nothing written),
    not a crash."""
    created = create(api, unique_id, enableAntiCsrf=True, sessionData={"keep": 1})
    method, path, extra = ONLINE_ROUTES_WITH_CSRF[route]
    body = {"accessToken": created["accessToken"]["token"], "antiCsrfToken": csrf, **extra}
    response = api.call(method, path, json=body)
    stored = api.call("GET", f"/sessions/{created['session']['handle']}").json()["session"]
    assert (outcome(response), stored["accessTokenPayload"], stored["sessionData"]) == (
        (401, "ANTI_CSRF_FAILED"),
        {},
        {"keep": 1},
    )


# -- 11.7 tenant filter and handle edge cases ------------------------------------------------------


def test_list_with_empty_tenant_filter_is_400(api: Api, unique_id: str) -> None:
    """11.7: GET /users/{id}/sessions?tenantId= (empty) → 400 INVALID_TENANT_ID."""
    create(api, unique_id)
    response = api.call("GET", f"/users/{unique_id}/sessions?tenantId=")
    assert outcome(response) == (400, "INVALID_TENANT_ID")


def test_revoke_with_empty_tenant_filter_is_400_and_revokes_nothing(api: Api, unique_id: str) -> None:
    """11.7: DELETE /users/{id}/sessions?tenantId= (empty) → 400 INVALID_TENANT_ID, nothing revoked."""
    handle = create(api, unique_id)["session"]["handle"]
    response = api.call("DELETE", f"/users/{unique_id}/sessions?tenantId=")
    listed = api.call("GET", f"/users/{unique_id}/sessions").json()["sessionHandles"]
    assert (outcome(response), listed) == ((400, "INVALID_TENANT_ID"), [handle])


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_tenant_filter_with_trailing_newline_is_400(api: Api, unique_id: str, method: str) -> None:
    """11.7: ?tenantId=public%0A → 400 INVALID_TENANT_ID."""
    create(api, unique_id)
    response = api.call(method, f"/users/{unique_id}/sessions?tenantId=public%0A")
    assert outcome(response) == (400, "INVALID_TENANT_ID")


def test_create_with_tenant_id_with_trailing_newline_is_400(api: Api, unique_id: str) -> None:
    """11.7: POST /sessions with tenantId "public\\n" → 400 VALIDATION_ERROR."""
    response = api.call("POST", "/sessions", json={"userId": unique_id, "tenantId": "public\n"})
    assert outcome(response) == (400, "VALIDATION_ERROR")


def test_session_handle_with_trailing_newline_is_400(api: Api, unique_id: str) -> None:
    """11.7: GET /sessions/<valid uuid>%0A → 400 INVALID_SESSION_HANDLE."""
    handle = create(api, unique_id)["session"]["handle"]
    response = api.call("GET", f"/sessions/{handle}%0A")
    assert outcome(response) == (400, "INVALID_SESSION_HANDLE")


# -- 11.8 nesting limit ----------------------------------------------------------------------------


def nested_document(depth: int) -> dict[str, Any]:
    """A document of ``depth`` levels of containers (the document object is level 1), alternating
    arrays and objects, with a scalar in the innermost one (scalars add no level)."""
    value: Any = 1
    for level in range(depth - 1):
        value = [value] if level % 2 == 0 else {"o": value}
    document = {"k": value}
    assert size_of(document) < CLAIMS_CAP
    return document


def _depth(document: Any) -> int:
    if isinstance(document, dict):
        return 1 + max((_depth(v) for v in document.values()), default=0)
    if isinstance(document, list):
        return 1 + max((_depth(v) for v in document), default=0)
    return 0


def _nesting_route(api: Api, user_id: str, route: str, document: dict[str, Any]) -> requests.Response:
    if route == "metadata":
        return api.call("PATCH", f"/users/{user_id}/metadata", json={"metadataUpdate": document})
    if route == "create-payload":
        return api.call("POST", "/sessions", json={"userId": user_id, "accessTokenPayload": document})
    if route == "create-data":
        return api.call("POST", "/sessions", json={"userId": user_id, "sessionData": document})
    created = create(api, user_id)
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    if route == "online-merge":
        return api.call("POST", "/sessions/merge", json={"accessToken": token, "update": document})
    if route == "offline-payload":
        return api.call("PATCH", f"/sessions/{handle}/payload", json={"update": document})
    if route == "put-data":
        return api.call("PUT", f"/sessions/{handle}/data", json={"sessionData": document})
    assert route == "patch-data"
    return api.call("PATCH", f"/sessions/{handle}/data", json={"update": document})


NESTING_ROUTES = [
    "metadata",
    "create-payload",
    "create-data",
    "online-merge",
    "offline-payload",
    "put-data",
    "patch-data",
]


@pytest.mark.parametrize("route", NESTING_ROUTES)
def test_document_nested_64_levels_is_accepted(api: Api, unique_id: str, route: str) -> None:
    """11.8: a document 64 levels deep (the document object is level 1) is accepted."""
    document = nested_document(MAX_DEPTH)
    assert _depth(document) == MAX_DEPTH
    response = _nesting_route(api, unique_id, route, document)
    assert outcome(response) == ((201 if route.startswith("create") else 200), None)


@pytest.mark.parametrize("route", NESTING_ROUTES)
def test_document_nested_65_levels_is_400(api: Api, unique_id: str, route: str) -> None:
    """11.8: a document 65 levels deep → 400 NESTING_TOO_DEEP."""
    document = nested_document(MAX_DEPTH + 1)
    assert _depth(document) == MAX_DEPTH + 1
    response = _nesting_route(api, unique_id, route, document)
    assert outcome(response) == (400, "NESTING_TOO_DEEP")


def test_token_with_payload_nested_64_levels_verifies(api: Api, unique_id: str) -> None:
    """11.8 (and 11.2): the token minted for a 64-level payload verifies: the claims object is
    level 1, as the payload document is."""
    response = api.call(
        "POST", "/sessions", json={"userId": unique_id, "accessTokenPayload": nested_document(MAX_DEPTH)}
    )
    assert outcome(response) == (201, None)
    assert outcome(verify(api, response.json()["accessToken"]["token"])) == (200, None)


# -- 11.9 numbers round-trip exactly ---------------------------------------------------------------


def patch_metadata_raw(api: Api, user_id: str, body: str) -> requests.Response:
    return api.call(
        "PATCH",
        f"/users/{user_id}/metadata",
        data=body.encode(),
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("sent", "returned"),
    [
        pytest.param("1E5", "1E5", id="1E5"),
        pytest.param("1e-7", "1e-7", id="1e-7"),
        pytest.param(
            "0.1000000000000000000001",
            "0.1000000000000000000001",
            id="long-fraction",
        ),
        pytest.param(
            "123456789012345678901234567890.123456789",
            "123456789012345678901234567890.123456789",
            id="long-decimal",
        ),
        pytest.param("1.0", "1.0", id="1.0"),
        pytest.param("-0.0", "-0.0", id="-0.0"),
    ],
)
def test_numbers_round_trip_exactly(api: Api, unique_id: str, sent: str, returned: str) -> None:
    """11.9: a number comes back with its digits exactly as sent (the literal itself, exponent and all),
    in the PATCH response and when read back."""
    patched = patch_metadata_raw(api, unique_id, f'{{"metadataUpdate": {{"a": {sent}}}}}')
    read = api.call("GET", f"/users/{unique_id}/metadata")
    expected = f'"a":{returned}'
    assert (outcome(patched), expected in patched.text, expected in read.text) == ((200, None), True, True), (
        patched.text,
        read.text,
    )


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("1e-400", id="1e-400"),
        pytest.param("1e400", id="1e400"),
    ],
)
def test_number_beyond_a_double_is_400(api: Api, unique_id: str, sent: str) -> None:
    """11.9: a number a 64-bit float cannot hold (overflow or underflow to 0) → 400 INVALID_NUMBER."""
    response = patch_metadata_raw(api, unique_id, f'{{"metadataUpdate": {{"a": {sent}}}}}')
    stored = api.call("GET", f"/users/{unique_id}/metadata").json()
    assert (outcome(response), stored) == ((400, "INVALID_NUMBER"), {"metadata": {}})
