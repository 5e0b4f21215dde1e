"""SuperTokens' Core Driver Interface 5.4 under /cdi, over real HTTP: exact shapes, status strings and
error styles, as the SDKs read them (the unmodified SDKs themselves run in tests/sdk)."""

from __future__ import annotations

import json
import uuid
from functools import partial
from typing import Any

import jwt
import pytest
import requests

from authstate.recipe.session.access_tokens import SUPERTOKENS_PROTECTED_CLAIMS
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


# -- the core's rules (issue 19): each cites the supertokens-core 11.x source it follows ---------------


@pytest.mark.parametrize(
    ("path", "version", "status", "text"),
    [
        ("/recipe/user/metadata", None, 200, None),  # none: the newest (WebserverAPI.getVersionFromRequest)
        ("/recipe/user/metadata", "5.4", 200, None),
        ("/recipe/user/metadata", "1.0", 400, "cdi-version 1.0 not supported (authstate speaks CDI 5.4)"),
        ("/recipe/user/metadata", "5.3", 400, "cdi-version 5.3 not supported (authstate speaks CDI 5.4)"),
        ("/recipe/user/metadata", "6.0", 400, "cdi-version 6.0 not supported (authstate speaks CDI 5.4)"),
        (
            "/recipe/user/metadata",
            "garbage",
            400,
            "cdi-version garbage is not a version: send cdi-version: 5.4",
        ),
        # versionNeeded() == false (ApiVersionAPI, HelloAPI, JWKSPublicAPI): any version up to the newest
        ("/apiversion", "1.0", 200, None),
        ("/apiversion", "6.0", 400, "cdi-version 6.0 not supported (authstate speaks CDI 5.4)"),
        ("/hello", "2.21", 200, "Hello"),
        (
            "/.well-known/jwks.json",
            "garbage",
            400,
            "cdi-version garbage is not a version: send cdi-version: 5.4",
        ),
    ],
)
def test_the_cdi_version_header_is_answered_as_the_core_does(
    api: Api, path: str, version: str | None, status: int, text: str | None
) -> None:
    """``WebserverAPI.java``: no header is the newest version; one above it is refused everywhere; one
    the route does not speak is refused where the route needs a version. The core speaks 2.7 to 5.4;
    authstate 5.4 only, and a header that is not a version is a 400 (the core: a 500)."""
    headers = {} if version is None else {"cdi-version": version}
    response = api.call("GET", "/cdi" + path, params={"userId": "u"}, headers=headers)
    assert response.status_code == status, response.text
    if text is not None:
        assert response.text == text + "\n"
        assert response.headers["content-type"].startswith("text/plain")


