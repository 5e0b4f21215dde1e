"""A browser signed in with core-issued cookies stays signed in across the switch: the example app
(examples/app: supertokens-python behind, supertokens-web-js in the page) in headless Chromium. Before the
switch its core is the stand-in (core-issued tokens, rows in PostgreSQL); the import runs (the installed
command); the app restarts on the same origin with authstate's /cdi as its core. The page, its cookies
and its claims, session data and metadata go on; one refresh converts the session; the old core refresh
token, replayed, is theft. During the cutover's hold, a browser whose session the import has not matched
yet sees an error on its next call, not a sign-out, and goes on after the catch-up."""

# mypy: disable-error-code="import-not-found"
# (Playwright comes from tools/scripts/setup-browser.sh, which make test-migration runs)

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.browser.conftest import browser  # noqa: F401 - the Chromium fixture, shared
from tests.browser.tabs import Steps
from tests.coreworld import CoreApp
from tests.migration.conftest import API_KEY, CoreDatabase, Migrate, postgres_database
from tests.migration.core_schema import DEFAULT_NAMES
from tests.migration.standin import standin_core
from tools.localrun.dynamodb import free_port
from tools.localrun.process import serving
from tools.localrun.template import ROOT

EXAMPLE_APP = ROOT / "examples" / "app" / "app.py"


@pytest.fixture
def core_database(postgres_url: str, core_app: CoreApp) -> CoreDatabase:
    database = postgres_database(postgres_url, schema=None, names=dict(DEFAULT_NAMES))
    database.db.write_app(core_app)
    return database


@pytest.fixture
def output_dir(tmp_path: Path, authstate_log: Path) -> Path:
    (tmp_path / "authstate.log").symlink_to(authstate_log)  # what Steps prints when a step fails
    return tmp_path


@pytest.fixture
def steps(browser: Browser, output_dir: Path, request: pytest.FixtureRequest) -> Iterator[Steps]:  # noqa: F811
    recorder = Steps(browser, f"http://127.0.0.1:{free_port()}", output_dir, request.node.name)
    try:
        yield recorder
    finally:
        recorder.close()


@contextmanager
def example_app(steps: Steps, core: str) -> Iterator[str]:
    """The example app on the steps' origin (the same origin before and after the switch)."""
    port = steps.base_url.rsplit(":", 1)[1]
    command = [sys.executable, str(EXAMPLE_APP), "--port", port, "--core", core, "--api-key", API_KEY]
    with serving(command, steps.base_url, steps.output_dir / "example-app.log", ready_path="/healthz") as url:
        yield url


@pytest.fixture
def sessions_of(authstate_url: str) -> Callable[[str], list[str]]:
    def handles(user_id: str) -> list[str]:
        response = requests.get(
            f"{authstate_url}/users/{user_id}/sessions", headers={"api-key": API_KEY}, timeout=30
        )
        response.raise_for_status()
        return list(response.json()["sessionHandles"])

    return handles


def test_a_browser_signed_in_on_the_core_stays_signed_in_across_the_switch(
    steps: Steps,
    core_database: CoreDatabase,
    core_app: CoreApp,
    migrate: Migrate,
    authstate_url: str,
    sessions_of: Callable[[str], list[str]],
):
    laptop = steps.device("laptop")
    with standin_core(core_app, core_database.db) as standin, example_app(steps, standin.url):
        tab = laptop.tab("A")
        with steps.step("signed in while the core is the core", tab):
            tab.sign_in("dana")
            before = tab.payload
            assert (before["sub"], before["role"]) == ("dana", "reader")
            tab.fill(metadata_update='{"theme": "dark"}')
            tab.click("#merge-metadata")
            tab.expect_no_error()
        assert standin.unknown == []
    old_refresh = laptop.cookie("sRefreshToken")
    assert old_refresh["value"].strip('"').endswith(".V2")  # the core's refresh token, as the SDK set it

    migrate("import", "--database-url", core_database.reader_url)
    assert sessions_of("dana") == [before["sessionHandle"]]

    with example_app(steps, f"{authstate_url}/cdi"):
        with steps.step("after the switch: still signed in, nothing refreshed", tab):
            tab.reload()
            tab.expect_state("signed-in")
            tab.click("#read")
            tab.expect_no_error()
            me = tab.json("#me")
            assert (me["userId"], me["sessionHandle"]) == ("dana", before["sessionHandle"])
            assert me["accessTokenPayload"]["role"] == "reader"
            assert (
                "REFRESH_SESSION" not in tab.events
            )  # the core's access token verified with authstate's JWKS
        with steps.step("claims, session data and metadata intact", tab):
            tab.click("#read-metadata")
            assert tab.json("#metadata") == {"theme": "dark"}
            tab.click("#read-data")
            assert "signedInAt" in tab.json("#session-data")
        with steps.step("one refresh converts the session", tab):
            tab.click("#refresh")
            tab.expect_state("signed-in")
            assert "REFRESH_SESSION" in tab.events
            assert laptop.cookie("sRefreshToken")["value"].strip('"').startswith("rt1.")
            assert tab.payload["role"] == "reader"
            assert tab.payload["sessionHandle"] == before["sessionHandle"]
            tab.click("#read")  # the new token in use (until then the core's token could be presented again
            tab.expect_no_error()  # as a retry, as the core allows too)
        with steps.step("the old core refresh token, replayed elsewhere, is theft", tab):
            thief = steps.device("thief")
            thief.put_cookie(old_refresh)
            replay = thief.context.request.post(
                f"{steps.base_url}/auth/session/refresh", headers={"rid": "session"}
            )
            assert replay.status == 401
            assert sessions_of("dana") == []
            tab.click("#refresh")
            tab.expect_state("signed-out")


def test_during_the_hold_a_browser_the_import_has_not_matched_yet_sees_an_error_not_a_sign_out(
    steps: Steps, core_database: CoreDatabase, core_app: CoreApp, migrate: Migrate, authstate_url: str
):
    migrate("import", "--database-url", core_database.reader_url, "--hold", "10")  # T0
    try:
        laptop = steps.device("laptop")
        with standin_core(core_app, core_database.db) as standin, example_app(steps, standin.url):
            tab = laptop.tab("A")
            with steps.step("signed in on a backend not switched yet, after the import", tab):
                tab.sign_in("erik")
        with example_app(steps, f"{authstate_url}/cdi"):
            # Its access token gone, as when it expires (its expiry is the SDK's clock, in the app's own
            # process, which the test cannot move): the page's next call refreshes, without a wait.
            laptop.forget_cookie("sAccessToken")
            with steps.step("the refresh is held: an error, still signed in", tab):
                tab.click("#read")
                expect(tab.page.locator("#error")).to_be_visible()
                tab.expect_state("signed-in")
                assert laptop.cookie("sRefreshToken")["value"].strip('"').endswith(".V2")
            migrate("import", "--database-url", core_database.reader_url)  # the catch-up
            with steps.step("after the catch-up the same call goes through", tab):
                tab.click("#read")
                tab.expect_no_error()
                tab.expect_state("signed-in")
                assert tab.json("#me")["userId"] == "erik"
                assert "REFRESH_SESSION" in tab.events
        assert standin.unknown == []
    finally:
        migrate("hold", "--off")
