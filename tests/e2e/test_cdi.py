"""SuperTokens' Core Driver Interface 5.4 under /cdi, over real HTTP: exact shapes, status strings and
error styles, as the SDKs read them (the unmodified SDKs themselves run in tests/sdk)."""

from __future__ import annotations

from functools import partial
from typing import Any

import jwt
import pytest
import requests

from tests.concurrency import run_concurrently
from tests.e2e.conftest import API_KEY, Api

ISS = "http://api.example.com/auth"


def cdi(api: Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"cdi-version": "5.4", "rid": "session", **kwargs.pop("headers", {})}
    return api.call(method, "/cdi" + path, headers=headers, **kwargs)


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create(api: Api, user_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "userId": user_id,
        "userDataInJWT": {"role": "admin", "iss": ISS},
        "userDataInDatabase": {"db": {"a": 1}},
        "useDynamicSigningKey": True,
        "enableAntiCsrf": False,
        **fields,
    }
    return ok(cdi(api, "POST", "/public/recipe/session", json=body))


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def verify(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    body = {"accessToken": token, "doAntiCsrfCheck": True, "enableAntiCsrf": False, "checkDatabase": False}
    return ok(cdi(api, "POST", "/recipe/session/verify", json={**body, **fields}))


def refresh(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    body = {"refreshToken": token, "enableAntiCsrf": False, "useDynamicSigningKey": True}
    return ok(cdi(api, "POST", "/recipe/session/refresh", json={**body, **fields}))


# -- the core ---------------------------------------------------------------------------------------


def test_apiversion_needs_the_api_key_and_names_5_4(api: Api) -> None:
    assert ok(
        cdi(api, "GET", "/apiversion", params={"apiDomain": "http://a", "websiteDomain": "http://w"})
    ) == {"versions": ["5.4"]}
    refused = cdi(api, "GET", "/apiversion", key=None)
    assert (refused.status_code, refused.text) == (401, "Invalid API key\n")


def test_jwks_and_hello_are_public(api: Api) -> None:
    keys = ok(cdi(api, "GET", "/.well-known/jwks.json", key=None))["keys"]
    assert keys
    assert all(set(key) == {"kty", "kid", "use", "alg", "n", "e"} for key in keys)
    assert keys[0]["kid"].startswith("d-")
    hello = cdi(api, "GET", "/hello", key=None)
    assert (hello.status_code, hello.text) == (200, "Hello\n")


def test_every_user_is_unknown_to_account_linking(api: Api) -> None:
    assert ok(cdi(api, "GET", "/user/id", params={"userId": "u1"})) == {"status": "UNKNOWN_USER_ID_ERROR"}
    missing = cdi(api, "GET", "/user/id")
    assert (missing.status_code, missing.text) == (400, "Field name 'userId' is missing in GET request\n")


def test_other_recipes_and_apps_are_named_as_unsupported(api: Api) -> None:
    unknown = cdi(api, "POST", "/recipe/signin", json={})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "message": "authstate's Core Driver Interface has no route /cdi/recipe/signin",
        "cdiVersions": ["5.4"],
        "supportedRecipes": ["session", "usermetadata", "jwt"],
    }
    app = cdi(api, "GET", "/appid-shop/recipe/session", params={"sessionHandle": "x"})
    assert app.status_code == 400
    assert app.text.startswith("authstate serves one app per deployment")


# -- sessions ---------------------------------------------------------------------------------------


def test_create_answers_the_core_shape(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    assert set(created) == {"status", "session", "accessToken", "refreshToken"}  # no antiCsrfToken
    session = created["session"]
    assert session == {
        "handle": session["handle"],
        "userId": unique_id,
        "recipeUserId": unique_id,
        "userDataInJWT": {"iss": ISS, "role": "admin"},
        "tenantId": "public",
    }
    token = created["accessToken"]
    payload = claims(token["token"])
    assert jwt.get_unverified_header(token["token"])["version"] == "5"
    assert (token["expiry"], token["createdTime"]) == (payload["exp"] * 1000, payload["iat"] * 1000)
    assert {k: payload[k] for k in ("sub", "rsub", "tId", "iss", "role")} == {
        "sub": unique_id,
        "rsub": unique_id,
        "tId": "public",
        "iss": ISS,
        "role": "admin",
    }
    assert (payload["parentRefreshTokenHash1"], payload["antiCsrfToken"]) == (None, None)
    assert set(created["refreshToken"]) == {"token", "expiry", "createdTime"}


def test_create_in_a_tenant_and_with_anti_csrf(api: Api, unique_id: str) -> None:
    created = ok(
        cdi(
            api,
            "POST",
            "/tenant-1/recipe/session",
            json={"userId": unique_id, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": True},
        )
    )
    assert created["session"]["tenantId"] == "tenant-1"
    assert claims(created["accessToken"]["token"])["antiCsrfToken"] == created["antiCsrfToken"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": False},
            "Field name 'userId' is invalid in JSON input",
        ),
        (
            {"userId": "u", "userDataInJWT": [], "userDataInDatabase": {}, "enableAntiCsrf": False},
            "Field name 'userDataInJWT' is invalid in JSON input",
        ),
        (
            {"userId": "u", "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": "yes"},
            "Field name 'enableAntiCsrf' is invalid in JSON input",
        ),
        (
            {"userId": "u", "userDataInJWT": {"sub": "x"}, "userDataInDatabase": {}, "enableAntiCsrf": False},
            "The user payload contains protected field",
        ),
    ],
)
def test_bad_input_is_a_plain_400_and_stores_nothing(api: Api, body: dict[str, Any], message: str) -> None:
    response = cdi(api, "POST", "/public/recipe/session", json=body)
    assert (response.status_code, response.text) == (400, message + "\n")
    assert response.headers["content-type"].startswith("text/plain")


def test_verify_as_the_sdk_asks(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    token = created["accessToken"]["token"]
    assert verify(api, token) == {"status": "OK", "session": created["session"]}
    assert verify(api, token, checkDatabase=True) == {"status": "OK", "session": created["session"]}
    refused = verify(api, token[:-4] + "AAAA")
    assert (refused["status"], refused["message"]) == (
        "TRY_REFRESH_TOKEN",
        "the access token signature does not verify",
    )
    ok(cdi(api, "POST", "/recipe/session/remove", json={"sessionHandles": [created["session"]["handle"]]}))
    assert verify(api, token, checkDatabase=True) == {
        "status": "UNAUTHORISED",
        "message": "Either the session has ended or has been blacklisted",
    }


def test_anti_csrf_is_checked_only_when_the_sdk_asks(api: Api, unique_id: str) -> None:
    created = ok(
        cdi(
            api,
            "POST",
            "/public/recipe/session",
            json={"userId": unique_id, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": True},
        )
    )
    token, csrf = created["accessToken"]["token"], created["antiCsrfToken"]
    wrong = verify(api, token, enableAntiCsrf=True, antiCsrfToken="é")
    assert (wrong["status"], wrong["message"]) == (
        "TRY_REFRESH_TOKEN",
        "anti-csrf check failed",
    )
    assert verify(api, token, enableAntiCsrf=True, antiCsrfToken=csrf)["status"] == "OK"
    assert verify(api, token, enableAntiCsrf=True, doAntiCsrfCheck=False)["status"] == "OK"


def test_a_child_token_is_replaced_by_one_without_a_parent(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    refreshed = refresh(api, created["refreshToken"]["token"])
    child = refreshed["accessToken"]["token"]
    assert claims(child)["parentRefreshTokenHash1"] is not None
    verified = verify(api, child)
    assert set(verified) == {"status", "session", "accessToken"}
    renewed = claims(verified["accessToken"]["token"])
    assert renewed["parentRefreshTokenHash1"] is None
    assert renewed["refreshTokenHash1"] == claims(child)["refreshTokenHash1"]
    assert verify(api, verified["accessToken"]["token"]) == {"status": "OK", "session": created["session"]}


def test_refresh_and_theft_as_the_sdk_reads_them(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    old = created["refreshToken"]["token"]
    refreshed = refresh(api, old)
    assert set(refreshed) == {"status", "session", "accessToken", "refreshToken"}
    refresh(api, refreshed["refreshToken"]["token"])  # the child is used: the old token is over
    assert refresh(api, old) == {
        "status": "TOKEN_THEFT_DETECTED",
        "session": {"handle": created["session"]["handle"], "userId": unique_id, "recipeUserId": unique_id},
    }
    assert refresh(api, "rt1.garbage") == {
        "status": "UNAUTHORISED",
        "message": "the refresh token is not valid",
    }


def test_regenerate_applies_only_what_changed(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    token = created["accessToken"]["token"]
    ok(
        cdi(
            api,
            "PUT",
            "/recipe/jwt/data",
            json={
                "sessionHandle": created["session"]["handle"],
                "userDataInJWT": {"role": "admin", "iss": ISS, "offline": 1},
            },
        )
    )
    regenerated = ok(
        cdi(
            api,
            "POST",
            "/recipe/session/regenerate",
            json={"accessToken": token, "userDataInJWT": {"iss": ISS, "new": {"x": 1}}},
        )
    )  # role removed, new added; "offline" (unknown to this token) untouched
    assert regenerated["session"]["userDataInJWT"] == {"iss": ISS, "new": {"x": 1}, "offline": 1}
    new_claims = claims(regenerated["accessToken"]["token"])
    assert (new_claims["exp"], new_claims["new"], "role" in new_claims) == (
        claims(token)["exp"],
        {"x": 1},
        False,
    )


def test_concurrent_sdk_online_merges_of_distinct_keys_lose_nothing(
    api: Api, server_url: str, unique_id: str
) -> None:
    """8 requests at once, 25 keys each, through the SDK's regenerate (the whole new payload every
    time, built from one and the same token): only the difference is applied, so nothing is lost."""
    created = create(api, unique_id, userDataInJWT={"iss": ISS})
    token, threads, keys = created["accessToken"]["token"], 8, 25
    statuses: list[int] = []

    def worker(number: int) -> None:
        with requests.Session() as session:
            own = Api(server_url, session)
            for i in range(keys):
                payload = {"iss": ISS, f"t{number}-{i}": i}
                statuses.append(
                    cdi(
                        own,
                        "POST",
                        "/recipe/session/regenerate",
                        json={"accessToken": token, "userDataInJWT": payload},
                    ).status_code
                )

    run_concurrently(partial(worker, n) for n in range(threads))
    assert statuses == [200] * (threads * keys)
    stored = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": created["session"]["handle"]}))
    assert stored["userDataInJWT"] == {
        "iss": ISS,
        **{f"t{n}-{i}": i for n in range(threads) for i in range(keys)},
    }


def test_session_information_data_and_offline_claims(api: Api, unique_id: str) -> None:
    created = create(api, unique_id)
    handle = created["session"]["handle"]
    info = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))
    assert {k: info[k] for k in info if k not in ("expiry", "timeCreated")} == {
        "status": "OK",
        "sessionHandle": handle,
        "userId": unique_id,
        "recipeUserId": unique_id,
        "userDataInDatabase": {"db": {"a": 1}},
        "userDataInJWT": {"iss": ISS, "role": "admin"},
        "tenantId": "public",
    }
    assert info["expiry"] == created["refreshToken"]["expiry"]
    assert ok(
        cdi(
            api,
            "PUT",
            "/recipe/session/data",
            json={"sessionHandle": handle, "userDataInDatabase": {"x": None}},
        )
    ) == {"status": "OK"}
    assert ok(
        cdi(api, "PUT", "/recipe/jwt/data", json={"sessionHandle": handle, "userDataInJWT": {"plan": "pro"}})
    ) == {"status": "OK"}
    info = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))
    assert (info["userDataInDatabase"], info["userDataInJWT"]) == ({"x": None}, {"plan": "pro"})
    protected = cdi(
        api, "PUT", "/recipe/jwt/data", json={"sessionHandle": handle, "userDataInJWT": {"sub": "hacker"}}
    )
    assert (protected.status_code, protected.text) == (400, "The user payload contains protected field\n")
    refreshed = refresh(api, created["refreshToken"]["token"])
    assert claims(refreshed["accessToken"]["token"])["plan"] == "pro"
    missing = {"status": "UNAUTHORISED", "message": "Session does not exist."}
    unknown = "00000000-0000-4000-8000-000000000000"
    assert ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": unknown})) == missing
    assert (
        ok(cdi(api, "PUT", "/recipe/session/data", json={"sessionHandle": unknown, "userDataInDatabase": {}}))
        == missing
    )
    assert (
        ok(cdi(api, "PUT", "/recipe/jwt/data", json={"sessionHandle": unknown, "userDataInJWT": {}}))
        == missing
    )


def test_listing_and_revoking_a_users_sessions(api: Api, unique_id: str) -> None:
    public = create(api, unique_id)["session"]["handle"]
    other = ok(
        cdi(
            api,
            "POST",
            "/tenant-2/recipe/session",
            json={
                "userId": unique_id,
                "userDataInJWT": {},
                "userDataInDatabase": {},
                "enableAntiCsrf": False,
            },
        )
    )
    everywhere = sorted([public, other["session"]["handle"]])
    assert ok(cdi(api, "GET", "/recipe/session/user", params={"userId": unique_id})) == {
        "status": "OK",
        "sessionHandles": everywhere,
    }
    only_2 = ok(
        cdi(
            api,
            "GET",
            "/tenant-2/recipe/session/user",
            params={"userId": unique_id, "fetchAcrossAllTenants": "false"},
        )
    )
    assert only_2["sessionHandles"] == [other["session"]["handle"]]
    revoked = ok(
        cdi(
            api,
            "POST",
            "/tenant-2/recipe/session/remove",
            json={"userId": unique_id, "revokeAcrossAllTenants": False},
        )
    )
    assert revoked == {"status": "OK", "sessionHandlesRevoked": [other["session"]["handle"]]}
    assert ok(cdi(api, "POST", "/recipe/session/remove", json={"sessionHandles": [public, "nope"]})) == {
        "status": "OK",
        "sessionHandlesRevoked": [public],
    }
    both = cdi(api, "POST", "/recipe/session/remove", json={"userId": unique_id, "sessionHandles": []})
    assert (both.status_code, both.text) == (
        400,
        "Invalid JSON input - use one of userId or sessionHandles array\n",
    )


def test_user_metadata_as_the_sdk_reads_it(api: Api, unique_id: str) -> None:
    headers = {"rid": "usermetadata"}
    assert ok(cdi(api, "GET", "/recipe/user/metadata", params={"userId": unique_id}, headers=headers)) == {
        "status": "OK",
        "metadata": {},
    }
    put = {"userId": unique_id, "metadataUpdate": {"a": 1, "nested": {"x": 1, "y": None}, "n": None}}
    merged = {"status": "OK", "metadata": {"a": 1, "nested": {"x": 1, "y": None}}}
    assert ok(cdi(api, "PUT", "/recipe/user/metadata", json=put, headers=headers)) == merged
    assert (
        ok(cdi(api, "GET", "/recipe/user/metadata", params={"userId": unique_id}, headers=headers)) == merged
    )
    assert ok(
        cdi(api, "POST", "/recipe/user/metadata/remove", json={"userId": unique_id}, headers=headers)
    ) == {"status": "OK"}
    assert (
        ok(cdi(api, "GET", "/recipe/user/metadata", params={"userId": unique_id}, headers=headers))[
            "metadata"
        ]
        == {}
    )


def test_a_static_key_when_the_sdk_asks_for_one(api: Api, unique_id: str) -> None:
    created = create(api, unique_id, useDynamicSigningKey=False)
    kid = jwt.get_unverified_header(created["accessToken"]["token"])["kid"]
    assert kid.startswith("s-")
    assert kid in [key["kid"] for key in ok(cdi(api, "GET", "/.well-known/jwks.json", key=None))["keys"]]
    assert verify(api, created["accessToken"]["token"])["status"] == "OK"
    dynamic = refresh(api, created["refreshToken"]["token"], useDynamicSigningKey=True)
    assert jwt.get_unverified_header(dynamic["accessToken"]["token"])["kid"].startswith("d-")


def test_the_api_key_is_the_services(api: Api) -> None:
    wrong = cdi(api, "GET", "/recipe/user/metadata", params={"userId": "u"}, key=API_KEY + "x")
    assert (wrong.status_code, wrong.text) == (401, "Invalid API key\n")


@pytest.mark.parametrize("handle", ["nope", "286956d5-6135-4ae9-b41a-2cb2ff73aca0-unknown", "x" * 5000])
def test_a_handle_no_session_can_have_is_an_unknown_session(api: Api, handle: str) -> None:
    """Not a 400, not a 500 (DynamoDB refuses keys over 2 KB): the core's "Session does not exist."."""
    missing = {"status": "UNAUTHORISED", "message": "Session does not exist."}
    assert ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle})) == missing
    assert (
        ok(cdi(api, "PUT", "/recipe/session/data", json={"sessionHandle": handle, "userDataInDatabase": {}}))
        == missing
    )
    assert (
        ok(cdi(api, "PUT", "/recipe/jwt/data", json={"sessionHandle": handle, "userDataInJWT": {}}))
        == missing
    )
    assert ok(cdi(api, "POST", "/recipe/session/remove", json={"sessionHandles": [handle]})) == {
        "status": "OK",
        "sessionHandlesRevoked": [],
    }
