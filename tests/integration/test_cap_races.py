"""Issue 18, through the services against DynamoDB Local: a merge a cap refuses is never seen and never
signed, a merge that fits is never refused because of another request, and every merge is all or
nothing to every reader. Each test is a bounded race: in every round one request races readers (or
writers) beside it; what went wrong is counted and must be 0. On the design that wrote, measured and
undid, each of these counted dozens (docs/design.md §2 lists the figures)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from authstate.documents.jsondoc import JsonObject, size
from authstate.errors import AuthstateError
from authstate.recipe.session.model import AccessToken
from authstate.recipe.session.service import Sessions
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from authstate.storage.table import Table
from tests import concurrency
from tests.concurrency import run_concurrently
from tests.integration.harness import SETTINGS, Harness, error_code
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CAP = SETTINGS.max_custom_claims_bytes
TOO_LARGE = "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"
#: Rounds per race: each is a few DynamoDB calls on each side (the whole file runs in about a minute).
ROUNDS = 200
#: Reads a reader makes at most while the request it races is in flight.
READS = 12
#: The most a reader waits before its first read, in seconds (a random part of it each round).
STAGGER = 0.01


def race_once(write: Callable[[], object], read: Callable[[], object]) -> None:
    concurrency.race_once(write, read, reads=READS, stagger=STAGGER)


def race(
    rounds: int, prepare: Callable[[int], Any], write: Callable[[Any], object], read: Callable[[Any], object]
) -> None:
    """Each round: ``prepare`` (outside the race), then :func:`race_once` on what it made."""
    for number in range(rounds):
        state = prepare(number)
        race_once(partial(write, state), partial(read, state))


class Tally:
    """What a race saw: the refused requests (answers), the tokens minted beside them, what was wrong."""

    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self.minted = 0
        self.wrong: list[str] = []
        self._lock = threading.Lock()

    def token(self, access: AccessToken | None, refused: set[str]) -> None:
        if access is None:
            return
        with self._lock:
            self.minted += 1
            claims = access.payload
            if refused & set(claims):
                self.wrong.append(f"a token carries refused keys {sorted(refused & set(claims))[:3]}")
            elif size(claims) > CAP:
                self.wrong.append(f"a token carries {size(claims)} bytes of custom claims")


def over_cap_offline_merge(sessions: Sessions, tally: Tally, handle: str, update: dict[str, Any]) -> None:
    tally.answers.append(error_code(lambda: sessions.merge_payload_offline(handle, update)))


def _race_a_renewal(harness: Harness, prepare: Callable[[int], AccessToken], *, check_database: bool) -> None:
    """An offline merge over the cap races verifies that renew the token from the stored claims."""
    writer, reader, tally = harness.make(), harness.make(), Tally()

    def read(token: AccessToken) -> None:
        _, renewed = reader.verify_with_renewal(
            token.token, None, check_anti_csrf=False, check_database=check_database
        )
        tally.token(renewed, {"refused"})

    def write(token: AccessToken) -> None:
        over_cap_offline_merge(writer, tally, token.handle, {"refused": "r" * 1500})

    race(ROUNDS, prepare, write, read)
    assert set(tally.answers) == {TOO_LARGE}
    assert tally.minted >= ROUNDS
    assert tally.wrong == [], f"{len(tally.wrong)} of {tally.minted} tokens wrong: {tally.wrong[:2]}"


def test_a_refused_offline_merge_is_never_signed_by_a_verify_that_checks_the_database(
    harness: Harness, unique_id: str
) -> None:
    """CDI ``verify`` with ``checkDatabase``: a token whose claims are stale gets one minted from the
    stored claims."""

    def prepare(number: int) -> AccessToken:
        issued = harness.sessions.create(unique_id, "public", {"pad": "p" * 3000}, {})
        harness.sessions.merge_payload_offline(issued.session.handle, {"v": number})  # the token is stale
        return issued.access_token

    _race_a_renewal(harness, prepare, check_database=True)


def test_a_refused_offline_merge_is_never_signed_on_a_child_tokens_first_use(
    harness: Harness, unique_id: str
) -> None:
    """The SDKs' verify of a token minted from a child refresh token gets a replacement minted from the
    stored claims (no database check asked)."""

    def prepare(_: int) -> AccessToken:
        issued = harness.sessions.create(unique_id, "public", {"pad": "p" * 3000}, {})
        return harness.sessions.refresh(issued.refresh_token.token).access_token

    _race_a_renewal(harness, prepare, check_database=False)


def test_no_part_of_a_refused_big_offline_merge_reaches_a_chain_of_refreshes(
    harness: Harness, unique_id: str
) -> None:
    """200 small keys and one big one: the small ones alone would fit, all of them do not."""
    writer, reader, tally = harness.make(), harness.make(), Tally()
    update: dict[str, Any] = {f"s{i:03}": i for i in range(200)}
    update["zbig"] = "b" * 1500  # the update alone fits; merged into the padding it does not
    refused = set(update)

    def prepare(_: int) -> list[str]:
        issued = harness.sessions.create(unique_id, "public", {"pad": "p" * 1000}, {})
        return [issued.session.handle, issued.refresh_token.token]

    def read(chain: list[str]) -> None:
        issued = reader.refresh(chain[1])
        chain[1] = issued.refresh_token.token
        tally.token(issued.access_token, refused)

    def write(chain: list[str]) -> None:
        over_cap_offline_merge(writer, tally, chain[0], update)

    race(ROUNDS, prepare, write, read)
    assert set(tally.answers) == {TOO_LARGE}
    assert tally.minted >= ROUNDS
    assert tally.wrong == [], f"{len(tally.wrong)} of {tally.minted} tokens wrong: {tally.wrong[:2]}"


def _race_beside_a_merge_that_makes_room(
    harness: Harness, unique_id: str, online_merge: Callable[[Sessions, AccessToken], AccessToken | None]
) -> None:
    """An online merge removes a key and mints from what it wrote. Had the offline merge of ``late``
    been written first, removing that key would make room for it: whether the offline merge is refused
    depends on which lands first, and in the rounds where it is, no token may carry it."""
    writer, reader = harness.make(), harness.make()
    wrong: list[str] = []
    refused_rounds = 0
    for _ in range(ROUNDS):
        token = harness.sessions.create(
            unique_id, "public", {"pad": "p" * 1500, "gone": "g" * 1500}, {}
        ).access_token
        minted: list[AccessToken] = []
        answers: list[str | None] = []

        def read(token: AccessToken = token, minted: list[AccessToken] = minted) -> None:
            try:
                renewed = online_merge(reader, token)
            except AuthstateError as error:
                wrong.append(f"the online merge was refused: {error.code}")
                return
            if renewed is not None:
                minted.append(renewed)

        def write(token: AccessToken = token, answers: list[str | None] = answers) -> None:
            answers.append(
                error_code(lambda: writer.merge_payload_offline(token.handle, {"late": "l" * 1500}))
            )

        race_once(write, read)
        wrong.extend(f"{size(t.payload)} bytes of claims" for t in minted if size(t.payload) > CAP)
        if answers[0] is not None:
            assert answers[0] == TOO_LARGE
            refused_rounds += 1
            wrong.extend("a token carries a refused key" for t in minted if "late" in t.payload)
            if "late" in harness.sessions.get(token.handle)[0].payload:
                wrong.append("a refused key is stored")
    assert refused_rounds >= ROUNDS // 4  # the offline merge was refused in most rounds
    assert wrong == [], f"{len(wrong)} wrong in {refused_rounds} refused rounds of {ROUNDS}: {wrong[:2]}"


def test_a_refused_offline_merge_never_rides_in_an_online_merge_that_makes_room(
    harness: Harness, unique_id: str
) -> None:
    _race_beside_a_merge_that_makes_room(
        harness, unique_id, lambda sessions, token: sessions.merge_payload_online(token.token, {"gone": None})
    )


def test_a_refused_offline_merge_never_rides_in_a_cdi_regenerate_without_a_key(
    harness: Harness, unique_id: str
) -> None:
    """The SDK's online merge sends the whole payload, without the key."""
    _race_beside_a_merge_that_makes_room(
        harness, unique_id, lambda sessions, token: sessions.regenerate(token.token, {"pad": "p" * 1500})[1]
    )


