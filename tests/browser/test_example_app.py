"""What a user's browser sees of authstate, through SuperTokens' SDKs (examples/app).

Two tabs are two pages of one browser context (one cookie jar, one localStorage); another device is
another context. The access token lives 60 s: the expiry test's session is signed in first (by an
autouse fixture) and the test runs last, so the other tests make most of that minute.
"""

# mypy: disable-error-code="import-not-found"
# (see conftest.py: Playwright comes from tools/scripts/setup-browser.sh)

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ACCESS_TOKEN_TTL_SECONDS
from tests.example_screenshot import SCREENSHOT, with_record
from tools.localrun.process import set_clock

from .tabs import Device, Steps, Tab

pytestmark = pytest.mark.browser

SessionsOf = Callable[[str], list[str]]


def user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now_ms(tab: Tab) -> float:
    value: float = tab.page.evaluate("() => Date.now()")
    return value


def click_together(tabs: tuple[Tab, ...], selector: str) -> None:
    """Click ``selector`` in every tab at the same moment (300 ms from now, by the page's clock), then
    wait until each tab's call is done."""
    at = now_ms(tabs[0]) + 300
    waits = [(tab, tab.click_at(selector, at)) for tab in tabs]
    for tab, before in waits:
        tab.wait_done(before)


def signed_in_pair(steps: Steps, name: str, device_name: str = "browser") -> tuple[Device, Tab, Tab]:
    """A device with tab A signed in as ``name`` and tab B opened after it."""
    device = steps.device(device_name)
    a = device.tab("A")
    a.sign_in(name)
    b = device.tab("B")
    b.expect_state("signed-in")
    return device, a, b


#: How long after their sign-in the aged tabs' access token expires: long enough for two tabs to sign in
#: (their pages call the backend, whose SDK checks the expiry on the wall clock), far shorter than the
#: module's other tests, which run meanwhile.
AGED_FOR_SECONDS = 20


@pytest.fixture(autouse=True, scope="module")
def aged(browser: Browser, example_url: str, authstate_url: str, output_dir: Path) -> Iterator[Device]:
    """Two tabs signed in before every other test of this module (autouse), then left alone until
    test_refresh_across_access_token_expiry, which runs last. They sign in while authstate's clock is
    set back (``serve --test-clock``), so their access token expires ``AGED_FOR_SECONDS`` after it, not
    a whole lifetime: the module's other tests take longer, so no test waits for the expiry."""
    steps = Steps(browser, example_url, output_dir, "aged")
    set_clock(authstate_url, AGED_FOR_SECONDS - ACCESS_TOKEN_TTL_SECONDS)
    try:
        device, _, _ = signed_in_pair(steps, user("erin"), "aged")
        set_clock(authstate_url, 0)
        yield device
    finally:
        set_clock(authstate_url, 0)
        steps.close()


def test_sign_in_survives_reload_and_shows_in_a_new_tab(steps: Steps) -> None:
    name = user("alice")
    device = steps.device("browser")
    a = device.tab("A")
    with steps.step("signed out at first", a):
        a.expect_state("signed-out")
        expect(a.page.locator("#signed-out .warning")).to_contain_text("no password")
    with steps.step("sign in", a):
        a.sign_in(name)
        expect(a.page.locator("#user-id")).to_have_text(name)
        payload = a.payload
        assert payload["sub"] == name
        assert payload["role"] == "reader"  # set by the backend at sign-in
        assert payload["sessionHandle"]
        assert a.events[-1] == "SESSION_CREATED"
    with steps.step("still signed in after a reload", a):
        a.reload()
        a.expect_state("signed-in")
        a.click("#read")
        assert a.json("#me")["userId"] == name
        a.expect_no_error()
    with steps.step("a new tab is signed in too", a):
        b = device.tab("B")
        b.expect_state("signed-in")
        assert b.payload["sessionHandle"] == payload["sessionHandle"]


