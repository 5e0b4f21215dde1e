"""The refresh-token reuse window over real HTTP (issue 11.6), on a server of its own with a window: two
tabs refreshing siblings at once both stay signed in; a sibling used after the window is theft. The
window passes by moving the server's clock (``serve --test-clock``), not by waiting for it."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.calls import create, outcome, refresh, run_together, verify
from tests.e2e.conftest import CLOCKED_REUSE_WINDOW_SECONDS, Api
from tools.localrun.process import set_clock


def sibling_refreshes(api: Api, unique_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A session and two children (R1a, R1b) of its refresh token R0, refreshed at the same moment."""
    created = create(api, unique_id)
    r0 = created["refreshToken"]["token"]
    with requests.Session() as other_session:
        other = Api(api.base_url, other_session)
        first, second = run_together(lambda: refresh(api, r0), lambda: refresh(other, r0))
    assert [outcome(first), outcome(second)] == [(200, None), (200, None)]
    return created, first.json(), second.json()


def test_late_sibling_after_window_is_theft_and_revokes_attacker(clocked_api: Api, unique_id: str) -> None:
    """11.6 (a): the victim's sibling R1b used after the window → 401 TOKEN_THEFT_DETECTED, and the
    attacker's R2a (child of the winning sibling R1a) → 401 SESSION_REVOKED."""
    _, attacker_r1, victim_r1 = sibling_refreshes(clocked_api, unique_id)
    attacker_r2 = refresh(clocked_api, attacker_r1["refreshToken"]["token"])
    assert outcome(attacker_r2) == (200, None)
    set_clock(clocked_api.base_url, CLOCKED_REUSE_WINDOW_SECONDS + 1)  # the window is over
    victim = refresh(clocked_api, victim_r1["refreshToken"]["token"])
    attacker = refresh(clocked_api, attacker_r2.json()["refreshToken"]["token"])
    assert [outcome(victim), outcome(attacker)] == [(401, "TOKEN_THEFT_DETECTED"), (401, "SESSION_REVOKED")]


def test_two_tabs_sibling_within_window_both_live(clocked_api: Api, unique_id: str) -> None:
    """11.6 (b): tab A refreshes R1a, tab B right after (within the window) refreshes its sibling R1b:
    both 200, both new access tokens verify with checkDatabase, the session is still listed."""
    created, tab_a_r1, tab_b_r1 = sibling_refreshes(clocked_api, unique_id)
    tab_a = refresh(clocked_api, tab_a_r1["refreshToken"]["token"])
    tab_b = refresh(clocked_api, tab_b_r1["refreshToken"]["token"])
    assert [outcome(tab_a), outcome(tab_b)] == [(200, None), (200, None)]
    checks = [
        verify(clocked_api, r.json()["accessToken"]["token"], checkDatabase=True) for r in (tab_a, tab_b)
    ]
    listed = clocked_api.call("GET", f"/users/{unique_id}/sessions").json()["sessionHandles"]
    assert ([outcome(c) for c in checks], listed) == (
        [(200, None), (200, None)],
        [created["session"]["handle"]],
    )


def test_sibling_within_window_after_other_tab_merged(clocked_api: Api, unique_id: str) -> None:
    """11.6 (c): within the window, after tab A's new access token (minted by refreshing R1a) was used
    in POST /sessions/merge, tab B's refresh with R1b → 200."""
    _, tab_a_r1, tab_b_r1 = sibling_refreshes(clocked_api, unique_id)
    tab_a = refresh(clocked_api, tab_a_r1["refreshToken"]["token"])
    assert outcome(tab_a) == (200, None)
    merged = clocked_api.call(
        "POST",
        "/sessions/merge",
        json={"accessToken": tab_a.json()["accessToken"]["token"], "update": {"a": 1}},
    )
    assert outcome(merged) == (200, None)
    tab_b = refresh(clocked_api, tab_b_r1["refreshToken"]["token"])
    assert outcome(tab_b) == (200, None)
