"""Revoking many sessions at once (all of a user's, or a CDI list of handles), against DynamoDB Local:
the deletions run several at a time (``SessionStore.delete_many``), each as a single revocation does
(the session's item, then its data's). Every session goes, with both its items, whatever the place of
its data; each handle is answered once; and in bounded races against writes and refreshes of the
same sessions, nothing of a revoked session is left to read or to use afterwards."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial

from authstate.documents.jsondoc import to_plain
from authstate.errors import AuthstateError
from authstate.recipe.session.model import IssuedTokens
from authstate.recipe.session.store import DELETE_CONCURRENCY
from authstate.security import metrics
from tests.concurrency import run_concurrently
from tests.integration.harness import KINDS, Harness, Items, session_of_kind

#: Rounds of the race: each revokes a user's SESSIONS_PER_ROUND sessions (of every kind, more than
#: run at once) while writes hit them.
ROUNDS = 200
SESSIONS_PER_ROUND = DELETE_CONCURRENCY + 1


def end_of_invocation() -> None:
    """What the end of a Lambda invocation does to the metrics the services recorded (each revocation
    of all of a user's sessions is a security event's metric): here, drop them, so that a test calling
    the services hundreds of times never reaches Powertools' flush at 100 values (whose namespace only
    the functions' environment sets)."""
    metrics.clear_metrics()


def sessions_of_every_kind(harness: Harness, items: Items, user: str, count: int) -> list[IssuedTokens]:
    """``count`` sessions of ``user``, of each of the :data:`KINDS` in turn."""
    return [
        session_of_kind(harness, items, user, KINDS[number % len(KINDS)], {"seed": number}, {"n": number})
        for number in range(count)
    ]


def leftovers(harness: Harness, items: Items, user: str, issued: list[IssuedTokens]) -> list[str]:
    """What is left of revoked sessions: listed, stored, readable or usable."""
    found = [f"listed: {handle}" for handle in harness.sessions.handles_of_user(user)]
    for tokens in issued:
        handle = tokens.session.handle
        if items.session(handle) is not None:
            found.append(f"session item: {handle}")
        if items.data_item(handle) is not None:
            found.append(f"data item: {handle}")
        uses: list[tuple[str, Callable[[], object]]] = [
            ("verified", partial(harness.sessions.verify, tokens.access_token.token, check_database=True)),
            ("data read", partial(harness.sessions.get_data, handle)),
            ("refreshed", partial(harness.sessions.refresh, tokens.refresh_token.token)),
        ]
        for name, call in uses:
            try:
                call()
            except AuthstateError:
                continue
            found.append(f"{name}: {handle}")
    return found


def test_revoke_all_revokes_every_session_with_both_its_items(
    harness: Harness, items: Items, unique_id: str
) -> None:
    issued = sessions_of_every_kind(harness, items, unique_id, 60)
    other = harness.sessions.create(unique_id + "-other", "public", {}, {"keep": True})
    revoked = harness.sessions.revoke_all(unique_id)
    assert revoked == sorted(tokens.session.handle for tokens in issued)
    assert leftovers(harness, items, unique_id, issued) == []
    assert to_plain(harness.sessions.get_data(other.session.handle)) == {"keep": True}


def test_a_list_of_handles_is_revoked_once_each_in_its_order(
    harness: Harness, items: Items, unique_id: str
) -> None:
    first, second, third = sessions_of_every_kind(harness, items, unique_id, 3)
    unknown = str(uuid.uuid4())
    handles = [third, first, third, second, first]
    asked = [tokens.session.handle for tokens in handles]
    revoked = harness.sessions.revoke_many([*asked[:2], unknown, *asked[2:]])
    assert revoked == [third.session.handle, first.session.handle, second.session.handle]
    assert harness.sessions.revoke_many(asked) == []
    assert leftovers(harness, items, unique_id, [first, second, third]) == []


def test_revoke_all_racing_writes_and_refreshes_leaves_nothing_behind(
    harness: Harness, items: Items, unique_id: str
) -> None:
    """Each round: a user's sessions (every kind) revoked while another thread keeps writing their
    payload and data and refreshing them. After both have ended, nothing of any session may be
    listed, stored, read or used; every handle was answered revoked exactly once. (Before this test,
    a refresh moving a session's data out of its item while the session was revoked left the copy
    behind: 55 data items in 200 rounds of 16 sessions, revoked one at a time as well.)"""
    wrong: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        user = f"{unique_id}-{round_number}"
        issued = sessions_of_every_kind(harness, items, user, SESSIONS_PER_ROUND)
        done = threading.Event()
        revoked: list[str] = []

        def revoke(user: str = user, revoked: list[str] = revoked, done: threading.Event = done) -> None:
            try:
                revoked.extend(harness.sessions.revoke_all(user))
            finally:
                done.set()

        def write(issued: list[IssuedTokens] = issued, done: threading.Event = done) -> None:
            while not done.is_set():
                tokens = random.choice(issued)
                handle = tokens.session.handle
                operations: list[tuple[str, Callable[[], object]]] = [
                    ("payload", partial(harness.sessions.merge_payload_offline, handle, {"w": 1})),
                    ("data", partial(harness.sessions.merge_data, handle, {"w": 1})),
                    ("refresh", partial(harness.sessions.refresh, tokens.refresh_token.token)),
                ]
                name, operation = random.choice(operations)
                try:
                    operation()
                    writes[name] += 1
                except AuthstateError:
                    writes["refused"] += 1

        run_concurrently([revoke, write])
        if sorted(revoked) != sorted(tokens.session.handle for tokens in issued):
            wrong["revoked list"] += 1
        for found in leftovers(harness, items, user, issued):
            wrong[found.split(":")[0]] += 1
        end_of_invocation()
    assert dict(wrong) == {}
    assert writes["refused"] > 0  # the writes did meet revoked sessions
    assert writes["payload"] + writes["data"] + writes["refresh"] > 0  # and some landed before
