"""Cases found while fuzzing and probing the contract, kept as plain end-to-end tests (not marked
``fuzz``: they run with the rest of the suite)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.fuzz.conftest import API_KEY, Api


def _compact_size(document: dict[str, object]) -> int:
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "QUERY"])
def test_a_method_no_route_has_gets_a_json_405(api: Api, method: str) -> None:
    """Was http.server's HTML ``501 Unsupported method`` (schemathesis' coverage phase sends TRACE),
    then the gateway's bare 404; now the $default route's 405 with Allow."""
    response = api.call(method, "/users/user-1/metadata")
    assert (response.status_code, response.headers["Allow"]) == (405, "DELETE, GET, PATCH")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_overlong_tenant_filter_is_400_not_a_server_error(api: Api, unique_id: str, method: str) -> None:
    """Found by hand: ?tenantId= went unvalidated into the byUser sort key (500 over 1024 bytes)."""
    response = api.call(method, f"/users/{unique_id}/sessions", params={"tenantId": "a" * 1025})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_TENANT_ID")


def test_an_over_cap_offline_merge_of_many_keys_leaves_the_claims_as_they_were(
    api: Api, unique_id: str
) -> None:
    """Found by hand: the undo of a many-key over-cap merge did not fit one expression and was lost
    (since issue 18 nothing is undone: a refused merge writes nothing)."""
    original = {"pad": "x" * 2500}
    created = api.call("POST", "/sessions", json={"userId": unique_id, "accessTokenPayload": original})
    assert created.status_code == 201, created.text
    handle = created.json()["session"]["handle"]
    update = {f"k{i:03d}": 1 for i in range(200)}  # ~1.8 KB alone; over 4096 bytes with the pad
    merged = api.call("PATCH", f"/sessions/{handle}/payload", json={"update": update})
    assert merged.status_code == 413, merged.text
    assert merged.json()["code"] == "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"
    stored = api.call("GET", f"/sessions/{handle}").json()["session"]["accessTokenPayload"]
    assert stored == original, f"an over-cap payload of {_compact_size(stored)} bytes stayed stored"


@pytest.mark.parametrize("raw_user_id", ['a"b', "a`b", "a\\b"])
def test_a_raw_special_character_in_a_path_parameter_reaches_the_handler(
    server_url: str, raw_user_id: str
) -> None:
    """Issue 11.11 (was a strict xfail): characters outside Powertools' route regex are percent-encoded
    before routing, so the user id arrives as sent."""
    # Sent as is (requests would percent-encode it, and the encoded form works).
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(
            "PATCH",
            f"/users/{raw_user_id}/metadata",
            body=json.dumps({"metadataUpdate": {"id": raw_user_id}}),
            headers={"api-key": API_KEY, "content-type": "application/json"},
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert (response.status, body) == (200, {"metadata": {"id": raw_user_id}})
