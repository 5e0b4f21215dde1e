"""Every function's handler on the events of events/, in this process (``tests/handlers/conftest.py``):
each answers what events/README.md's table says; then what a fixed file cannot show (a live token, a
live refresh token), and the time-dependent rules, by moving the services' clock, never by waiting."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import Answer, Handlers
from tools.localrun.events import EventCase, load_cases

CASES = {case.file: case for case in load_cases()}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_each_event_answers_what_the_table_says(handlers: Handlers, case: EventCase) -> None:
    answer = handlers.invoke_case(case)
    assert (answer.status, answer.code) == (case.status, case.code), answer.body


def created(handlers: Handlers, user_id: str, **fields: object) -> Answer:
    answer = handlers.invoke_case(CASES["session_create.json"], body={"userId": user_id, **fields})
    assert answer.status == 201, answer.body
    return answer


def verify(handlers: Handlers, token: str, **fields: object) -> Answer:
    return handlers.invoke_case(
        CASES["session_verify_invalid_token.json"], body={"accessToken": token, **fields}
    )


def refresh(handlers: Handlers, token: str) -> Answer:
    return handlers.invoke_case(CASES["session_refresh_invalid_token.json"], body={"refreshToken": token})


def test_a_created_session_verifies_merges_refreshes_and_reads_through_the_handlers(
    handlers: Handlers, unique_id: str
) -> None:
    session = created(
        handlers, unique_id, accessTokenPayload={"role": "admin"}, sessionData={"cart": []}
    ).body
    token, handle = session["accessToken"]["token"], session["session"]["handle"]
    merged = handlers.invoke_case(
        CASES["session_merge_invalid_token.json"], body={"accessToken": token, "update": {"plan": "pro"}}
    )
    refreshed = refresh(handlers, session["refreshToken"]["token"])
    checked = verify(handlers, refreshed.body["accessToken"]["token"], checkDatabase=True)
    read = handlers.invoke_case(CASES["session_get_unknown.json"], path=f"/sessions/{handle}")
    assert [merged.status, refreshed.status, checked.status, read.status] == [200, 200, 200, 200]
    assert checked.body["accessTokenPayload"] == {"plan": "pro", "role": "admin"}
    assert read.body["session"]["sessionData"] == {"cart": []}


def test_an_access_token_expires_when_the_clock_passes_its_exp(handlers: Handlers, unique_id: str) -> None:
    token = created(handlers, unique_id).body["accessToken"]["token"]
    assert handlers.services is not None
    ttl = handlers.services.config.access_token_ttl_seconds
    handlers.services.clock.now += ttl - 1
    before = verify(handlers, token)
    handlers.services.clock.now += 2
    after = verify(handlers, token)
    assert [(before.status, before.code), (after.status, after.code)] == [(200, None), (401, "TOKEN_EXPIRED")]


def test_a_refreshed_token_presented_again_is_theft_after_the_reuse_window_not_within_it(
    handlers: Handlers, unique_id: str
) -> None:
    assert handlers.services is not None
    window = handlers.services.config.refresh_reuse_window_seconds
    first, second = (created(handlers, f"{unique_id}-{n}").body["refreshToken"]["token"] for n in (1, 2))
    within, late = refresh(handlers, first), refresh(handlers, second)
    for child in (within, late):
        verify(handlers, child.body["accessToken"]["token"], checkDatabase=True)  # the child is used
    handlers.services.clock.now += window - 1
    again_within = refresh(handlers, first)
    handlers.services.clock.now += 2
    again_late = refresh(handlers, second)
    assert [(again_within.status, again_within.code), (again_late.status, again_late.code)] == [
        (200, None),
        (401, "TOKEN_THEFT_DETECTED"),
    ]