def test_merges_that_fit_are_never_refused_while_others_are(harness: Harness, unique_id: str) -> None:
    """Someone keeps sending merges over the cap; beside them, online merges (native and the SDK's) and
    offline ones that leave the claims at 3.3 KB must all succeed."""
    writer, reader, tally = harness.make(), harness.make(), Tally()
    good = "g" * 900

    def prepare(_: int) -> AccessToken:
        return harness.sessions.create(unique_id, "public", {"pad": "p" * 2300}, {}).access_token

    def read(token: AccessToken) -> None:
        kind = random.choice(("online", "offline", "regenerate"))
        try:
            if kind == "online":
                tally.token(reader.merge_payload_online(token.token, {"good": good}), {"refused"})
            elif kind == "offline":
                reader.merge_payload_offline(token.handle, {"good": good})
            else:
                tally.token(reader.regenerate(token.token, {"pad": "p" * 2300, "good": good})[1], {"refused"})
        except AuthstateError as error:
            tally.wrong.append(f"{kind} merge that fits refused: {error.code}")

    def write(token: AccessToken) -> None:
        over_cap_offline_merge(writer, tally, token.handle, {"refused": "r" * 2000})

    race(ROUNDS, prepare, write, read)
    assert set(tally.answers) == {TOO_LARGE}
    assert tally.wrong == [], (
        f"{len(tally.wrong)} of {ROUNDS} rounds refused a merge that fits: {tally.wrong[:2]}"
    )