def test_tenant_ids_are_normalized_as_the_core_does(api: Api, unique_id: str) -> None:
    """``webserver/Utils.normalizeAndValidateTenantId`` and the router's lower-cased path: PUBLIC is
    public, Tenant-A is tenant-a, so a tenant's list and revoke see every session of it."""
    body = {"userId": unique_id, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": False}
    upper = ok(cdi(api, "POST", "/PUBLIC/recipe/session", json=body))
    assert upper["session"]["tenantId"] == "public"
    assert claims(upper["accessToken"]["token"])["tId"] == "public"
    mixed = ok(cdi(api, "POST", "/Tenant-A/recipe/session", json=body))
    assert mixed["session"]["tenantId"] == "tenant-a"
    only_public = {"userId": unique_id, "fetchAcrossAllTenants": "FALSE"}
    assert ok(cdi(api, "GET", "/public/recipe/session/user", params=only_public))["sessionHandles"] == [
        upper["session"]["handle"]
    ]
    assert ok(cdi(api, "GET", "/TENANT-a/recipe/session/user", params=only_public))["sessionHandles"] == [
        mixed["session"]["handle"]
    ]
    revoked = ok(
        cdi(
            api, "POST", "/recipe/session/remove", json={"userId": unique_id, "revokeAcrossAllTenants": False}
        )
    )
    assert revoked["sessionHandlesRevoked"] == [upper["session"]["handle"]]  # no prefix: public


@pytest.mark.parametrize(
    ("tenant", "message"),
    [
        ("a_b", "tenantId can only contain letters, numbers and hyphens"),
        ("t%C3%A9", "tenantId can only contain letters, numbers and hyphens"),
        ("hello", "Cannot use 'hello' as a tenantId"),
        ("Users", "Cannot use 'users' as a tenantId"),
        ("t" * 65, "tenantId can be at most 64 characters"),
    ],
)
def test_a_tenant_id_the_core_refuses_is_a_400_naming_the_rule(api: Api, tenant: str, message: str) -> None:
    body = {"userId": "u", "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": False}
    response = cdi(api, "POST", f"/{tenant}/recipe/session", json=body)
    assert (response.status_code, response.text) == (400, message + "\n")


def test_claims_the_core_accepts_are_accepted(api: Api, unique_id: str) -> None:
    """The core protects only the claims it writes (``AccessToken.java``, requiredAndProtectedPropsV5);
    ``aud``, ``nbf``, ``jti``, ``stt`` and ``iss`` are the app's, in the token as sent (the README says
    which of them make standard verifiers refuse the token)."""
    own = {"aud": "api://x", "nbf": 1, "jti": "j-1", "stt": 0, "iss": ISS}
    created = create(api, unique_id, userDataInJWT=own)
    token = created["accessToken"]["token"]
    assert {k: claims(token)[k] for k in own} == own
    assert verify(api, token, checkDatabase=True)["session"]["userDataInJWT"] == own
    handle = created["session"]["handle"]
    again = {**own, "jti": "j-2"}
    assert ok(cdi(api, "PUT", "/recipe/jwt/data", json={"sessionHandle": handle, "userDataInJWT": again}))
    regenerated = ok(
        cdi(api, "POST", "/recipe/session/regenerate", json={"accessToken": token, "userDataInJWT": own})
    )
    # Only what differs from the presented token is applied (README: online merges lose nothing), so
    # the offline write of jti stays; the core would write the whole payload back.
    assert {k: claims(regenerated["accessToken"]["token"])[k] for k in own} == again


@pytest.mark.parametrize("claim", sorted(SUPERTOKENS_PROTECTED_CLAIMS))
def test_the_cores_protected_claims_are_refused_everywhere(api: Api, unique_id: str, claim: str) -> None:
    """``AccessToken.java`` (toJSON) at creation, ``Session.updateSession`` for jwt/data and regenerate."""
    refused = (400, "The user payload contains protected field\n")
    response = cdi(
        api,
        "POST",
        "/public/recipe/session",
        json={
            "userId": unique_id,
            "userDataInJWT": {claim: "x"},
            "userDataInDatabase": {},
            "enableAntiCsrf": False,
        },
    )
    assert (response.status_code, response.text) == refused
    created = create(api, unique_id)
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    put = cdi(api, "PUT", "/recipe/jwt/data", json={"sessionHandle": handle, "userDataInJWT": {claim: "x"}})
    assert (put.status_code, put.text) == refused
    regenerate = cdi(
        api, "POST", "/recipe/session/regenerate", json={"accessToken": token, "userDataInJWT": {claim: "x"}}
    )
    assert (regenerate.status_code, regenerate.text) == refused
    info = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))
    assert claim not in info["userDataInJWT"]


