"""Every row of docs/cdi-requests.md, sent by supertokens-python 0.31.4 (unmodified, in the FastAPI
app) from the functions and middleware routes the table names, and answered 200 by the CDI; no
request outside the table; every request with ``cdi-version: 5.4`` but the two the SDK sends without
it. (supertokens-node: tests/sdk/test_node_sdk.py holds its run to the same table.)"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.sdk.recorder import CoreRecorder, Exchange
from tests.sdk.request_table import outside, unanswered, without_cdi_headers
from tests.sdk.test_python_sdk import App

pytestmark = pytest.mark.sdk


@pytest.fixture
def fastapi_app(fastapi_url: str, fastapi_log: Path) -> App:
    return App("fastapi", fastapi_url, fastapi_log, anti_csrf=True)


def test_the_python_sdk_sends_every_request_of_the_table(
    fastapi_app: App, core: CoreRecorder, unique_id: str
) -> None:
    app, tenant = fastapi_app, f"t-{uuid.uuid4().hex[:12]}"
    mark = core.mark()
    with app.browser() as browser:
        view = browser.login(unique_id, sessionData={"cart": 1})  # GET /user/id, POST /public/...
        handle = view["handle"]
        for path in ("/me", "/me-db"):  # the JWKS (unless cached), then verify with checkDatabase
            assert browser.get(path).status_code == 200, path
        assert browser.refresh().status_code == 200
        assert browser.get("/me").status_code == 200  # a child token: verify
        assert browser.post("/update-access-token-payload", {"tour": 1}).status_code == 200  # regenerate
        assert browser.post("/session-object").status_code == 200  # GET /recipe/session, regenerate
        assert browser.post("/update_info", {"more": 1}).status_code == 200  # PUT /recipe/session/data
        for path in ("/auth/jwt/jwks.json", "/auth/.well-known/openid-configuration"):  # the middleware's
            assert browser.get(path).status_code == 200, path

        assert app.offline("information", handle=handle)["sessionHandle"] == handle
        assert app.offline("merge", handle=handle, update={"offline": 1}) is True  # GET, PUT jwt/data
        assert app.offline("session-data", handle=handle, data={"replaced": 1}) is True
        assert app.offline("claim-fetch", handle=handle) is True
        assert app.offline("claim-set", handle=handle, value="silver") is True
        assert app.offline("claim-get", handle=handle) == "silver"
        assert app.offline("claim-remove", handle=handle) is True
        assert app.offline("claims-validate", handle=handle) == []
        assert app.offline("handles", userId=unique_id) == [handle]
        other = app.offline("create-without-request-response", userId=unique_id, tenantId=tenant)
        assert app.offline("handles", userId=unique_id, tenantId=tenant) == [other["handle"]]
        verified = app.offline("get-without-request-response", accessToken=other["accessToken"])
        assert verified["handle"] == other["handle"]
        refreshed = app.offline("refresh-without-request-response", refreshToken=other["refreshToken"])
        assert refreshed["handle"] == other["handle"]
        assert app.offline("revoke-all", userId=unique_id, tenantId=tenant) == [other["handle"]]
        for recipe in ("jwt", "openid", "session"):
            assert app.offline("jwt-create", recipe=recipe, payload={"r": recipe}).count(".") == 2
            assert app.offline("jwks", recipe=recipe)
        assert app.offline("openid-discovery")["issuer"] == "http://api.example.com/auth"
        assert app.offline("metadata-update", userId=unique_id, update={"m": 1}) == {"m": 1}
        assert app.offline("metadata-get", userId=unique_id) == {"m": 1}
        assert app.offline("metadata-clear", userId=unique_id) is None

        spare = app.offline("create-without-request-response", userId=unique_id)["handle"]
        assert app.offline("revoke-multiple", handles=[spare, "no-such-handle"]) == [spare]
        assert browser.post("/logout").status_code == 200  # the session object's revoke_session
        browser.login(unique_id)
        assert browser.post("/auth/signout").status_code == 200  # the middleware's sign-out
        last = browser.login(unique_id)["handle"]
        assert app.offline("revoke", handle=last) is True
        assert app.offline("revoke-all", userId=unique_id) == []

    exchanges = core.since(mark)
    assert unanswered(exchanges + api_version_calls(core)) == []
    assert outside(exchanges) == []
    assert without_cdi_headers(exchanges) == []


def api_version_calls(core: CoreRecorder) -> list[Exchange]:
    """The querier asks for the versions once per process, before its first call: in this test only if
    it is the app's first, so it is looked for in the whole run (it can only come from an SDK)."""
    return [
        e
        for e in core.since(0)
        if e.path == "/apiversion" and e.headers.get("user-agent", "").startswith("python-httpx")
    ]


def test_the_sdk_routes_for_the_jwks_and_openid_discovery(fastapi_app: App, core: CoreRecorder) -> None:
    """GET /auth/jwt/jwks.json is the core's JWKS as the SDK fetched it; the discovery document is the
    SDK's own, pointing at it."""
    discovery = httpx.get(f"{fastapi_app.url}/auth/.well-known/openid-configuration", timeout=60).json()
    assert discovery["issuer"] == "http://api.example.com/auth"
    assert discovery["jwks_uri"] == "http://api.example.com/auth/jwt/jwks.json"
    mark = core.mark()
    served = httpx.get(f"{fastapi_app.url}/auth/jwt/jwks.json", timeout=60)
    assert served.status_code == 200
    fetched = [e for e in core.since(mark) if e.path == "/.well-known/jwks.json"]
    assert fetched
    assert served.json()["keys"] == fetched[-1].response["keys"]
    assert any(key["kid"].startswith("s-") for key in served.json()["keys"])
