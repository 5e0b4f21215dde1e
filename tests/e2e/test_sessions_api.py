"""The seeds' session scenarios over real HTTP against the local server."""

from __future__ import annotations

import base64
import json
from functools import partial
from typing import Any

import jwt
import pytest

from tests.concurrency import run_concurrently
from tests.e2e.conftest import Api


def create(api: Api, user_id: str, **fields: Any) -> dict[str, Any]:
    response = api.call("POST", "/sessions", json={"userId": user_id, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_create_with_claims_then_verify_shows_them(api: Api, unique_id: str) -> None:
    created = create(
        api, unique_id, accessTokenPayload={"role": "admin", "skip": None}, sessionData={"cart": 2}
    )
    assert set(created) == {"session", "accessTokenPayload", "accessToken", "refreshToken", "antiCsrfToken"}
    assert created["accessTokenPayload"] == {"role": "admin"}
    assert created["session"]["userId"] == unique_id
    assert created["session"]["tenantId"] == "public"
    assert "cart" not in json.dumps(claims_of(created["accessToken"]["token"]))
    verified = api.call("POST", "/sessions/verify", json={"accessToken": created["accessToken"]["token"]})
    assert verified.status_code == 200
    assert verified.json() == {
        "session": created["session"],
        "accessTokenPayload": {"role": "admin"},
        "expiry": created["accessToken"]["expiry"],
    }


def test_online_merge_removes_null_key_and_returns_token_with_the_change(api: Api, unique_id: str) -> None:
    created = create(api, unique_id, accessTokenPayload={"theme": "dark", "todos": [1]})
    old_token = created["accessToken"]["token"]
    merged = api.call(
        "POST", "/sessions/merge", json={"accessToken": old_token, "update": {"todos": None, "n": 1}}
    )
    assert merged.status_code == 200
    body = merged.json()
    assert body["accessTokenPayload"] == {"n": 1, "theme": "dark"}
    new_claims = claims_of(body["accessToken"]["token"])
    assert (new_claims["n"], new_claims["theme"], "todos" in new_claims) == (1, "dark", False)
    assert new_claims["exp"] == claims_of(old_token)["exp"]
    verified = api.call("POST", "/sessions/verify", json={"accessToken": body["accessToken"]["token"]})
    assert verified.json()["accessTokenPayload"] == {"n": 1, "theme": "dark"}


def test_offline_merge_invisible_in_old_token_visible_after_refresh(api: Api, unique_id: str) -> None:
    created = create(api, unique_id, accessTokenPayload={"plan": "free"})
    handle = created["session"]["handle"]
    patched = api.call(
        "PATCH", f"/sessions/{handle}/payload", json={"update": {"plan": "pro", "trial": True}}
    )
    assert patched.json() == {"accessTokenPayload": {"plan": "pro", "trial": True}}
    old = api.call("POST", "/sessions/verify", json={"accessToken": created["accessToken"]["token"]})
    assert old.json()["accessTokenPayload"] == {"plan": "free"}
    refreshed = api.call("POST", "/sessions/refresh", json={"refreshToken": created["refreshToken"]["token"]})
    assert refreshed.status_code == 200
    assert claims_of(refreshed.json()["accessToken"]["token"])["plan"] == "pro"
    assert refreshed.json()["accessTokenPayload"] == {"plan": "pro", "trial": True}


def test_session_data_online_and_offline(api: Api, unique_id: str) -> None:
    first = create(api, unique_id, sessionData={"step": 1})
    create(api, unique_id, tenantId="tenant-b", sessionData={"step": 1})
    online = api.call(
        "PUT",
        "/sessions/data",
        json={"accessToken": first["accessToken"]["token"], "sessionData": {"cart": [1]}},
    )
    assert online.json() == {"sessionData": {"cart": [1]}}
    read = api.call(
        "POST",
        "/sessions/verify",
        json={"accessToken": first["accessToken"]["token"], "includeSessionData": True},
    )
    assert read.json()["sessionData"] == {"cart": [1]}
    handles = api.call("GET", f"/users/{unique_id}/sessions").json()["sessionHandles"]
    assert len(handles) == 2
    for handle in handles:
        updated = api.call("PATCH", f"/sessions/{handle}/data", json={"update": {"flag": "offline"}})
        assert updated.status_code == 200
    data = [api.call("GET", f"/sessions/{handle}/data").json()["sessionData"] for handle in sorted(handles)]
    assert sorted(data, key=json.dumps) == sorted(
        [{"cart": [1], "flag": "offline"}, {"step": 1, "flag": "offline"}], key=json.dumps
    )
    only_b = api.call("GET", f"/users/{unique_id}/sessions", params={"tenantId": "tenant-b"}).json()
    assert len(only_b["sessionHandles"]) == 1
    overwritten = api.call("PUT", f"/sessions/{handles[0]}/data", json={"sessionData": {}})
    assert overwritten.json() == {"sessionData": {}}


def test_get_session(api: Api, unique_id: str) -> None:
    created = create(api, unique_id, tenantId="t1", accessTokenPayload={"a": 1}, sessionData={"b": 2})
    handle = created["session"]["handle"]
    body = api.call("GET", f"/sessions/{handle}").json()["session"]
    assert {k: body[k] for k in ("handle", "userId", "tenantId", "accessTokenPayload", "sessionData")} == {
        "handle": handle,
        "userId": unique_id,
        "tenantId": "t1",
        "accessTokenPayload": {"a": 1},
        "sessionData": {"b": 2},
    }
    assert body["expiry"] == created["refreshToken"]["expiry"]


def test_concurrent_online_merges_of_distinct_keys_lose_nothing(
    api: Api, server_url: str, unique_id: str
) -> None:
    token = create(api, unique_id)["accessToken"]["token"]
    threads, merges = 6, 15
    statuses: list[int] = []

    def worker(number: int) -> None:
        import requests

        with requests.Session() as session:
            own = Api(server_url, session)
            for i in range(merges):
                statuses.append(
                    own.call(
                        "POST",
                        "/sessions/merge",
                        json={"accessToken": token, "update": {f"t{number}-{i}": i}},
                    ).status_code
                )

    run_concurrently(partial(worker, n) for n in range(threads))
    assert statuses == [200] * (threads * merges)
    handle = claims_of(token)["sessionHandle"]
    payload = api.call("GET", f"/sessions/{handle}").json()["session"]["accessTokenPayload"]
    assert payload == {f"t{n}-{i}": i for n in range(threads) for i in range(merges)}


def test_refresh_token_reuse_is_theft_and_revokes(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    old = created["refreshToken"]["token"]
    child = api.call("POST", "/sessions/refresh", json={"refreshToken": old}).json()
    assert (
        api.call(
            "POST", "/sessions/refresh", json={"refreshToken": child["refreshToken"]["token"]}
        ).status_code
        == 200
    )
    theft = api.call("POST", "/sessions/refresh", json={"refreshToken": old})
    assert theft.status_code == 401
    assert theft.json() == {
        "code": "TOKEN_THEFT_DETECTED",
        "message": "a refresh token was reused after rotation: the session has been revoked",
        "sessionHandle": created["session"]["handle"],
        "userId": unique_id,
    }
    check = api.call(
        "POST", "/sessions/verify", json={"accessToken": child["accessToken"]["token"], "checkDatabase": True}
    )
    assert (check.status_code, check.json()["code"]) == (401, "SESSION_REVOKED")


def test_revoke_one_and_all(api: Api, unique_id: str) -> None:
    handles = sorted(create(api, unique_id)["session"]["handle"] for _ in range(3))
    assert api.call("DELETE", f"/sessions/{handles[0]}").json() == {"revoked": True}
    assert api.call("DELETE", f"/sessions/{handles[0]}").json() == {"revoked": False}
    assert api.call("DELETE", f"/users/{unique_id}/sessions").json() == {"revokedSessionHandles": handles[1:]}
    assert api.call("GET", f"/users/{unique_id}/sessions").json() == {"sessionHandles": []}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_and_unsigned_tokens_are_401(api: Api, unique_id: str) -> None:
    token = create(api, unique_id, accessTokenPayload={"role": "user"})["accessToken"]["token"]
    header, payload, signature = token.split(".")
    claims = claims_of(token)
    attacks = {
        "tampered payload": (
            f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}",
            "TOKEN_SIGNATURE_INVALID",
        ),
        "alg none": (f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.", "TOKEN_ALGORITHM_NOT_ALLOWED"),
        "truncated": (token[:-10], "TOKEN_MALFORMED"),
        "garbage": ("x" * 40, "TOKEN_MALFORMED"),
    }
    for name, (forged, code) in attacks.items():
        for path, extra in (("/sessions/verify", {}), ("/sessions/merge", {"update": {"role": "admin"}})):
            response = api.call("POST", path, json={"accessToken": forged, **extra})
            assert (response.status_code, response.json()["code"]) == (401, code), name
    handle = claims["sessionHandle"]
    assert api.call("GET", f"/sessions/{handle}").json()["session"]["accessTokenPayload"] == {"role": "user"}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"userId": "u", "accessTokenPayload": {"sub": "someone-else"}}, 400, "PROTECTED_CLAIM"),
        ({"userId": "u", "accessTokenPayload": {"big": "x" * 5000}}, 413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"),
        ({"userId": ""}, 400, "VALIDATION_ERROR"),
        ({"userId": "u", "tenantId": "bad tenant!"}, 400, "VALIDATION_ERROR"),
        ({"userId": 5}, 400, "VALIDATION_ERROR"),
        ({"userId": "u", "sessionData": {"": 1}}, 400, "INVALID_KEY"),
    ],
)
def test_bad_create_requests(api: Api, body: dict[str, Any], status: int, code: str) -> None:
    response = api.call("POST", "/sessions", json=body)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_protected_claim_in_merge_is_400_and_nothing_stored(api: Api, unique_id: str) -> None:
    created = create(api, unique_id, accessTokenPayload={"a": 1})
    token, handle = created["accessToken"]["token"], created["session"]["handle"]
    for update in ({"exp": 9999999999}, {"sub": None}):
        online = api.call("POST", "/sessions/merge", json={"accessToken": token, "update": update})
        offline = api.call("PATCH", f"/sessions/{handle}/payload", json={"update": update})
        assert [online.status_code, offline.status_code] == [400, 400]
        assert {online.json()["code"], offline.json()["code"]} == {"PROTECTED_CLAIM"}
    assert api.call("GET", f"/sessions/{handle}").json()["session"]["accessTokenPayload"] == {"a": 1}


def test_unknown_and_malformed_handles(api: Api) -> None:
    unknown = api.call(
        "PATCH", "/sessions/00000000-0000-4000-8000-000000000000/payload", json={"update": {"a": 1}}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "SESSION_NOT_FOUND")
    malformed = api.call("GET", "/sessions/not-a-handle")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "INVALID_SESSION_HANDLE")


def test_jwks_is_public_cacheable_and_verifies_tokens(api: Api, server_url: str, unique_id: str) -> None:
    token = create(api, unique_id, accessTokenPayload={"k": "v"})["accessToken"]["token"]
    response = api.call("GET", "/.well-known/jwks.json", key=None)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    jwks = jwt.PyJWKSet.from_dict(response.json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    assert jwt.decode(token, key.key, algorithms=["RS256"])["k"] == "v"
    assert all("d" not in k for k in response.json()["keys"])  # public parts only