BIG = {f"k{i:03}": i for i in range(450)}


def _race_a_big_merge(
    prepare: Callable[[int], str], merge: Callable[[str], object], read: Callable[[str], JsonObject]
) -> None:
    """A merge of 450 keys (more than one expression holds) beside reads: each sees all or none."""
    seen: list[int] = []
    race(ROUNDS // 2, prepare, merge, lambda subject: seen.append(sum(key in BIG for key in read(subject))))
    partial_views = [count for count in seen if count not in (0, len(BIG))]
    assert partial_views == [], f"{len(partial_views)} of {len(seen)} reads saw part of the merge"
    assert len(BIG) in seen


def test_a_big_session_data_merge_is_all_or_nothing_to_readers(harness: Harness, unique_id: str) -> None:
    writer, reader = harness.make(), harness.make()
    _race_a_big_merge(
        lambda _: harness.sessions.create(unique_id, "public", {}, {"seed": 1}).session.handle,
        lambda handle: writer.merge_data(handle, BIG),
        reader.get_data,
    )


def _metadata(endpoint: str, table_names: dict[str, str]) -> UserMetadata:
    connection = client(endpoint)
    return UserMetadata(MetadataStore(Table(table_names["UserMetadataTable"], lambda: connection)))


def test_a_big_metadata_merge_is_all_or_nothing_to_readers(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    writer, reader = _metadata(dynamodb_endpoint, table_names), _metadata(dynamodb_endpoint, table_names)

    def prepare(number: int) -> str:
        writer.update(f"{unique_id}-{number}", {"seed": 1})
        return f"{unique_id}-{number}"

    _race_a_big_merge(prepare, lambda user: writer.update(user, BIG), reader.get)


def test_a_big_metadata_merge_racing_a_delete_of_the_user_ends_whole_or_not_at_all(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    """The delete lands at a random moment of the merge; afterwards the user's metadata holds all of the
    merge's keys or none of them (a merge that finds the user gone is a first write of all of it)."""
    writer, deleter = _metadata(dynamodb_endpoint, table_names), _metadata(dynamodb_endpoint, table_names)
    update = {f"k{i:03}": i for i in range(400)}
    halves: list[int] = []
    outcomes: list[int] = []

    writer.update(f"{unique_id}-probe", {"seed": 1})
    started = time.monotonic()
    writer.update(f"{unique_id}-probe", update)
    uncontested = time.monotonic() - started  # the delete's moment is swept over this and a bit more

    def round_of(number: int) -> None:
        user = f"{unique_id}-{number}"
        writer.update(user, {"seed": 1})
        pause = random.uniform(0, 1.5 * uncontested)

        def delete() -> None:
            time.sleep(pause)
            deleter.clear(user)

        run_concurrently([partial(writer.update, user, update), delete])
        count = sum(key in update for key in deleter.get(user))
        outcomes.append(count)
        if count not in (0, 400):
            halves.append(count)

    for number in range(ROUNDS // 2):
        round_of(number)
    assert halves == [], f"{len(halves)} of {len(outcomes)} rounds left part of the merge: {halves[:5]}"
    assert set(outcomes) == {0, 400}  # both orders happened


def test_a_refused_null_heavy_session_data_merge_blocks_nothing_and_is_never_seen(
    harness: Harness, dynamodb: DynamoDBClient, unique_id: str
) -> None:
    """A merge of one big value and thousands of nulls would take the data past its limit. Beside it,
    merges that fit and reads must all succeed, and no read may see the big value."""
    writer, reader = harness.make(), harness.make()
    update: dict[str, Any] = {"big": "b" * 250_000, **{f"n{i:04}": None for i in range(6000)}}
    wrong: list[str] = []
    answers: list[str | None] = []

    def prepare(_: int) -> AccessToken:
        return harness.sessions.create(unique_id, "public", {}, {"seed": "s" * 120_000}).access_token

    def read(token: AccessToken) -> None:
        try:
            reader.merge_data(token.handle, {"small": "y" * 15_000})
            _, data = reader.verify_with_data(token.token)
            if "big" in data:
                wrong.append("a read saw the refused value")
        except AuthstateError as error:
            wrong.append(f"refused beside it: {error.code}")

    def write(token: AccessToken) -> None:
        answers.append(error_code(lambda: writer.merge_data(token.handle, update)))

    race(ROUNDS // 5, prepare, write, read)
    assert set(answers) == {"SESSION_DATA_TOO_LARGE"}
    assert wrong == [], f"{len(wrong)} reads or merges beside it went wrong: {wrong[:2]}"