@pytest.mark.parametrize("user_id", ["", " ", "\t", "a\nb", "é" * 128])
def test_user_ids_the_core_accepts_are_accepted(api: Api, unique_id: str, user_id: str) -> None:
    """``SessionAPI.java`` reads ``userId`` as any string (parseStringOrThrowError): "" and blanks too.
    A tenant of this test's own keeps other tests' sessions of the same user out of the listing."""
    tenant = "t-" + uuid.uuid4().hex
    body = {"userId": user_id, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": False}
    created = ok(cdi(api, "POST", f"/{tenant}/recipe/session", json=body))
    assert created["session"]["userId"] == created["session"]["recipeUserId"] == user_id
    assert claims(created["accessToken"]["token"])["sub"] == user_id
    listed = ok(
        cdi(
            api,
            "GET",
            f"/{tenant}/recipe/session/user",
            params={"userId": user_id, "fetchAcrossAllTenants": "false"},
        )
    )
    assert listed["sessionHandles"] == [created["session"]["handle"]]
    assert verify(api, created["accessToken"]["token"], checkDatabase=True)["status"] == "OK"
    metadata = {"userId": user_id, "metadataUpdate": {"k": unique_id}}
    assert ok(cdi(api, "PUT", "/recipe/user/metadata", json=metadata))["metadata"] == {"k": unique_id}
    assert ok(cdi(api, "GET", "/recipe/user/metadata", params={"userId": user_id}))["metadata"] == {
        "k": unique_id
    }
    assert ok(cdi(api, "POST", "/recipe/user/metadata/remove", json={"userId": user_id})) == {"status": "OK"}


@pytest.mark.parametrize(
    ("user_id", "message"),
    [
        ("x" * 257, "Field name 'userId' is invalid: at most 256 UTF-8 bytes"),
        ("a\u0000b", "Field name 'userId' is invalid: it may not contain U+0000"),
        (7, "Field name 'userId' is invalid in JSON input"),
    ],
)
def test_user_ids_beyond_authstates_keys_are_a_400(api: Api, user_id: object, message: str) -> None:
    body = {"userId": user_id, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": False}
    response = cdi(api, "POST", "/public/recipe/session", json=body)
    assert (response.status_code, response.text) == (400, message + "\n")


def test_the_native_api_keeps_its_stricter_user_ids(api: Api) -> None:
    response = api.call("POST", "/sessions", json={"userId": ""})
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_top_level_nulls_are_kept_as_the_core_keeps_them(api: Api, unique_id: str) -> None:
    """``Session.createNewSession`` stores userDataInJWT and signs it as sent (Gson writes nulls);
    ``Session.updateSession`` (jwt/data, regenerate) stores the payload it is sent as it is."""
    created = create(api, unique_id, userDataInJWT={"k": None, "iss": ISS})
    token, handle = created["accessToken"]["token"], created["session"]["handle"]
    assert created["session"]["userDataInJWT"] == {"iss": ISS, "k": None}
    assert "k" in claims(token)
    assert claims(token)["k"] is None
    info = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))
    assert info["userDataInJWT"] == {"iss": ISS, "k": None}
    regenerated = ok(
        cdi(
            api,
            "POST",
            "/recipe/session/regenerate",
            json={"accessToken": token, "userDataInJWT": {"iss": ISS, "k": None, "n": None}},
        )
    )
    assert regenerated["session"]["userDataInJWT"] == {"iss": ISS, "k": None, "n": None}
    assert claims(regenerated["accessToken"]["token"])["n"] is None
    put = {"sessionHandle": handle, "userDataInJWT": {"only": None}}
    assert ok(cdi(api, "PUT", "/recipe/jwt/data", json=put)) == {"status": "OK"}
    info = ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))
    assert info["userDataInJWT"] == {"only": None}
    assert claims(refresh(api, created["refreshToken"]["token"])["accessToken"]["token"])["only"] is None


def test_regenerate_without_a_payload_mints_the_stored_one(api: Api, unique_id: str) -> None:
    """``Session.regenerateToken``: no userDataInJWT means the stored payload, in a new token."""
    created = create(api, unique_id)
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    put = {"sessionHandle": handle, "userDataInJWT": {"iss": ISS, "plan": "pro"}}
    ok(cdi(api, "PUT", "/recipe/jwt/data", json=put))
    regenerated = ok(cdi(api, "POST", "/recipe/session/regenerate", json={"accessToken": token}))
    assert regenerated["session"]["userDataInJWT"] == {"iss": ISS, "plan": "pro"}
    assert claims(regenerated["accessToken"]["token"])["plan"] == "pro"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/public/recipe/session",
            {"userId": "u", "userDataInJWT": {"": 1}, "userDataInDatabase": {}, "enableAntiCsrf": False},
            "userDataInJWT has an empty key",
        ),
        (
            "/public/recipe/session",
            {"userId": "u", "userDataInJWT": {}, "userDataInDatabase": {"": 1}, "enableAntiCsrf": False},
            "userDataInDatabase has an empty key",
        ),
        (
            "/public/recipe/session",
            {"userId": "u", "userDataInJWT": {}, "userDataInDatabase": {}},
            "Field name 'enableAntiCsrf' is invalid in JSON input",
        ),
        (
            "/recipe/session/verify",
            {"accessToken": "x", "doAntiCsrfCheck": True, "enableAntiCsrf": False, "checkDatabase": "no"},
            "Field name 'checkDatabase' is invalid in JSON input",
        ),
        (
            "/recipe/session/refresh",
            {"refreshToken": 1, "enableAntiCsrf": False, "useDynamicSigningKey": True},
            "Field name 'refreshToken' is invalid in JSON input",
        ),
        (
            "/recipe/session/remove",
            {"sessionHandles": ["h"], "revokeAcrossAllTenants": True},
            "Invalid JSON input - revokeAcrossAllTenants can only be set if userId is set",
        ),
        ("/recipe/user/metadata/remove", [], "Invalid Json Input"),
        ("/recipe/user/metadata/remove", "not json", "Invalid Json Input"),
    ],
)
def test_bad_input_names_the_fields_the_caller_sent(api: Api, path: str, body: object, message: str) -> None:
    method = "POST"
    response = cdi(api, method, path, data=body if isinstance(body, str) else json.dumps(body))
    assert (response.status_code, response.text) == (400, message + "\n")


