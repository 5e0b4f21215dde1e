"""Session data in an item of its own (issue 22.2), against DynamoDB Local: what each operation costs
in capacity units with 300 KB of session data and with none, the items' layout and order, the data
item's expiry against its session's, and sessions stored before (their data in the session's item)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

import pytest

from authstate.documents.capped import weight
from authstate.documents.expressions import encode_document
from authstate.documents.jsondoc import size, to_plain
from tests.integration.harness import SETTINGS, WINDOW, Harness, Items, error_of, legacy_session
from tools.bench.measure import CallCounter, CapacityMeter

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient

plain = to_plain
#: How long a data item is kept past its session's expiry when its expiry is set (``session_store``).
MARGIN = SETTINGS.refresh_token_ttl_seconds // 2
LIFETIME = SETTINGS.refresh_token_ttl_seconds
#: About 300 KB of session data (one key; what DynamoDB bills is the item's size, however it is split).
BIG = {"blob": "x" * 300_000}
KEY = "sessionHandle"


class Units:
    """(read units, write units) of one call, as DynamoDB reports them (``bench.measure.CapacityMeter``
    on the harness's client: the code under test is unchanged)."""

    def __init__(self, meter: CapacityMeter) -> None:
        self.meter = meter

    def of(self, call: Callable[[], object]) -> tuple[float, float]:
        self.meter.reset()
        call()
        assert self.meter.unreported == 0  # every call answered with its units (none failed)
        return self.meter.read_units, self.meter.write_units


class TableCalls:
    """Each DynamoDB call made through one client to a session's table, as (operation, table):
    ``sessions`` or ``data``."""

    def __init__(self, table_names: Mapping[str, str]) -> None:
        self.names = {table_names["SessionsTable"]: "sessions", table_names["SessionDataTable"]: "data"}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        table = self.names.get(params.get("TableName", ""))
        if table is not None:  # the signing keys' table aside
            self.calls.append((model.name, table))

    def attach(self, client: BaseClient) -> Self:
        client.meta.events.register("provide-client-params.dynamodb.*", self)
        return self


@pytest.fixture
def units(dynamodb: DynamoDBClient) -> Any:
    meter = CapacityMeter().attach(dynamodb)
    yield Units(meter)
    meter.detach(dynamodb)


@pytest.fixture
def table_calls(dynamodb: DynamoDBClient, table_names: dict[str, str]) -> Any:
    recorder = TableCalls(table_names).attach(dynamodb)
    yield recorder
    dynamodb.meta.events.unregister("provide-client-params.dynamodb.*", recorder)


# -- what each operation costs, with 300 KB of session data and with none ------------------------


def _costs(
    harness: Harness, units: Units, user: str, data: Mapping[str, Any]
) -> dict[str, tuple[float, float]]:
    sessions = harness.sessions
    costs = {"create": units.of(lambda: sessions.create(user, "public", {"plan": "pro"}, data))}
    issued = sessions.create(user, "public", {"plan": "pro"}, data)
    handle, token = issued.session.handle, issued.access_token.token
    refresh = [issued.refresh_token.token]

    def refreshed() -> None:
        refresh[0] = sessions.refresh(refresh[0]).refresh_token.token

    refreshed()  # the first refresh of a session records nothing more; measure a steady one
    costs |= {
        "verify with checkDatabase": units.of(lambda: sessions.verify(token, check_database=True)),
        "online payload merge": units.of(lambda: sessions.merge_payload_online(token, {"hot": 1})),
        "offline payload merge": units.of(lambda: sessions.merge_payload_offline(handle, {"hot": 2})),
        "SDK offline payload merge": units.of(lambda: sessions.replace_payload(handle, {"plan": "team"})),
        "refresh": units.of(refreshed),
        "CDI regenerate without a payload": units.of(lambda: sessions.regenerate(token, None)),
        "read the data": units.of(lambda: sessions.get_data(handle)),
        "read the session and its data": units.of(lambda: sessions.get(handle)),
    }
    sessions.merge_data(handle, {"hot": 3})  # without data, the first one creates the data's item
    costs |= {
        "data merge": units.of(lambda: sessions.merge_data(handle, {"hot": 4})),
        "revoke": units.of(lambda: sessions.revoke(handle)),
    }
    return costs


def test_claims_refresh_and_verify_cost_the_same_units_whatever_the_session_data(
    harness: Harness, units: Units, unique_id: str
) -> None:
    """Issue 22.2: with ~300 KB of session data a payload merge cost ~300 write units (the whole item);
    now every operation on the claims costs what it costs without data, at most 5 units."""
    empty = _costs(harness, units, unique_id, {})
    big = _costs(harness, units, unique_id, BIG)
    for operation in (
        "verify with checkDatabase",
        "online payload merge",
        "offline payload merge",
        "SDK offline payload merge",
        "refresh",
        "CDI regenerate without a payload",
    ):
        assert big[operation] == empty[operation], operation
        assert sum(big[operation]) <= 5, (operation, big[operation])
    assert big["online payload merge"][1] <= 5


def test_data_operations_cost_what_the_data_costs_plus_a_small_constant(
    harness: Harness, units: Units, unique_id: str
) -> None:
    empty = _costs(harness, units, unique_id, {})
    big = _costs(harness, units, unique_id, BIG)
    kilobytes = size(BIG) / 1024
    # Writes: 1 unit per KB of the written item (DynamoDB bills the whole item); reads: 1 per 4 KB.
    # The same operation without data is the constant: at most 3 units of each kind (a revocation
    # deletes the session's item, its entry in the byUser index and the data's item).
    for operation, (reads, writes) in {
        "create": (0, kilobytes),
        "data merge": (0, kilobytes),
        "read the data": (kilobytes / 4, 0),
        "read the session and its data": (kilobytes / 4, 0),
        "revoke": (0, kilobytes),
    }.items():
        read, write = big[operation]
        small_read, small_write = empty[operation]
        assert max(small_read, small_write) <= 3, (operation, empty[operation])
        assert reads <= read <= math.ceil(reads) + 1 + small_read, (operation, big[operation])
        assert writes <= write <= math.ceil(writes) + 1 + small_write, (operation, big[operation])


# -- layout and order ----------------------------------------------------------------------------


def test_a_session_with_data_puts_its_data_item_first_and_keeps_it_past_its_own_expiry(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {"cart": [1]})
    handle = issued.session.handle
    assert table_calls.calls == [("PutItem", "data"), ("PutItem", "sessions")]
    session, data_item = items.session(handle), items.data_item(handle)
    assert session is not None
    assert data_item is not None
    assert not {"data", "dataBytes", "dataEpoch"} & set(session)
    expires = issued.session.expires_at
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    assert data_item["data"] == encode_document({"cart": [1]})
    assert int(data_item["dataBytes"]["N"]) == weight({"cart": [1]})


def test_a_session_without_data_has_no_data_item_until_its_first_data_write(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    handle = issued.session.handle
    assert table_calls.calls == [("PutItem", "sessions")]
    assert items.data_item(handle) is None
    assert plain(harness.sessions.get_data(handle)) == {}
    table_calls.calls.clear()
    assert plain(harness.sessions.merge_data(handle, {"x": 1})) == {"x": 1}
    # read the session; note the data's expiry on it; the merge fails on no item; put it; the session
    # is still there (else the new item would be deleted again)
    assert table_calls.calls == [
        ("GetItem", "sessions"),
        ("UpdateItem", "sessions"),
        ("UpdateItem", "data"),
        ("PutItem", "data"),
        ("GetItem", "sessions"),
    ]
    expires = issued.session.expires_at
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    table_calls.calls.clear()
    harness.sessions.put_data(handle, {"y": 2})
    assert table_calls.calls == [("GetItem", "sessions"), ("UpdateItem", "data")]
    assert plain(harness.sessions.get_data(handle)) == {"y": 2}


def test_a_first_overwrite_of_the_data_creates_its_item(
    harness: Harness, items: Items, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {}).session.handle
    assert plain(harness.sessions.put_data(handle, {"y": None})) == {"y": None}
    assert plain(harness.sessions.get_data(handle)) == {"y": None}
    data_item = items.data_item(handle)
    assert data_item is not None
    assert (data_item["dataBytes"], data_item["dataEpoch"]) == ({"N": str(weight({"y": None}))}, {"N": "1"})


def test_revoking_deletes_the_session_then_its_data(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    with_data = harness.sessions.create(unique_id, "public", {}, {"a": 1}).session.handle
    without = harness.sessions.create(unique_id, "public", {}, {}).session.handle
    table_calls.calls.clear()
    assert harness.sessions.revoke(with_data)
    assert harness.sessions.revoke(without)
    assert not harness.sessions.revoke(with_data)
    assert table_calls.calls == [
        ("DeleteItem", "sessions"),
        ("DeleteItem", "data"),
        ("DeleteItem", "sessions"),
        ("DeleteItem", "sessions"),
    ]
    assert (items.session(with_data), items.data_item(with_data)) == (None, None)


def test_theft_deletes_the_data_too(harness: Harness, items: Items, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {"a": 1})
    child = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.refresh(child.refresh_token.token)  # the child is used: it becomes current
    harness.clock.now += WINDOW + 1
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")
    assert (items.session(issued.session.handle), items.data_item(issued.session.handle)) == (None, None)


# -- the data item's expiry ----------------------------------------------------------------------


def test_a_refresh_extends_the_data_only_when_the_session_would_outlive_it(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {"a": 1})
    handle, token = issued.session.handle, issued.refresh_token.token
    harness.clock.now += MARGIN  # the new expiry is exactly the data's: no extension
    table_calls.calls.clear()
    token = harness.sessions.refresh(token).refresh_token.token
    assert table_calls.calls == [("UpdateItem", "sessions")]
    harness.clock.now += 1
    table_calls.calls.clear()
    refreshed = harness.sessions.refresh(token)
    # refused (the data would expire first, and the call returns the session), the data extended,
    # the same rotation noting the data's new expiry
    assert table_calls.calls == [
        ("UpdateItem", "sessions"),
        ("UpdateItem", "data"),
        ("UpdateItem", "sessions"),
    ]
    expires = refreshed.session.expires_at
    assert expires == int(harness.clock.now) + LIFETIME
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    assert plain(harness.sessions.get_data(handle)) == {"a": 1}


@pytest.mark.parametrize("data", [{"a": 1}, {}])
def test_over_a_long_life_the_data_outlives_its_session_by_at_most_the_margin(
    harness: Harness, items: Items, call_counter: CallCounter, unique_id: str, data: dict[str, Any]
) -> None:
    """Refreshed every 0.3 lifetimes for 20 lifetimes, written now and then: after every step the data
    item lives at least as long as the session and at most ``MARGIN`` longer; the data is extended at
    most once per ``MARGIN`` of the session's life."""
    issued = harness.sessions.create(unique_id, "public", {}, data)
    handle, token = issued.session.handle, issued.refresh_token.token
    extensions = 0
    for step in range(66):
        harness.clock.now += 0.3 * LIFETIME
        call_counter.reset()
        token = harness.sessions.refresh(token).refresh_token.token
        extensions += call_counter.calls.count("UpdateItem") - 1
        if step % 7 == 3:
            harness.sessions.merge_data(handle, {f"k{step}": step})
        session_expires, noted, data_expires = items.expiries(handle)
        assert session_expires is not None
        if noted is None:  # no data written yet
            assert data_expires is None
            continue
        assert data_expires is not None
        assert session_expires <= noted <= data_expires <= session_expires + MARGIN, step
    assert extensions // 2 <= 66 * 0.3 * LIFETIME / MARGIN + 1


def test_a_data_item_missing_after_its_expiry_was_noted_is_created_by_the_extension(
    harness: Harness, items: Items, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    """A first data write noted the expiry and stopped before its item (a crash): a refresh that needs
    the data extended creates it empty, the next write merges into it, and reads show {} meanwhile."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    handle = issued.session.handle
    noted = issued.session.expires_at + MARGIN
    dynamodb.update_item(
        TableName=table_names["SessionsTable"],
        Key={KEY: {"S": handle}},
        UpdateExpression="SET dataExpiresAt = :d",
        ExpressionAttributeValues={":d": {"N": str(noted)}},
    )
    assert plain(harness.sessions.get_data(handle)) == {}
    harness.clock.now += MARGIN + 1
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    expires = refreshed.session.expires_at
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    assert plain(harness.sessions.get_data(handle)) == {}
    assert plain(harness.sessions.merge_data(handle, {"x": 1})) == {"x": 1}
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)


# -- sessions stored before: data in the session's item --------------------------------------------


def test_a_session_stored_before_is_read_as_before_and_its_first_refresh_moves_its_data_out(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    issued = legacy_session(harness, items, unique_id, {"cart": [1, 2]})
    handle = issued.session.handle
    assert plain(harness.sessions.get_data(handle)) == {"cart": [1, 2]}
    assert plain(harness.sessions.get(handle)[1]) == {"cart": [1, 2]}
    assert plain(harness.sessions.verify_with_data(issued.access_token.token)[1]) == {"cart": [1, 2]}
    assert plain(harness.sessions.merge_payload_offline(handle, {"b": 2})) == {"a": 1, "b": 2}
    assert items.data_item(handle) is None
    table_calls.calls.clear()
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    # the rotation (which returns the session with its data), the copy, the data out of the session's
    assert table_calls.calls == [("UpdateItem", "sessions"), ("PutItem", "data"), ("UpdateItem", "sessions")]
    assert plain(refreshed.access_token.payload) == {"a": 1, "b": 2}
    session = items.session(handle)
    assert session is not None
    assert not {"data", "dataBytes", "dataEpoch"} & set(session)
    expires = refreshed.session.expires_at
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    assert plain(harness.sessions.get_data(handle)) == {"cart": [1, 2]}
    table_calls.calls.clear()
    harness.sessions.refresh(refreshed.refresh_token.token)
    assert table_calls.calls == [("UpdateItem", "sessions")]


def test_a_session_stored_before_with_empty_data_keeps_it_in_its_item(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str
) -> None:
    """An empty map costs nothing: no refresh moves it; a data write does, as for any session."""
    issued = legacy_session(harness, items, unique_id, {})
    handle = issued.session.handle
    table_calls.calls.clear()
    harness.sessions.refresh(issued.refresh_token.token)
    assert table_calls.calls == [("UpdateItem", "sessions")]
    session = items.session(handle)
    assert session is not None
    assert session["data"] == {"M": {}}
    assert plain(harness.sessions.get_data(handle)) == {}
    assert plain(harness.sessions.merge_data(handle, {"x": 1})) == {"x": 1}
    assert "data" not in (items.session(handle) or {})


@pytest.mark.parametrize("write", ["merge", "put"])
def test_a_session_stored_before_has_its_data_moved_out_by_its_next_data_write(
    harness: Harness, items: Items, table_calls: TableCalls, unique_id: str, write: str
) -> None:
    issued = legacy_session(harness, items, unique_id, {"cart": [1, 2], "gone": True})
    handle = issued.session.handle
    table_calls.calls.clear()
    if write == "merge":
        expected = {"cart": [1, 2], "more": 3}
        assert plain(harness.sessions.merge_data(handle, {"more": 3, "gone": None})) == expected
    else:
        expected = {"only": 1}
        harness.sessions.put_data(handle, expected)
    # read the session; copy its data to an item of its own, remove it from the session's (under its
    # version as read); read the session again; write the data item as always
    assert table_calls.calls == [
        ("GetItem", "sessions"),
        ("PutItem", "data"),
        ("UpdateItem", "sessions"),
        ("GetItem", "sessions"),
        ("UpdateItem", "data"),
    ]
    session, data_item = items.session(handle), items.data_item(handle)
    assert session is not None
    assert data_item is not None
    assert not {"data", "dataBytes", "dataEpoch"} & set(session)
    assert data_item["data"] == encode_document(expected)
    count = int(data_item["dataBytes"]["N"])  # the merge's fast write adds its growth, removes nothing
    assert count == weight(expected) if write == "put" else count >= weight(expected)
    assert data_item["movedFrom"] == {"N": str(issued.session.version)}
    expires = issued.session.expires_at
    assert items.expiries(handle) == (expires, expires + MARGIN, expires + MARGIN)
    assert plain(harness.sessions.get_data(handle)) == expected
    table_calls.calls.clear()
    harness.sessions.merge_data(handle, {"next": 4})
    assert table_calls.calls == [("GetItem", "sessions"), ("UpdateItem", "data")]
    assert harness.sessions.revoke(handle)
    assert (items.session(handle), items.data_item(handle)) == (None, None)


def test_a_merge_over_the_limit_moves_the_data_out_and_changes_none_of_it(
    harness: Harness, items: Items, unique_id: str
) -> None:
    filler = {"pad": "p" * 340_000}
    issued = legacy_session(harness, items, unique_id, filler)
    handle = issued.session.handle
    assert error_of(harness.sessions.merge_data, handle, {"more": "m" * 20_000}) == (
        413,
        "SESSION_DATA_TOO_LARGE",
    )
    data_item = items.data_item(handle)
    assert data_item is not None
    assert data_item["data"] == encode_document(filler)
    assert plain(harness.sessions.get_data(handle)) == filler


def test_a_session_stored_before_without_counts_is_moved_out_with_exact_ones(
    harness: Harness, items: Items, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    issued = legacy_session(harness, items, unique_id, {"d": 1})
    handle = issued.session.handle
    dynamodb.update_item(
        TableName=table_names["SessionsTable"],
        Key={KEY: {"S": handle}},
        UpdateExpression="REMOVE dataBytes, dataEpoch",
    )
    assert plain(harness.sessions.merge_data(handle, {"e": [1]})) == {"d": 1, "e": [1]}
    data_item = items.data_item(handle)
    assert data_item is not None
    assert int(data_item["dataBytes"]["N"]) == weight({"d": 1, "e": [1]})


def test_a_revoked_or_expired_session_refuses_data_writes_and_writes_nothing(
    harness: Harness, items: Items, unique_id: str
) -> None:
    revoked = harness.sessions.create(unique_id, "public", {}, {}).session.handle
    harness.sessions.revoke(revoked)
    expired = harness.sessions.create(unique_id, "public", {}, {"a": 1}).session.handle
    harness.clock.now += LIFETIME
    for handle in (revoked, expired):
        assert error_of(harness.sessions.merge_data, handle, {"x": 1}) == (404, "SESSION_NOT_FOUND")
        assert error_of(harness.sessions.put_data, handle, {"x": 1}) == (404, "SESSION_NOT_FOUND")
        assert error_of(harness.sessions.get_data, handle) == (404, "SESSION_NOT_FOUND")
    assert items.data_item(revoked) is None
    stored = items.data_item(expired)
    assert stored is not None
    assert stored["data"] == encode_document({"a": 1})  # left to the TTL, which deletes it in time
