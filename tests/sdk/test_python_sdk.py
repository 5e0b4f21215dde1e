"""supertokens-python 0.31.4, unmodified, in a FastAPI app (uvicorn, anti-CSRF VIA_TOKEN) and a Flask
app (werkzeug, anti-CSRF NONE), driven over real HTTP by a cookie-keeping client, against the CDI facade.

Each flow runs in both apps (``[fastapi]``/``[flask]``): the FastAPI app uses the seeds' async calls, the
Flask app their ``sync_*``/``syncio`` twins. ``core`` records what the SDK sent and what the core answered,
so the tests assert both the app's outcome and the core's exact answer (status strings in 200 bodies)."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import jwt
import pytest

from tests.sdk.browser import Browser, front_token, jwt_payload
from tests.sdk.conftest import API_KEY
from tests.sdk.recorder import CoreRecorder, Exchange

pytestmark = pytest.mark.sdk

ISS = "http://api.example.com/auth"
PROTECTED = {
    "sub", "exp", "iat", "tId", "rsub", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1",
    "antiCsrfToken",
}  # fmt: skip


@dataclass(frozen=True)
class App:
    name: str
    url: str
    log: Path
    anti_csrf: bool  # VIA_TOKEN (FastAPI) or NONE (Flask)

    def browser(self) -> Browser:
        return Browser(self.url)

    def offline(self, call: str, **body: Any) -> Any:
        """One of the seeds' offline SDK calls, run inside the app; its result."""
        response = httpx.post(f"{self.url}/offline/{call}", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    def offline_error(self, call: str, **body: Any) -> str:
        response = httpx.post(f"{self.url}/offline/{call}", json=body, timeout=60)
        assert response.status_code == 500, response.text
        error: str = response.json()["error"]
        return error


@pytest.fixture(params=["fastapi", "flask"])
def app(request: pytest.FixtureRequest) -> App:
    name: str = request.param
    return App(
        name=name,
        url=request.getfixturevalue(f"{name}_url"),
        log=request.getfixturevalue(f"{name}_log"),
        anti_csrf=name == "fastapi",
    )


@pytest.fixture
def fastapi_app(fastapi_url: str, fastapi_log: Path) -> App:
    return App("fastapi", fastapi_url, fastapi_log, anti_csrf=True)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def only(exchanges: list[Exchange]) -> Exchange:
    assert len(exchanges) == 1, [(e.method, e.path, e.status, e.response) for e in exchanges]
    return exchanges[0]


def custom(claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in PROTECTED}


# -- sign-in, verification ---------------------------------------------------------------------------------


def test_sign_in_puts_the_override_claim_in_cookies_and_front_token(app: App, core: CoreRecorder, unique_id):
    mark = core.mark()
    with app.browser() as browser:
        view = browser.login(unique_id)
        claims = browser.claims

        assert view["userId"] == view["recipeUserId"] == unique_id
        assert view["tenantId"] == "public"
        assert view["payload"] == claims
        assert set(claims) == PROTECTED | {"iss", "someKey"}
        assert custom(claims) == {"iss": ISS, "someKey": "someValue"}
        assert (claims["sub"], claims["rsub"], claims["tId"]) == (unique_id, unique_id, "public")
        assert claims["sessionHandle"] == view["handle"]
        assert claims["parentRefreshTokenHash1"] is None
        assert browser.refresh_token is not None
        assert claims["refreshTokenHash1"] == sha256(unquote(browser.refresh_token))
        assert claims["exp"] - claims["iat"] >= 60
        assert browser.front == {"uid": unique_id, "ate": claims["exp"] * 1000, "up": claims}
        if app.anti_csrf:
            assert browser.anti_csrf == claims["antiCsrfToken"] is not None
        else:
            assert browser.anti_csrf is None
            assert claims["antiCsrfToken"] is None

        user = only(core.calls("GET", "/user/id", mark))
        assert (user.query, user.status, user.response) == (
            {"userId": unique_id},
            200,
            {"status": "UNKNOWN_USER_ID_ERROR"},
        )
        created = only(core.calls("POST", "/public/recipe/session", mark))
        assert created.body == {
            "userId": unique_id,
            "userDataInJWT": {"someKey": "someValue", "iss": ISS},
            "userDataInDatabase": {},
            "useDynamicSigningKey": True,
            "enableAntiCsrf": app.anti_csrf,
        }
        assert created.status == 200
        assert created.result == "OK"
        assert created.response["session"] == {
            "handle": view["handle"],
            "userId": unique_id,
            "recipeUserId": unique_id,
            "userDataInJWT": {"someKey": "someValue", "iss": ISS},
            "tenantId": "public",
        }
        assert created.response["accessToken"]["expiry"] == claims["exp"] * 1000
        assert ("antiCsrfToken" in created.response) is app.anti_csrf

        mark = core.mark()
        me = browser.get("/me")
        assert me.status_code == 200, me.text
        assert me.json() == view
        # verified locally from the JWKS: no call to the core's verify
        assert core.calls("POST", "/recipe/session/verify", mark) == []


def test_tampered_access_token_is_try_refresh_token_without_asking_the_core(app: App, core, unique_id):
    with app.browser() as browser:
        browser.login(unique_id)
        token = browser.access_token
        assert token is not None
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
        browser.client.cookies.set("sAccessToken", forged, domain="127.0.0.1", path="/")
        mark = core.mark()
        response = browser.get("/me")
        assert (response.status_code, response.json()) == (401, {"message": "try refresh token"})
        assert core.calls("POST", "/recipe/session/verify", mark) == []


def cdi(core: CoreRecorder, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    """A request exactly as the SDK sends it (same headers), for answers the SDK never provokes itself."""
    headers = {"api-key": API_KEY, "cdi-version": "5.4", "rid": "session"}
    return httpx.request(method, core.url + path, json=body, headers=headers, timeout=60)


def test_core_answers_try_refresh_token_for_a_token_it_cannot_accept(fastapi_app: App, core, unique_id):
    """The SDKs check signature, expiry and anti-CSRF locally before asking the core, so the core's own
    TRY_REFRESH_TOKEN never shows up in an app flow; the SDK's verify request is replayed with a forged
    signature and with a wrong anti-CSRF token."""
    with fastapi_app.browser() as browser:
        browser.login(unique_id)
        token = browser.access_token
        assert token is not None
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
        verify = {"doAntiCsrfCheck": True, "enableAntiCsrf": True, "checkDatabase": True}

        bad_signature = cdi(core, "POST", "/recipe/session/verify", {"accessToken": forged, **verify})
        assert bad_signature.status_code == 200, bad_signature.text
        assert bad_signature.json()["status"] == "TRY_REFRESH_TOKEN"
        assert isinstance(bad_signature.json()["message"], str)

        wrong_csrf = cdi(
            core, "POST", "/recipe/session/verify", {"accessToken": token, "antiCsrfToken": "nope", **verify}
        )
        assert wrong_csrf.status_code == 200, wrong_csrf.text
        assert wrong_csrf.json() == {"status": "TRY_REFRESH_TOKEN", "message": "anti-csrf check failed"}

        right = cdi(
            core,
            "POST",
            "/recipe/session/verify",
            {"accessToken": token, "antiCsrfToken": browser.anti_csrf, **verify},
        )
        assert right.status_code == 200, right.text
        assert right.json()["status"] == "OK"
        assert "accessToken" not in right.json()


# -- refresh, child tokens, theft -------------------------------------------------------------------------


def test_refresh_through_the_sdk_route_then_child_token_verify_gives_a_new_access_token(
    app: App, core: CoreRecorder, unique_id
):
    with app.browser() as browser:
        view = browser.login(unique_id)
        first_refresh_token = unquote(browser.refresh_token or "")
        first_csrf = browser.anti_csrf

        mark = core.mark()
        refreshed = browser.refresh()
        assert refreshed.status_code == 200, refreshed.text
        second_refresh_token = unquote(browser.refresh_token or "")
        assert second_refresh_token not in ("", first_refresh_token)
        child = browser.claims
        assert child["sessionHandle"] == view["handle"]
        assert child["parentRefreshTokenHash1"] == sha256(first_refresh_token)
        assert child["refreshTokenHash1"] == sha256(second_refresh_token)
        assert custom(child) == {"iss": ISS, "someKey": "someValue"}
        assert browser.front is not None
        assert browser.front["up"] == child
        call = only(core.calls("POST", "/recipe/session/refresh", mark))
        assert call.body["enableAntiCsrf"] is app.anti_csrf
        assert call.body["useDynamicSigningKey"] is True
        assert call.result == "OK"
        if app.anti_csrf:
            assert call.body["antiCsrfToken"] == first_csrf
            # authstate keeps one anti-CSRF token per session (the reference core issues one per refresh)
            assert browser.anti_csrf == child["antiCsrfToken"] == call.response["antiCsrfToken"] == first_csrf
        else:
            assert "antiCsrfToken" not in call.response

        # The child token makes the SDK ask the core, which answers with a new access token (no parent).
        mark = core.mark()
        me = browser.get("/me")
        assert me.status_code == 200, me.text
        verify = only(core.calls("POST", "/recipe/session/verify", mark))
        assert verify.body["checkDatabase"] is False
        assert verify.result == "OK"
        assert set(verify.response) == {"status", "session", "accessToken"}
        promoted = browser.claims
        assert promoted["parentRefreshTokenHash1"] is None
        assert promoted["refreshTokenHash1"] == child["refreshTokenHash1"]
        assert promoted["sessionHandle"] == view["handle"]
        assert me.json()["payload"] == promoted

        # ...after which the token verifies locally again.
        mark = core.mark()
        assert browser.get("/me").status_code == 200
        assert core.calls("POST", "/recipe/session/verify", mark) == []


def test_replayed_old_refresh_token_is_theft_and_ends_the_session(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id)
        handle = view["handle"]
        thief = browser.clone()  # a copy of the first refresh token

        assert browser.refresh().status_code == 200
        assert browser.get("/me").status_code == 200  # the child token is used: the session moved on

        mark = core.mark()
        stolen = thief.refresh()
        assert (stolen.status_code, stolen.json()) == (401, {"message": "token theft detected"})
        theft = only(core.calls("POST", "/recipe/session/refresh", mark))
        assert (theft.status, theft.response) == (
            200,
            {
                "status": "TOKEN_THEFT_DETECTED",
                "session": {"handle": handle, "userId": unique_id, "recipeUserId": unique_id},
            },
        )
        # the SDK's default theft handler revokes the session; authstate already did, at detection
        removed = only(core.calls("POST", "/recipe/session/remove", mark))
        assert removed.body == {"sessionHandles": [handle]}
        assert removed.response == {"status": "OK", "sessionHandlesRevoked": []}
        assert thief.access_token is None
        assert thief.refresh_token is None
        thief.close()

        assert app.offline("information", handle=handle) is None
        mark = core.mark()
        gone = browser.get("/me-db")
        assert (gone.status_code, gone.json()) == (401, {"message": "unauthorised"})
        verify = only(core.calls("POST", "/recipe/session/verify", mark))
        assert verify.body["checkDatabase"] is True
        assert verify.result == "UNAUTHORISED"
        assert isinstance(verify.response["message"], str)
        assert browser.access_token is None  # the SDK cleared the cookies


def test_refresh_after_revocation_is_unauthorised(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id)
        assert app.offline("revoke", handle=view["handle"]) is True
        assert app.offline("revoke", handle=view["handle"]) is False

        # signature-only verification still accepts the token; checkDatabase does not
        assert browser.get("/me").status_code == 200
        mark = core.mark()
        response = browser.get("/me-db")
        assert (response.status_code, response.json()) == (401, {"message": "unauthorised"})
        verify = only(core.calls("POST", "/recipe/session/verify", mark))
        assert verify.result == "UNAUTHORISED"

        browser.login(unique_id)  # fresh cookies, then revoke and refresh
        handle = browser.claims["sessionHandle"]
        assert app.offline("revoke", handle=handle) is True
        mark = core.mark()
        refreshed = browser.refresh()
        assert (refreshed.status_code, refreshed.json()) == (401, {"message": "unauthorised"})
        call = only(core.calls("POST", "/recipe/session/refresh", mark))
        assert call.status == 200
        assert call.result == "UNAUTHORISED"
        assert isinstance(call.response["message"], str)
        assert browser.refresh_token is None


def test_anti_csrf_via_token(fastapi_app: App, core: CoreRecorder, unique_id):
    """VIA_TOKEN: a state-changing request without the ``anti-csrf`` header is refused by the SDK; a
    refresh without it is refused by the core (the token was bound to the refresh token), which does not
    end the session."""
    with fastapi_app.browser() as browser:
        view = browser.login(unique_id)
        csrf = browser.anti_csrf
        assert csrf is not None
        spare = browser.clone()

        assert browser.get("/me", send_anti_csrf=False).status_code == 200  # GET: not checked
        mark = core.mark()
        refused = browser.post("/update-access-token-payload", {"x": 1}, send_anti_csrf=False)
        assert (refused.status_code, refused.json()) == (401, {"message": "try refresh token"})
        assert core.since(mark) == []
        refused = browser.post("/update-access-token-payload", {"x": 1}, headers={"anti-csrf": "wrong"})
        assert (refused.status_code, refused.json()) == (401, {"message": "try refresh token"})

        mark = core.mark()
        no_header = browser.refresh(send_anti_csrf=False)
        assert (no_header.status_code, no_header.json()) == (401, {"message": "unauthorised"})
        call = only(core.calls("POST", "/recipe/session/refresh", mark))
        assert call.body["enableAntiCsrf"] is True
        assert "antiCsrfToken" not in call.body
        # One table answers every route (cdi/answers.py): the core's verify words; its refresh says
        # "Anti CSRF token missing, or not matching" (RefreshSessionAPI.java), the same status.
        assert call.response == {"status": "UNAUTHORISED", "message": "anti-csrf check failed"}
        assert fastapi_app.offline("information", handle=view["handle"]) is not None

        with spare:
            refreshed = spare.refresh()
            assert refreshed.status_code == 200, refreshed.text
            assert spare.anti_csrf == csrf  # one anti-CSRF token per session
            assert spare.claims["antiCsrfToken"] == spare.anti_csrf
            ok = spare.post("/update-access-token-payload", {"x": 1})
            assert ok.status_code == 200, ok.text


def test_header_mode_tokens_in_headers_and_bearer_refresh(app: App, core: CoreRecorder, unique_id):
    """``st-auth-mode: header``: tokens in response headers, sent back as ``Authorization: Bearer``; the
    core is told ``enableAntiCsrf: false`` and answers without an anti-CSRF token."""
    mark = core.mark()
    with httpx.Client(base_url=app.url, timeout=60) as client:
        login = client.post("/login", json={"userId": unique_id}, headers={"st-auth-mode": "header"})
        assert login.status_code == 200, login.text
        assert dict(client.cookies) == {}
        access, refresh = login.headers["st-access-token"], login.headers["st-refresh-token"]
        assert jwt_payload(access)["antiCsrfToken"] is None
        assert front_token(login.headers["front-token"])["up"] == jwt_payload(access)
        created = only(core.calls("POST", "/public/recipe/session", mark))
        assert created.body["enableAntiCsrf"] is False
        assert "antiCsrfToken" not in created.response

        me = client.get("/me", headers={"authorization": f"Bearer {access}"})
        assert me.status_code == 200, me.text
        assert me.json()["payload"] == jwt_payload(access)

        mark = core.mark()
        refreshed = client.post(
            "/auth/session/refresh", headers={"authorization": f"Bearer {refresh}", "rid": "session"}
        )
        assert refreshed.status_code == 200, refreshed.text
        new_access, new_refresh = refreshed.headers["st-access-token"], refreshed.headers["st-refresh-token"]
        assert new_refresh != refresh
        assert jwt_payload(new_access)["parentRefreshTokenHash1"] == sha256(refresh)
        call = only(core.calls("POST", "/recipe/session/refresh", mark))
        assert call.body == {"refreshToken": refresh, "enableAntiCsrf": False, "useDynamicSigningKey": True}
        assert call.result == "OK"
        assert "antiCsrfToken" not in call.response


# -- access-token payload (seed 003) ----------------------------------------------------------------------


def test_online_merge_gives_a_new_token_at_once(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id)
        before = browser.claims
        mark = core.mark()
        merged = browser.post(
            "/update-access-token-payload", {"newKey": "newValue", "nested": {"a": 1}, "someKey": None}
        )
        assert merged.status_code == 200, merged.text
        claims = browser.claims
        assert custom(claims) == {"iss": ISS, "newKey": "newValue", "nested": {"a": 1}}
        assert merged.json()["payload"] == claims
        assert browser.front is not None
        assert browser.front["up"] == claims
        assert claims["exp"] == before["exp"]  # a regenerated token keeps its expiry
        assert claims["refreshTokenHash1"] == before["refreshTokenHash1"]
        regenerate = only(core.calls("POST", "/recipe/session/regenerate", mark))
        assert regenerate.body["userDataInJWT"] == {"iss": ISS, "newKey": "newValue", "nested": {"a": 1}}
        assert regenerate.result == "OK"
        assert "accessToken" in regenerate.response

        mark = core.mark()
        again = browser.post("/update-access-token-payload", {"nested": {"b": 2}})
        assert again.status_code == 200, again.text
        assert custom(browser.claims) == {"iss": ISS, "newKey": "newValue", "nested": {"b": 2}}
        me = browser.get("/me")
        assert me.json()["payload"] == browser.claims
        info = app.offline("information", handle=view["handle"])
        assert info["customClaimsInAccessTokenPayload"] == {
            "iss": ISS,
            "newKey": "newValue",
            "nested": {"b": 2},
        }


def test_offline_merge_by_handle_is_visible_after_the_next_refresh(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id)
        handle = view["handle"]
        mark = core.mark()
        assert app.offline("merge", handle=handle, update={"offline": True, "someKey": None}) is True
        put = only(core.calls("PUT", "/recipe/jwt/data", mark))
        assert put.body == {"sessionHandle": handle, "userDataInJWT": {"iss": ISS, "offline": True}}
        assert put.response == {"status": "OK"}
        info = app.offline("information", handle=handle)
        assert info["customClaimsInAccessTokenPayload"] == {"iss": ISS, "offline": True}

        # the token in the browser is unchanged until the next refresh
        me = browser.get("/me")
        assert custom(me.json()["payload"]) == {"iss": ISS, "someKey": "someValue"}
        assert browser.refresh().status_code == 200
        assert custom(browser.claims) == {"iss": ISS, "offline": True}
        assert browser.front is not None
        assert custom(browser.front["up"]) == {"iss": ISS, "offline": True}

        # a merge by handle for an unknown session is False (the core's UNAUTHORISED)
        assert app.offline("merge", handle=handle + "-unknown", update={"x": 1}) is False


def test_seed_003_offline_loop_then_check_database_verify_returns_the_new_payload(
    app: App, core: CoreRecorder, unique_id
):
    """Seed 003's offline loop over ``get_all_session_handles_for_user``; a ``check_database``
    verification then sees the stored claims differ from the token's and gets a new token at once."""
    with app.browser() as browser:
        view = browser.login(unique_id)
        assert app.offline("seed-003", userId=unique_id) == [view["handle"]]
        mark = core.mark()
        me = browser.get("/me-db")
        assert me.status_code == 200, me.text
        verify = only(core.calls("POST", "/recipe/session/verify", mark))
        assert verify.body["checkDatabase"] is True
        assert verify.result == "OK"
        assert "accessToken" in verify.response
        assert custom(browser.claims) == {"iss": ISS, "someKey": "someValue", "newKey": "newValue"}
        assert me.json()["payload"] == browser.claims


def test_offline_merge_of_a_protected_claim_is_refused(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id)
        mark = core.mark()
        error = app.offline_error("merge", handle=view["handle"], update={"sub": "hacker"})
        assert "The user payload contains protected field" in error
        put = only(core.calls("PUT", "/recipe/jwt/data", mark))
        assert put.status == 400
        assert put.content_type.startswith("text/")
        assert put.response.rstrip("\n") == "The user payload contains protected field"
        info = app.offline("information", handle=view["handle"])
        assert info["customClaimsInAccessTokenPayload"] == {"iss": ISS, "someKey": "someValue"}


def test_concurrent_online_merges_into_one_session_lose_nothing(app: App, core: CoreRecorder, unique_id):
    """8 tabs of one session, each merging 25 distinct keys one request at a time (200 online merges,
    8 in flight): the core applies only what each request changed, so every key survives."""
    workers, per_worker = 8, 25
    with app.browser() as browser:
        view = browser.login(unique_id)
        tabs = [browser.clone() for _ in range(workers)]

        def merge_all(worker: int) -> list[int]:
            statuses = []
            tab = tabs[worker]
            for i in range(per_worker):
                response = tab.post("/update-access-token-payload", {f"w{worker}k{i}": i})
                statuses.append(response.status_code)
                assert response.json()["payload"][f"w{worker}k{i}"] == i
            return statuses

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(merge_all, range(workers)))
        for tab in tabs:
            tab.close()
        assert results == [[200] * per_worker] * workers

        expected: dict[str, Any] = {"iss": ISS, "someKey": "someValue"}
        expected |= {f"w{w}k{i}": i for w in range(workers) for i in range(per_worker)}
        stored = app.offline("information", handle=view["handle"])["customClaimsInAccessTokenPayload"]
        lost = sorted(set(expected) - set(stored))
        assert lost == [], f"{len(lost)} of {workers * per_worker} merged keys lost"
        assert stored == expected
        assert browser.refresh().status_code == 200
        assert custom(browser.claims) == expected


# -- session data (seed 002) ------------------------------------------------------------------------------


def test_session_data_online_and_offline(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id, sessionData={"cart": 2, "gone": None})
        handle = view["handle"]
        assert "cart" not in str(browser.claims)

        online = browser.post("/update_info", {"newKey": "newValue"})
        assert online.status_code == 200, online.text
        assert online.json() == {
            "before": {"cart": 2, "gone": None},
            "after": {"cart": 2, "gone": None, "newKey": "newValue"},
        }

        mark = core.mark()
        assert app.offline("session-data", handle=handle, data={"replaced": {"n": 1}}) is True
        put = only(core.calls("PUT", "/recipe/session/data", mark))
        assert put.body == {"sessionHandle": handle, "userDataInDatabase": {"replaced": {"n": 1}}}
        assert put.response == {"status": "OK"}
        assert app.offline("information", handle=handle)["sessionDataInDatabase"] == {"replaced": {"n": 1}}

        assert app.offline("seed-002", userId=unique_id) == [handle]
        info = app.offline("information", handle=handle)
        assert info["sessionDataInDatabase"] == {"replaced": {"n": 1}, "newKey": "newValue"}

        mark = core.mark()
        assert app.offline("session-data", handle=handle + "-unknown", data={"x": 1}) is False
        assert only(core.calls("PUT", "/recipe/session/data", mark)).result == "UNAUTHORISED"


def test_session_information(app: App, core: CoreRecorder, unique_id):
    with app.browser() as browser:
        view = browser.login(unique_id, sessionData={"cart": 2})
        claims = browser.claims
        info = app.offline("information", handle=view["handle"])
        assert set(info) == {
            "sessionHandle", "userId", "recipeUserId", "sessionDataInDatabase", "expiry",
            "customClaimsInAccessTokenPayload", "timeCreated", "tenantId",
        }  # fmt: skip
        assert info["sessionHandle"] == view["handle"]
        assert info["userId"] == info["recipeUserId"] == unique_id
        assert info["sessionDataInDatabase"] == {"cart": 2}
        assert info["customClaimsInAccessTokenPayload"] == {"iss": ISS, "someKey": "someValue"}
        assert info["tenantId"] == "public"
        assert isinstance(info["timeCreated"], int)
        assert isinstance(info["expiry"], int)
        assert abs(info["timeCreated"] - claims["iat"] * 1000) < 5000
        assert info["expiry"] > claims["exp"] * 1000  # the session outlives its access token

        mark = core.mark()
        assert app.offline("information", handle=view["handle"] + "-unknown") is None
        call = only(core.calls("GET", "/recipe/session", mark))
        assert call.response == {"status": "UNAUTHORISED", "message": "Session does not exist."}


# -- sessions of a user -----------------------------------------------------------------------------------


def test_session_handles_with_and_without_tenant_and_revoke_all(app: App, core: CoreRecorder, unique_id):
    with app.browser() as one, app.browser() as two, app.browser() as three:
        first = one.login(unique_id)["handle"]
        second = two.login(unique_id)["handle"]
        other = three.login(unique_id, tenantId="tenant1")
        assert other["tenantId"] == "tenant1"
        assert three.claims["tId"] == "tenant1"
        assert app.offline("information", handle=other["handle"])["tenantId"] == "tenant1"

        mark = core.mark()
        assert sorted(app.offline("handles", userId=unique_id)) == sorted([first, second, other["handle"]])
        assert sorted(app.offline("handles", userId=unique_id, tenantId="public")) == sorted([first, second])
        assert app.offline("handles", userId=unique_id, tenantId="tenant1") == [other["handle"]]
        across = only(core.calls("GET", "/recipe/session/user", mark))
        assert across.query == {
            "userId": unique_id,
            "fetchAcrossAllTenants": "true",
            "fetchSessionsForAllLinkedAccounts": "true",
        }
        assert across.result == "OK"
        public = only(core.calls("GET", "/public/recipe/session/user", mark))
        assert public.query["fetchAcrossAllTenants"] == "false"

        mark = core.mark()
        assert app.offline("revoke-all", userId=unique_id, tenantId="tenant1") == [other["handle"]]
        assert only(core.calls("POST", "/tenant1/recipe/session/remove", mark)).body == {
            "userId": unique_id,
            "revokeSessionsForLinkedAccounts": True,
            "revokeAcrossAllTenants": False,
        }
        assert sorted(app.offline("revoke-all", userId=unique_id)) == sorted([first, second])
        assert app.offline("handles", userId=unique_id) == []
        assert app.offline("revoke-all", userId=unique_id) == []
        for browser in (one, two, three):
            response = browser.get("/me-db")
            assert (response.status_code, response.json()) == (401, {"message": "unauthorised"})


# -- user metadata (seeds 000, 001) -----------------------------------------------------------------------


def test_user_metadata_merge_rule_and_clear(app: App, core: CoreRecorder, unique_id):
    assert app.offline("metadata-get", userId=unique_id) == {}
    stored = {
        "preferences": {"theme": "dark"},
        "notifications": {"email": True},
        "todos": ["use-text-notifs"],
    }
    assert app.offline("metadata-update", userId=unique_id, update=stored) == stored

    # seed 000's example: root keys replaced, null removes one
    mark = core.mark()
    result = app.offline(
        "metadata-update", userId=unique_id, update={"notifications": {"sms": True}, "todos": None}
    )
    assert result == {"preferences": {"theme": "dark"}, "notifications": {"sms": True}}
    put = only(core.calls("PUT", "/recipe/user/metadata", mark))
    assert put.body == {
        "userId": unique_id,
        "metadataUpdate": {"notifications": {"sms": True}, "todos": None},
    }
    assert put.response == {"status": "OK", "metadata": result}

    # nested objects are replaced whole; nulls below the root are kept
    result = app.offline(
        "metadata-update", userId=unique_id, update={"preferences": {"font": "mono", "x": None}}
    )
    assert result == {"preferences": {"font": "mono", "x": None}, "notifications": {"sms": True}}
    assert app.offline("metadata-get", userId=unique_id) == result

    # seed 000 online: the signed-in user's metadata
    with app.browser() as browser:
        browser.login(unique_id)
        online = browser.post("/updateinfo", {"newKey": "data"})
        assert online.status_code == 200, online.text
        assert online.json() == {"metadata": {**result, "newKey": "data"}}

    mark = core.mark()
    assert app.offline("metadata-clear", userId=unique_id) is None
    assert only(core.calls("POST", "/recipe/user/metadata/remove", mark)).response == {"status": "OK"}
    assert app.offline("metadata-get", userId=unique_id) == {}
    assert app.offline("metadata-clear", userId=unique_id) is None  # clearing nothing is fine


def test_app_log_has_no_public_suffix_download_trace(app: App, unique_id):
    """The SDK's SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP=1 (set by the apps): no download, no trace."""
    with app.browser() as browser:
        browser.login(unique_id)
    log = app.log.read_text(errors="replace")
    assert "Public Suffix" not in log
    assert "Traceback" not in log


# -- the core's rules, through the SDK (issue 19) ---------------------------------------------------------


def test_a_replayed_refresh_token_is_theft_at_once_while_the_native_api_keeps_its_window(
    fastapi_app: App, core: CoreRecorder, authstate_url: str, unique_id
):
    """Rule 1. This server runs the template's defaults: RefreshReuseWindowSeconds 10 for the native
    API, CdiRefreshReuseWindowSeconds 0 for the CDI. Two tabs refresh R0 at once (R1a, R1b); R1a is
    used; R1b a moment later is theft through the SDK, as in the core (``Session.refreshSessionHelper``),
    and joins R1a's branch through the native API."""
    with fastapi_app.browser() as tab_a:
        tab_a.login(unique_id)
        tab_b = tab_a.clone()
        assert tab_a.refresh().status_code == 200
        assert tab_b.refresh().status_code == 200  # R0 again: R0 is still current, not theft
        assert tab_a.refresh().status_code == 200  # R1a is used: R0's generation is over
        mark = core.mark()
        stolen = tab_b.refresh()
        assert (stolen.status_code, stolen.json()) == (401, {"message": "token theft detected"})
        assert only(core.calls("POST", "/recipe/session/refresh", mark)).result == "TOKEN_THEFT_DETECTED"
        tab_b.close()

    headers = {"api-key": API_KEY}
    created = httpx.post(f"{authstate_url}/sessions", json={"userId": unique_id}, headers=headers, timeout=60)
    r0 = created.json()["refreshToken"]["token"]
    refresh = f"{authstate_url}/sessions/refresh"
    r1a = httpx.post(refresh, json={"refreshToken": r0}, headers=headers, timeout=60).json()
    r1b = httpx.post(refresh, json={"refreshToken": r0}, headers=headers, timeout=60).json()
    used = httpx.post(
        refresh, json={"refreshToken": r1a["refreshToken"]["token"]}, headers=headers, timeout=60
    )
    assert used.status_code == 200
    joined = httpx.post(
        refresh, json={"refreshToken": r1b["refreshToken"]["token"]}, headers=headers, timeout=60
    )
    assert joined.status_code == 200, joined.text


def test_every_sdk_call_names_cdi_version_5_4_and_a_wrong_one_is_refused(core: CoreRecorder):
    """Rule 2 (``WebserverAPI.getVersionFromRequest``): the request the SDK sends, with another version."""
    headers = {"api-key": API_KEY, "rid": "usermetadata"}
    for version, status in (("5.4", 200), ("5.3", 400), ("6.0", 400)):
        answer = httpx.get(
            f"{core.url}/recipe/user/metadata",
            params={"userId": "u"},
            headers={**headers, "cdi-version": version},
            timeout=60,
        )
        assert answer.status_code == status, (version, answer.text)


def test_a_tenant_in_any_case_is_one_tenant(fastapi_app: App, core: CoreRecorder, unique_id):
    """Rule 3 (``webserver/Utils.normalizeAndValidateTenantId``): the SDK passes the tenant as the app
    gives it; "TENANT-X" and "tenant-x" are one tenant, listed and revoked together."""
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    with fastapi_app.browser() as upper, fastapi_app.browser() as lower:
        first = upper.login(unique_id, tenantId=tenant.upper())
        second = lower.login(unique_id, tenantId=tenant)
        assert (
            upper.claims["tId"] == lower.claims["tId"] == tenant
        )  # (the SDK's object keeps what it was given)
    assert fastapi_app.offline("information", handle=first["handle"])["tenantId"] == tenant
    listed = fastapi_app.offline("handles", userId=unique_id, tenantId=tenant.upper())
    assert sorted(listed) == sorted([first["handle"], second["handle"]])
    assert sorted(fastapi_app.offline("revoke-all", userId=unique_id, tenantId=tenant)) == sorted(listed)


def test_claims_the_core_accepts_and_what_the_sdk_makes_of_them(fastapi_app: App, unique_id):
    """Rule 4: the SDK strips its protected claims (``constants.protected_props``: the core's and stt)
    but sends jti, nbf and aud, which the core accepts and so does authstate. The SDK's own verification
    (PyJWT) then refuses a token with an aud it was not told to expect: the README says so."""
    with fastapi_app.browser() as browser:
        browser.login(unique_id, accessTokenPayload={"jti": "j-1", "stt": 1})
        assert (browser.claims["jti"], "stt" in browser.claims) == ("j-1", False)
        assert browser.get("/me").status_code == 200
    with fastapi_app.browser() as browser:
        browser.login(unique_id, accessTokenPayload={"aud": "api://other"})
        assert browser.claims["aud"] == "api://other"
        refused = browser.get("/me")
        assert (refused.status_code, refused.json()) == (401, {"message": "try refresh token"})


def test_the_empty_user_id_has_a_session(fastapi_app: App, unique_id):
    """Rule 5: the core creates sessions for "" (``SessionAPI.java``); so does the CDI."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    created = fastapi_app.offline("create-without-request-response", userId="", tenantId=tenant)
    assert created["userId"] == ""
    info = fastapi_app.offline("information", handle=created["handle"])
    assert (info["userId"], info["recipeUserId"], info["tenantId"]) == ("", "", tenant)
    verified = fastapi_app.offline("get-without-request-response", accessToken=created["accessToken"])
    assert verified["userId"] == ""
    assert fastapi_app.offline("handles", userId="", tenantId=tenant) == [created["handle"]]
    assert fastapi_app.offline("revoke-all", userId="", tenantId=tenant) == [created["handle"]]


def test_top_level_nulls_in_the_payload_are_kept(fastapi_app: App, core: CoreRecorder, unique_id):
    """Rule 6 (``Session.createNewSession`` signs and stores the payload as sent)."""
    with fastapi_app.browser() as browser:
        view = browser.login(unique_id, accessTokenPayload={"k": None})
        assert "k" in browser.claims
        assert browser.claims["k"] is None
        info = fastapi_app.offline("information", handle=view["handle"])
        assert info["customClaimsInAccessTokenPayload"] == {"iss": ISS, "someKey": "someValue", "k": None}


# -- the JWT recipe ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", ["jwt", "openid", "session"])
def test_a_jwt_created_by_the_sdk_verifies_with_pyjwt(fastapi_app: App, core: CoreRecorder, recipe: str):
    """``create_jwt`` of the JWT recipe (and of OpenID and session, which add iss): the JWT verifies
    with PyJWT against the core's JWKS (``<connection_uri>/.well-known/jwks.json``) and against the
    SDK's own JWKS route (``/auth/jwt/jwks.json``)."""
    token = fastapi_app.offline("jwt-create", recipe=recipe, payload={"scope": "read"}, validity=120)
    issuer = "http://api.example.com" if recipe == "jwt" else ISS  # jwksDomain, or OpenID's issuer
    for jwks_url in (f"{core.url}/.well-known/jwks.json", f"{fastapi_app.url}/auth/jwt/jwks.json"):
        key = jwt.PyJWKClient(jwks_url, cache_jwk_set=False).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer)
        assert (claims["scope"], claims["exp"] - claims["iat"]) == ("read", 120)
    assert jwt.get_unverified_header(token)["kid"].startswith("s-")  # the SDK's default: the static key
    dynamic = fastapi_app.offline("jwt-create", recipe=recipe, payload={}, useStaticSigningKey=False)
    assert jwt.get_unverified_header(dynamic)["kid"].startswith("d-")