def test_session_data_errors_name_user_data_in_database(api: Api, unique_id: str) -> None:
    handle = create(api, unique_id)["session"]["handle"]
    put = {"sessionHandle": handle, "userDataInDatabase": {"": 1}}
    response = cdi(api, "PUT", "/recipe/session/data", json=put)
    assert (response.status_code, response.text) == (400, "userDataInDatabase has an empty key\n")


def test_get_parameters_missing_are_named_as_the_core_names_them(api: Api) -> None:
    missing = cdi(api, "GET", "/recipe/session")
    assert (missing.status_code, missing.text) == (
        400,
        "Field name 'sessionHandle' is missing in GET request\n",
    )


# -- the JWT recipe -------------------------------------------------------------------------------------


def jwks_client(api: Api, path: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(api.base_url + path, cache_jwk_set=False)


def test_a_jwt_of_the_jwt_recipe_verifies_with_the_jwks(api: Api) -> None:
    """``JWTSigningAPI.java``/``JWTSigningFunctions.createJWTToken``: iat, exp = iat + validity, iss from
    jwksDomain, the payload over them; the static key unless useStaticSigningKey is false."""
    body = {
        "payload": {"role": "svc", "n": None},
        "validity": 60,
        "algorithm": "rs256",
        "jwksDomain": "https://a",
    }
    created = ok(cdi(api, "POST", "/recipe/jwt", json=body, headers={"rid": "jwt"}))
    assert set(created) == {"status", "jwt"}
    token = created["jwt"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": header["kid"]}
    assert header["kid"].startswith("s-")
    key = jwks_client(api, "/cdi/.well-known/jwks.json").get_signing_key_from_jwt(token)
    decoded = jwt.decode(token, key.key, algorithms=["RS256"], issuer="https://a")
    assert decoded == {
        "iat": decoded["iat"],
        "exp": decoded["iat"] + 60,
        "iss": "https://a",
        "role": "svc",
        "n": None,
    }
    with_api_key = ok(cdi(api, "GET", "/recipe/jwt/jwks"))
    public = ok(cdi(api, "GET", "/.well-known/jwks.json", key=None))
    assert with_api_key == {"status": "OK", **public}
    dynamic = ok(cdi(api, "POST", "/recipe/jwt", json={**body, "useStaticSigningKey": False}))["jwt"]
    assert jwt.get_unverified_header(dynamic)["kid"].startswith("d-")
    own = {**body, "payload": {"iss": "mine", "exp": 1}}
    assert claims(ok(cdi(api, "POST", "/recipe/jwt", json=own))["jwt"])["iss"] == "mine"


def test_a_jwt_of_the_jwt_recipe_is_never_an_access_token(api: Api, unique_id: str) -> None:
    """Signed with the same keys, but without the access token's ``version`` header: refused by both
    verifications, however access-token-like its payload."""
    created = create(api, unique_id)
    access = claims(created["accessToken"]["token"])
    body = {
        "payload": access,
        "validity": 60,
        "algorithm": "RS256",
        "jwksDomain": "x",
        "useStaticSigningKey": False,
    }
    forged = ok(cdi(api, "POST", "/recipe/jwt", json=body))["jwt"]
    assert verify(api, forged)["status"] == "TRY_REFRESH_TOKEN"
    native = api.call("POST", "/sessions/verify", json={"accessToken": forged})
    assert (native.status_code, native.json()["code"]) == (401, "TOKEN_MALFORMED")


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        ({"algorithm": "HS256"}, (200, '{"status":"UNSUPPORTED_ALGORITHM_ERROR"}')),
        ({"validity": 0}, (400, "validity must be greater than or equal to 0\n")),
        ({"validity": 10**11}, (400, "validity can be at most 31536000000 seconds (1000 years)\n")),
        ({"validity": "60"}, (400, "Field name 'validity' is invalid in JSON input\n")),
        ({"jwksDomain": None}, (400, "Field name 'jwksDomain' is invalid in JSON input\n")),
    ],
)
def test_jwt_requests_the_core_refuses(api: Api, fields: dict[str, Any], answer: tuple[int, str]) -> None:
    body = {"payload": {}, "validity": 60, "algorithm": "RS256", "jwksDomain": "x", **fields}
    response = cdi(api, "POST", "/recipe/jwt", json=body)
    assert (response.status_code, response.text) == answer