def test_claim_online_at_once_offline_after_refresh(steps: Steps) -> None:
    _, a, b = signed_in_pair(steps, user("carol"))
    with steps.step("claim set online shows at once", a, b):
        a.fill(claim_key="plan", claim_value='"pro"')
        a.click("#set-online")
        assert a.payload["plan"] == "pro"  # the response carried the new token: no refresh
        assert "REFRESH_SESSION" not in a.events
        b.click("#read")  # the other tab's next call carries the same new cookies
        assert b.json("#me")["accessTokenPayload"]["plan"] == "pro"
        assert b.payload["plan"] == "pro"
    with steps.step("claim set offline is not in the token yet", a):
        a.fill(claim_key="team", claim_value='"blue"')
        a.click("#set-offline")
        assert a.json("#me")["changed"] is True
        a.click("#read")
        assert "team" not in a.json("#me")["accessTokenPayload"]
        assert "team" not in a.payload
    with steps.step("claim set offline shows after the next refresh", a, b):
        a.click("#refresh")
        a.expect_no_error()
        assert "REFRESH_SESSION" in a.events
        assert a.payload["team"] == "blue"
        assert a.payload["plan"] == "pro"
        b.click("#read")
        assert b.json("#me")["accessTokenPayload"]["team"] == "blue"
        a.expect_state("signed-in")
        b.expect_state("signed-in")
    # The README's picture is this tab now, with what it shows recorded in it: `make test` checks that
    # it still shows the page and the claims of today (tests/e2e/test_example_screenshot.py).
    SCREENSHOT.write_bytes(with_record(a.page.screenshot(full_page=True), a.payload))


def test_session_data_is_shared_by_the_tabs_and_never_in_the_token(steps: Steps) -> None:
    _, a, b = signed_in_pair(steps, user("dave"))
    with steps.step("session data written in one tab is read in the other", a, b):
        assert "signedInAt" in a.json("#session-data")
        a.fill(data_key="note", data_value='"hello"')
        a.click("#write-data")
        b.click("#read-data")
        data = b.json("#session-data")
        assert data["note"] == "hello"
        assert "signedInAt" in data
        assert "note" not in a.payload


def test_two_tabs_refreshing_at_the_same_moment_both_stay_signed_in(
    steps: Steps, sessions_of: SessionsOf
) -> None:
    name = user("frank")
    _, a, b = signed_in_pair(steps, name)
    handle = a.payload["sessionHandle"]
    for round_ in range(1, 4):
        with steps.step(f"both tabs refresh at once, round {round_}", a, b):
            click_together((a, b), "#refresh")
            click_together((a, b), "#read")
            for tab in (a, b):
                tab.expect_state("signed-in")
                tab.expect_no_error()
                assert tab.json("#me")["sessionHandle"] == handle
    assert sessions_of(name) == [handle]


def test_revoke_from_one_tab_signs_out_the_other(steps: Steps, sessions_of: SessionsOf) -> None:
    name = user("grace")
    _, a, b = signed_in_pair(steps, name)
    laptop = steps.device("laptop").tab("laptop")
    laptop.sign_in(name)
    own, other = a.payload["sessionHandle"], laptop.payload["sessionHandle"]
    with steps.step("both sessions listed", a, laptop):
        a.click("#list-sessions")
        rows = a.page.locator("#sessions tbody tr")
        expect(rows).to_have_count(2)
        expect(a.page.locator(f'#sessions tr[data-handle="{own}"]')).to_contain_text("(this one)")
    with steps.step("revoke the other device: it is signed out on its next checked call", a, laptop):
        a.click(f'#sessions tr[data-handle="{other}"] button.revoke')
        expect(rows).to_have_count(1)
        laptop.click("#list-sessions")  # checks the database
        laptop.expect_state("signed-out")
        a.click("#read")
        a.expect_state("signed-in")
    with steps.step("revoke this session from tab A", a):
        a.click(f'#sessions tr[data-handle="{own}"] button.revoke')
        a.expect_state("signed-out")
        a.expect_no_error()
    with steps.step("tab B is signed out on its next call", b):
        b.expect_state("signed-in")  # nothing told it yet
        b.click("#read")
        b.expect_state("signed-out")
        b.expect_no_error()
    assert sessions_of(name) == []


