"""The unmodified SDKs across the switch. supertokens-python (the FastAPI app of tests/sdk) signs a client in
while its core is the stand-in (core-issued tokens, rows in PostgreSQL); the import runs (the installed
command); the app restarts with authstate's /cdi as its core, and the same client, with the cookies and
headers the SDK gave it, goes on: the core's access token verifies locally (no refresh), claims, session
data and metadata are intact, one refresh converts the session, the old core refresh token replayed is
theft. During the cutover's hold, a session the import has not matched yet gets an error, not a sign-out,
until the catch-up. supertokens-node does the same with a core session's cookies (node/switch.test.js)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.coreworld import CoreApp
from tests.migration.conftest import API_KEY, CoreDatabase, Migrate, postgres_database
from tests.migration.core_schema import DEFAULT_NAMES
from tests.migration.standin import standin_core
from tests.sdk.browser import Browser
from tests.sdk.recorder import recording
from tools.localrun.dynamodb import free_port
from tools.localrun.process import serving

NODE_DIR = Path(__file__).parent / "node"
SDK_NODE_MODULES = Path(__file__).parents[1] / "sdk" / "node" / "node_modules"


@pytest.fixture
def core_database(postgres_url: str, core_app: CoreApp) -> CoreDatabase:
    database = postgres_database(postgres_url, schema=None, names=dict(DEFAULT_NAMES))
    database.db.write_app(core_app)  # the key and the signing keys; no session yet
    return database


@contextmanager
def fastapi_app(core: str, log: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ, "AUTHSTATE_SDK_CONNECTION_URI": core, "AUTHSTATE_SDK_API_KEY": API_KEY,
        "AUTHSTATE_SDK_ANTI_CSRF": "VIA_TOKEN", "SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP": "1",
        "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    command = [sys.executable, "-m", "tests.sdk.apps.fastapi_app", str(port)]
    with serving(command, f"http://127.0.0.1:{port}", log, ready_path="/health", env=env) as url:
        yield url


def switch(browser: Browser, url: str) -> None:
    """The same client (its cookie jar and anti-CSRF token) now talks to the app restarted on the new core."""
    browser.client.base_url = url


def test_python_sdk_client_stays_signed_in_across_the_switch(
    core_database: CoreDatabase, core_app: CoreApp, migrate: Migrate, authstate_url: str, tmp_path: Path
):
    with (
        standin_core(core_app, core_database.db) as standin,
        fastapi_app(standin.url, tmp_path / "a.log") as before,
    ):
        browser = Browser(before)
        browser.login("py-user", accessTokenPayload={"role": "admin"}, sessionData={"cart": [1, 2]})
        assert browser.post("/updateinfo", {"plan": "pro"}).status_code == 200
        stolen = browser.refresh_token or ""  # the cookie as the browser holds it, copied by an attacker
        stolen_csrf = browser.anti_csrf  # with the anti-CSRF token the page keeps
        assert token_of(stolen).endswith(".V2")  # the core's token, as the SDK set it
        assert standin.unknown == []
    handle = standin.sessions[0].handle
    migrate("import", "--database-url", core_database.reader_url)

    with recording(f"{authstate_url}/cdi") as core, fastapi_app(core.url, tmp_path / "b.log") as after:
        switch(browser, after)
        me = browser.get("/me")
        assert me.status_code == 200, me.text
        assert (me.json()["userId"], me.json()["handle"]) == ("py-user", handle)
        assert me.json()["payload"]["role"] == "admin"
        assert me.json()["payload"]["someKey"] == "someValue"
        assert core.calls("POST", "/recipe/session/refresh") == []  # verified locally with authstate's JWKS
        assert browser.get("/me-db").status_code == 200  # against authstate's database too
        info = httpx_post(after, "/offline/information", {"handle": handle})
        assert info["sessionDataInDatabase"] == {"cart": [1, 2]}
        assert httpx_post(after, "/offline/metadata-get", {"userId": "py-user"}) == {"plan": "pro"}

        refreshed = browser.refresh()
        assert refreshed.status_code == 200, refreshed.text
        assert token_of(browser.refresh_token or "").startswith("rt1.")
        assert [e.result for e in core.calls("POST", "/recipe/session/refresh")] == ["OK"]
        assert browser.get("/me").json()["payload"]["role"] == "admin"

        attacker = Browser(after)
        attacker.client.cookies.set("sRefreshToken", stolen, path="/auth/session/refresh")
        assert (
            attacker.refresh(send_anti_csrf=False).status_code == 401
        )  # without it: refused, as the core does
        assert core.calls("POST", "/recipe/session/refresh")[-1].result == "UNAUTHORISED"
        attacker.anti_csrf = stolen_csrf
        assert attacker.refresh().status_code == 401  # the old core token replayed: theft
        assert core.calls("POST", "/recipe/session/refresh")[-1].result == "TOKEN_THEFT_DETECTED"
        assert httpx_post(after, "/offline/handles", {"userId": "py-user"}) == []
        assert browser.refresh().status_code == 401  # the session is gone for everyone


def test_during_the_hold_a_session_not_yet_imported_gets_an_error_not_a_sign_out(
    core_database: CoreDatabase, core_app: CoreApp, migrate: Migrate, authstate_url: str, tmp_path: Path
):
    migrate("import", "--database-url", core_database.reader_url, "--hold", "10")  # T0: the switch starts
    try:
        with (
            standin_core(core_app, core_database.db) as standin,
            fastapi_app(standin.url, tmp_path / "a.log") as a,
        ):
            browser = Browser(a)  # a backend not switched yet signs someone in
            browser.login("late-user", accessTokenPayload={"role": "late"})
        with fastapi_app(f"{authstate_url}/cdi", tmp_path / "b.log") as after:
            switch(browser, after)
            held = browser.refresh()
            assert held.status_code == 500, held.text  # the SDK raised on the core's 503: no 401
            assert browser.refresh_token is not None  # cookies kept: still signed in
            assert held.headers.get("front-token") != "remove"
            migrate("import", "--database-url", core_database.reader_url)  # the catch-up
            assert browser.refresh().status_code == 200
            assert browser.get("/me").json()["userId"] == "late-user"
    finally:
        migrate("hold", "--off")


def test_node_sdk_takes_a_core_sessions_cookies_across_the_switch(
    core_database: CoreDatabase, core_app: CoreApp, migrate: Migrate, authstate_url: str
):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: supertokens-node needs Node 20+")
    if not (SDK_NODE_MODULES / "supertokens-node").is_dir():
        pytest.fail(
            "tests/sdk/node/node_modules is missing: run tools/scripts/setup.sh (npm ci in tests/sdk/node)"
        )
    session = core_app.create("node-user", payload={"tier": "gold"}, data={"n": 1}, anti_csrf=True)
    core_app.metadata["node-user"] = json.dumps({"lang": "fr"})
    core_database.db.write_session(session)
    core_database.db.write_metadata("public", "node-user", core_app.metadata["node-user"])
    migrate("import", "--database-url", core_database.reader_url)
    env = {
        **os.environ, "NODE_PATH": str(SDK_NODE_MODULES),
        "AUTHSTATE_SDK_CONNECTION_URI": f"{authstate_url}/cdi",
        "AUTHSTATE_SDK_API_KEY": API_KEY, "CORE_ACCESS_TOKEN": session.access_token,
        "CORE_REFRESH_TOKEN": session.refresh_token, "CORE_ANTI_CSRF": session.anti_csrf or "",
        "CORE_USER_ID": "node-user", "CORE_HANDLE": session.handle,
    }  # fmt: skip
    run = subprocess.run(  # noqa: S603 - node on our own test file
        [node, "--test", "--test-reporter=spec", "switch.test.js"],
        cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    expected = len(re.findall(r"^test\(", (NODE_DIR / "switch.test.js").read_text(), flags=re.MULTILINE))
    assert re.search(rf"pass {expected}\b", output), output[-3000:]


def token_of(cookie: str) -> str:
    """The token in a cookie as the SDK sets it (FastAPI quotes the percent-encoded value)."""
    return unquote(cookie.strip('"'))


def httpx_post(base: str, path: str, body: dict[str, object]) -> Any:
    import httpx

    response = httpx.post(base + path, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["result"]
