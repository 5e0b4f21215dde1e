"""Issue 22.2, through the services against DynamoDB Local: session data in an item of its own, beside
the writes that touch the session's item. Bounded races count what went wrong (must be 0): in every
round one request races another at a random moment swept over its uncontested duration, on a session
whose data has an item, one without data yet, or one stored before (its data in the session's item).
The interleavings that matter most are also forced, by a hook that runs the other request just
before a given call of the first."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from authstate.documents.jsondoc import to_plain
from authstate.errors import AuthstateError
from authstate.recipe.session.model import IssuedTokens
from tests.concurrency import run_concurrently
from tests.integration.harness import (
    KINDS,
    SETTINGS,
    Harness,
    Items,
    error_code,
    legacy_session,
    session_of_kind,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

plain = to_plain
#: Rounds per race: each is a handful of DynamoDB calls on each side.
ROUNDS = 210
#: Reads a reader makes at most while the request it races is in flight.
READS = 12
MARGIN = SETTINGS.refresh_token_ttl_seconds // 2
GONE = "SESSION_NOT_FOUND"


def prepare(harness: Harness, items: Items, user: str, kind: str) -> IssuedTokens:
    return session_of_kind(harness, items, user, kind, {"seed": 1})


def uncontested(
    harness: Harness, items: Items, user: str, call: Callable[[IssuedTokens], object]
) -> dict[str, float]:
    """How long ``call`` takes alone on each kind of session (the slowest of three tries)."""
    durations: dict[str, float] = {}
    for kind in KINDS:
        times = []
        for _ in range(3):
            issued = prepare(harness, items, user, kind)
            started = time.monotonic()
            call(issued)
            times.append(time.monotonic() - started)
        durations[kind] = max(times)
    return durations


def later(pause: float, call: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        time.sleep(pause)
        call()

    return run


def check_expiries(items: Items, handle: str) -> str | None:
    """What is wrong with a live session's expiries, if anything: the data item must live at least as
    long as the expiry noted on the session, which must be at least the session's, and at most
    ``MARGIN`` more."""
    session, noted, data = items.expiries(handle)
    if noted is None:
        return None if data is None else f"a data item ({data}) but no expiry noted on the session"
    if session is None or data is None or not session <= noted <= data <= session + MARGIN:
        return f"session {session}, noted {noted}, data {data}"
    return None


# -- bounded races -------------------------------------------------------------------------------


def test_a_data_write_racing_a_revocation_leaves_no_data_behind(
    harness: Harness, items: Items, unique_id: str
) -> None:
    """Whichever lands first, afterwards there is neither item, and reading the data is 404; the write
    answered either way (its own merge, or 404)."""
    writer, revoker = harness.make(), harness.make()
    durations = uncontested(
        harness, items, unique_id, lambda issued: writer.merge_data(issued.session.handle, {"x": 0})
    )
    wrong: list[str] = []
    answers: Counter[tuple[str, str | None]] = Counter()

    def round_of(number: int) -> None:
        kind = KINDS[number % len(KINDS)]
        handle = prepare(harness, items, unique_id, kind).session.handle
        answer: list[str | None] = []
        run_concurrently(
            [
                lambda: answer.append(error_code(lambda: writer.merge_data(handle, {"x": number}))),
                later(random.uniform(0, 1.5 * durations[kind]), lambda: revoker.revoke(handle)),
            ]
        )
        answers[kind, answer[0]] += 1
        if answer[0] not in (None, GONE):
            wrong.append(f"{kind}: the write answered {answer[0]}")
        if items.session(handle) is not None or items.data_item(handle) is not None:
            wrong.append(f"{kind}: an item is left")
        if error_code(lambda: harness.sessions.get_data(handle)) != GONE:
            wrong.append(f"{kind}: the data is still read")

    for number in range(ROUNDS):
        round_of(number)
    assert wrong == [], f"{len(wrong)} of {ROUNDS} rounds: {wrong[:3]}"
    assert {answer for _, answer in answers} == {None, GONE}, answers  # both orders happened


def test_a_session_created_with_data_is_never_read_without_it(
    harness: Harness, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    """Readers that know the handle before creation answers (published by the data's PutItem) find no
    session, or the session with all of its data: never the session without it."""
    reader, data_table = harness.make(), table_names["SessionDataTable"]
    published: list[str] = []
    ready = threading.Event()

    def publish(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == data_table:
            published.append(params["Item"]["sessionHandle"]["S"])
            ready.set()

    seen: Counter[str] = Counter()
    wrong: list[str] = []
    with hooked(dynamodb, "PutItem", publish):
        for number in range(ROUNDS):
            ready.clear()
            data = {"n": number, "pad": "p" * 2000}
            done = threading.Event()

            def create(data: Mapping[str, Any] = data, done: threading.Event = done) -> None:
                try:
                    harness.sessions.create(unique_id, "public", {}, data)
                finally:
                    done.set()

            def read(data: Mapping[str, Any] = data, done: threading.Event = done) -> None:
                if not ready.wait(10):
                    wrong.append("the data's PutItem never went out")
                    return
                handle = published[-1]
                for _ in range(READS):
                    finished = done.is_set()
                    try:
                        found = plain(reader.get_data(handle))
                    except AuthstateError as error:
                        seen[error.code] += 1
                        if error.code != GONE or finished:
                            wrong.append(f"{error.code} (creation finished: {finished})")
                    else:
                        seen["data"] += 1
                        if found != data:
                            wrong.append(f"the session with {sorted(found)}")
                    if finished:
                        return

            run_concurrently([create, read])
    assert wrong == [], f"{len(wrong)} reads wrong: {wrong[:3]}"
    assert seen["data"] >= ROUNDS
    assert seen[GONE] > 0  # reads landed before the session's item too


@pytest.mark.parametrize("write", ["merge", "put"])
def test_a_refresh_racing_a_data_write_never_lets_the_data_expire_first(
    harness: Harness, items: Items, unique_id: str, write: str
) -> None:
    """Every refresh here extends the session past its data's expiry (when its data has an item): the
    data item is extended first. Afterwards both requests succeeded, the data is the write's, and the
    data item lives at least as long as the session, at most ``MARGIN`` longer."""
    refresher, writer = harness.make(), harness.make()

    def data_write(handle: str, number: int) -> None:
        if write == "merge":
            writer.merge_data(handle, {"k": number})
        else:
            writer.put_data(handle, {"k": number})

    durations = uncontested(harness, items, unique_id, lambda issued: data_write(issued.session.handle, -1))
    wrong: list[str] = []

    def round_of(number: int) -> None:
        kind = KINDS[number % len(KINDS)]
        issued = prepare(harness, items, unique_id, kind)
        handle = issued.session.handle
        harness.clock.now += MARGIN + 1  # a refresh now would take the session past its data's expiry
        answers: list[str | None] = []
        run_concurrently(
            [
                lambda: answers.append(error_code(lambda: data_write(handle, number))),
                later(
                    random.uniform(0, 1.5 * durations[kind]),
                    lambda: answers.append(error_code(lambda: refresher.refresh(issued.refresh_token.token))),
                ),
            ]
        )
        if answers != [None, None]:
            wrong.append(f"{kind}: answered {answers}")
        problem = check_expiries(items, handle)
        if problem is not None:
            wrong.append(f"{kind}: {problem}")
        if plain(harness.sessions.get_data(handle)).get("k") != number:
            wrong.append(f"{kind}: the write is lost")

    for number in range(ROUNDS):
        round_of(number)
    assert wrong == [], f"{len(wrong)} of {ROUNDS} rounds: {wrong[:3]}"


def test_data_merges_racing_on_a_session_stored_before_all_land(
    harness: Harness, items: Items, unique_id: str
) -> None:
    """Three merges of different keys at once into a session whose data is still in its item: each
    reads it there and moves it out; whichever moves it, every merge lands (a stale copy never
    overwrites the data item another merge has written)."""
    writers = [harness.make() for _ in range(3)]
    lost: list[str] = []

    def round_of(number: int) -> None:
        handle = legacy_session(harness, items, unique_id, {"seed": number}).session.handle
        answers: list[str | None] = []
        run_concurrently(
            [
                partial(
                    lambda w, k: answers.append(error_code(lambda: w.merge_data(handle, {k: number}))),
                    writer,
                    key,
                )
                for writer, key in zip(writers, "abc", strict=True)
            ]
        )
        found = plain(harness.sessions.get_data(handle))
        if answers != [None] * 3 or found != {"seed": number, "a": number, "b": number, "c": number}:
            lost.append(f"answered {answers}, data {sorted(found)}")

    for number in range(ROUNDS // 3):
        round_of(number)
    assert lost == [], f"{len(lost)} of {ROUNDS // 3} rounds: {lost[:3]}"


# -- forced interleavings ------------------------------------------------------------------------


@contextmanager
def hooked(client: DynamoDBClient, operation: str, hook: Callable[..., None]) -> Iterator[None]:
    event = f"provide-client-params.dynamodb.{operation}"
    client.meta.events.register(event, hook)
    try:
        yield
    finally:
        client.meta.events.unregister(event, hook)


@contextmanager
def before(
    client: DynamoDBClient, operation: str, table: str | None, action: Callable[[], object]
) -> Iterator[list[int]]:
    """Run ``action`` once, just before the first ``operation`` on ``table`` (``None``: any) made through
    ``client``; the list it yields holds 1 once it ran."""
    ran: list[int] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if not ran and (table is None or params.get("TableName") == table):
            ran.append(1)
            action()

    with hooked(client, operation, hook):
        yield ran


#: The call of a data write just after its read of the session, for each kind of session.
WRITE_AFTER_READ = {
    "data item": ("UpdateItem", "SessionDataTable"),
    "no data yet": ("UpdateItem", "SessionDataTable"),  # after noting the data's expiry on the session
    "stored before": ("PutItem", "SessionDataTable"),  # the copy of the data moved out
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_revocation_between_a_data_writes_read_and_its_write_leaves_nothing(
    harness: Harness,
    items: Items,
    dynamodb: DynamoDBClient,
    table_names: dict[str, str],
    unique_id: str,
    kind: str,
) -> None:
    """The write found the session live; it is revoked before the write lands. The write's item is
    deleted again (it created one: the revocation had deleted the data already) and it answers 404."""
    handle = prepare(harness, items, unique_id, kind).session.handle
    other = harness.make()
    operation, table = WRITE_AFTER_READ[kind]
    with before(dynamodb, operation, table and table_names[table], lambda: other.revoke(handle)) as ran:
        assert error_code(lambda: harness.sessions.merge_data(handle, {"x": 1})) == GONE
    assert ran == [1]
    assert (items.session(handle), items.data_item(handle)) == (None, None)


def test_a_stale_copy_of_moved_data_never_replaces_the_data_item(
    harness: Harness, items: Items, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    """A merge read the session with its data still in its item; before it copies the data out, another
    merge moves it out and writes into the data item. The first one's copy is refused (it was taken
    from the same version), it reads the session again and merges into the data item: both land."""
    handle = legacy_session(harness, items, unique_id, {"seed": 1}).session.handle
    other = harness.make()
    with before(
        dynamodb, "PutItem", table_names["SessionDataTable"], lambda: other.merge_data(handle, {"b": 2})
    ):
        assert plain(harness.sessions.merge_data(handle, {"a": 1})) == {"a": 1, "b": 2, "seed": 1}
    assert plain(harness.sessions.get_data(handle)) == {"a": 1, "b": 2, "seed": 1}


def test_a_revocation_between_a_reads_two_calls_is_not_read_as_empty_data(
    harness: Harness, items: Items, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {"a": 1}).session.handle
    other = harness.make()
    with before(dynamodb, "GetItem", table_names["SessionDataTable"], lambda: other.revoke(handle)) as ran:
        assert error_code(lambda: harness.sessions.get_data(handle)) == GONE
    assert ran == [1]


@pytest.mark.parametrize("moment", ["before its update", "before its put"])
def test_a_refresh_between_a_first_writes_noted_expiry_and_its_item_keeps_the_data(
    harness: Harness,
    items: Items,
    dynamodb: DynamoDBClient,
    table_names: dict[str, str],
    unique_id: str,
    moment: str,
) -> None:
    """A first data write noted the data's expiry; before its item exists, a refresh takes the session
    past that expiry: the refresh creates the item (empty) with a later one, and the write merges into
    it rather than creating it with the expiry it noted."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    handle = issued.session.handle
    other = harness.make()

    def refresh() -> None:
        harness.clock.now += MARGIN + 1
        other.refresh(issued.refresh_token.token)

    operation = "UpdateItem" if moment == "before its update" else "PutItem"
    with before(dynamodb, operation, table_names["SessionDataTable"], refresh) as ran:
        assert plain(harness.sessions.merge_data(handle, {"x": 1})) == {"x": 1}
    assert ran == [1]
    assert check_expiries(items, handle) is None
    session, noted, _ = items.expiries(handle)
    assert session == int(harness.clock.now) + SETTINGS.refresh_token_ttl_seconds
    assert noted == session + MARGIN
    assert plain(harness.sessions.get_data(handle)) == {"x": 1}


def test_a_revocation_during_a_refresh_that_extends_the_data_leaves_nothing(
    harness: Harness, items: Items, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    """The refresh found the data expiring first; the session is revoked before the extension, which
    creates the data's item again: the refresh, refused, deletes it."""
    issued = harness.sessions.create(unique_id, "public", {}, {"a": 1})
    handle = issued.session.handle
    other = harness.make()
    harness.clock.now += MARGIN + 1
    with before(dynamodb, "UpdateItem", table_names["SessionDataTable"], lambda: other.revoke(handle)) as ran:
        assert error_code(lambda: harness.sessions.refresh(issued.refresh_token.token)) == "SESSION_REVOKED"
    assert ran == [1]
    assert (items.session(handle), items.data_item(handle)) == (None, None)