def test_replayed_refresh_token_is_theft_and_ends_the_session_everywhere(
    steps: Steps, sessions_of: SessionsOf
) -> None:
    name = user("heidi")
    device, a, b = signed_in_pair(steps, name)
    with steps.step("take the refresh token from the cookie jar, then refresh", a):
        stolen = device.cookie("sRefreshToken")
        assert stolen["path"] == "/auth/session/refresh"
        a.click("#refresh")
        a.click("#read")  # the new access token's first use: the new refresh token is now the only valid one
        a.expect_state("signed-in")
        assert device.cookie("sRefreshToken")["value"] != stolen["value"]
    with steps.step("the old refresh token put back and used: theft, signed out", a):
        device.put_cookie(stolen)
        assert device.cookie("sRefreshToken")["value"] == stolen["value"]
        a.click("#refresh")
        a.expect_state("signed-out")
        assert "UNAUTHORISED" in a.events
        a.expect_no_error()
    with steps.step("the other tab is signed out on its next call", b):
        b.click("#read")
        b.expect_state("signed-out")
    assert sessions_of(name) == []  # the session is gone, not only this browser's cookies


def test_metadata_merged_from_two_tabs_loses_nothing(steps: Steps) -> None:
    _, a, b = signed_in_pair(steps, user("ivan"))
    keys = {"A": [f"a{i}" for i in range(10)], "B": [f"b{i}" for i in range(10)]}
    with steps.step("two tabs merge 10 keys each at the same moment", a, b):
        at = now_ms(a) + 300
        for tab in (a, b):
            merges = ", ".join(
                f"window.demo.mergeMetadata({{{key}: {i}}})" for i, key in enumerate(keys[tab.name])
            )
            tab.run_at(f"await Promise.all([{merges}]); return true;", at)
        for tab in (a, b):
            assert tab.wait_run() is True
        for tab in (a, b):
            tab.click("#read-metadata")
            metadata = tab.json("#metadata")
            assert sorted(metadata) == sorted(keys["A"] + keys["B"]), f"tab {tab.name} lost keys: {metadata}"
            tab.expect_no_error()
    with steps.step("null removes a key, the rest stays", a):
        a.page.fill("#metadata-update", '{"a0": null, "preferences": {"theme": "dark"}}')
        a.click("#merge-metadata")
        metadata = a.json("#metadata")
        assert "a0" not in metadata
        assert metadata["preferences"] == {"theme": "dark"}
        assert len(metadata) == 20


def test_refresh_across_access_token_expiry_in_two_tabs_at_once(
    steps: Steps, aged: Device, sessions_of: SessionsOf
) -> None:
    steps.devices.append(aged)  # its tabs in this test's screenshots and failure report
    a, b = aged.tabs
    exp = a.payload["exp"]
    name = a.payload["sub"]
    handle = a.payload["sessionHandle"]
    if time.time() < exp + 1:  # only when this test runs without the module's others
        pytest.skip(
            f"the aged tabs' token expires {AGED_FOR_SECONDS} s after the module starts: run the module"
        )
    with steps.step("the access token has expired", a):
        expect(a.page.locator("#expiry")).to_contain_text("expired")
        a.expect_no_error()
    with steps.step("both tabs call at once: refreshed, no visible error", a, b):
        click_together((a, b), "#read")
        for tab in (a, b):
            tab.expect_state("signed-in")
            tab.expect_no_error()
            assert tab.json("#me")["sessionHandle"] == handle
            assert tab.payload["exp"] > exp
        assert "REFRESH_SESSION" in a.events + b.events
    assert sessions_of(name) == [handle]
