"""User metadata against DynamoDB Local: merge vectors, types, call counts, concurrency, limits."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from authstate.documents.jsondoc import to_plain
from authstate.errors import AuthstateError
from authstate.limits import MAX_UPDATE_KEYS, MERGE_KEYS_PER_UPDATE
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from authstate.storage.table import Table
from tests.clock import ManualClock
from tests.concurrency import run_concurrently
from tools.bench.measure import CallCounter
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def own_connection(endpoint: str, table_name: str) -> UserMetadata:
    """A store with a client of its own, as each concurrent Lambda would have."""
    dynamodb = client(endpoint)
    return UserMetadata(MetadataStore(Table(table_name, lambda: dynamodb)))


@pytest.fixture
def metadata(dynamodb: DynamoDBClient, table_names: dict[str, str]) -> UserMetadata:
    return UserMetadata(MetadataStore(Table(table_names["UserMetadataTable"], lambda: dynamodb)))


def test_unknown_user_reads_as_empty(metadata: UserMetadata, unique_id: str) -> None:
    assert to_plain(metadata.get(unique_id)) == {}


def test_the_empty_user_id_has_metadata(metadata: UserMetadata) -> None:
    """SuperTokens' core keeps metadata for the user id "" (``UserMetadataAPI.java`` takes any string);
    DynamoDB refuses "" as a key, so it is stored as U+0000 (``identifiers.user_id_key``)."""
    metadata.clear("")
    assert to_plain(metadata.update("", {"a": 1})) == {"a": 1}
    assert to_plain(metadata.get("")) == {"a": 1}
    metadata.clear("")
    assert to_plain(metadata.get("")) == {}


def test_first_update_drops_null_keys(metadata: UserMetadata, unique_id: str) -> None:
    assert to_plain(metadata.update(unique_id, {"test": "123", "testNull": None})) == {"test": "123"}
    assert to_plain(metadata.get(unique_id)) == {"test": "123"}


def test_nested_values_replaced_whole_and_null_keys_removed(metadata: UserMetadata, unique_id: str) -> None:
    metadata.update(unique_id, {"testUpdate": {"subsub": "123"}, "unmodified": "123", "cleared": 123})
    merged = metadata.update(
        unique_id, {"testUpdate": {"subsubupdate": "subnew!"}, "testNew": "new!", "cleared": None}
    )
    expected = {"testUpdate": {"subsubupdate": "subnew!"}, "unmodified": "123", "testNew": "new!"}
    assert to_plain(merged) == expected
    assert to_plain(metadata.get(unique_id)) == expected


def test_docs_example(metadata: UserMetadata, unique_id: str) -> None:
    metadata.update(
        unique_id,
        {"preferences": {"theme": "dark"}, "notifications": {"email": True}, "todos": ["use-text-notifs"]},
    )
    merged = metadata.update(unique_id, {"notifications": {"sms": True}, "todos": None})
    assert to_plain(merged) == {"preferences": {"theme": "dark"}, "notifications": {"sms": True}}


def test_json_types_unicode_and_nested_nulls_round_trip(metadata: UserMetadata, unique_id: str) -> None:
    document: dict[str, Any] = {
        "int": 42,
        "float": 1.0,
        "small": 1e-300,
        "huge": 10**40,
        "negative": -7,
        "true": True,
        "false": False,
        "text": "ünïcødé ✓ 𝄞",
        "ключ": "значение",
        "nested": {"null": None, "list": [None, 0, "", {}]},
        "emptyKeyInside": {"": "allowed below the root"},
    }
    metadata.update(unique_id, document)
    stored = to_plain(metadata.get(unique_id))
    assert stored == document
    assert [type(stored[k]) for k in ("int", "float", "huge", "true")] == [int, float, int, bool]


def test_clear_then_read_is_empty(metadata: UserMetadata, unique_id: str) -> None:
    metadata.update(unique_id, {"a": 1})
    metadata.clear(unique_id)
    assert to_plain(metadata.get(unique_id)) == {}
    assert to_plain(metadata.update(unique_id, {"b": 2})) == {"b": 2}


def test_steady_state_update_is_one_update_item(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    metadata.update(unique_id, {"a": 1})
    call_counter.reset()
    metadata.update(unique_id, {"b": 2, "a": None})
    assert call_counter.calls == ["UpdateItem"]


def test_first_update_is_a_failed_conditional_update_then_one_put(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    metadata.update(unique_id, {"a": 1})
    assert call_counter.calls == ["UpdateItem", "PutItem"]


def test_concurrent_updates_of_distinct_keys_lose_nothing(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    threads, updates = 8, 200
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        own = own_connection(dynamodb_endpoint, table_names["UserMetadataTable"])
        try:
            for i in range(updates):
                own.update(unique_id, {f"t{number}-{i}": i})
        except BaseException as error:  # surfaced below
            errors.append(error)

    run_concurrently(partial(worker, n) for n in range(threads))
    assert errors == []
    stored = to_plain(own_connection(dynamodb_endpoint, table_names["UserMetadataTable"]).get(unique_id))
    assert len(stored) == threads * updates
    assert stored == {f"t{n}-{i}": i for n in range(threads) for i in range(updates)}


def test_update_too_big_for_one_expression_is_one_read_and_one_write_of_the_whole_document(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    metadata.update(unique_id, {"keep": "me", "drop": 1})
    update: dict[str, Any] = {f"key-{i}": {"n": i} for i in range(MERGE_KEYS_PER_UPDATE * 2 + 50)}
    update["drop"] = None
    call_counter.reset()
    merged = metadata.update(unique_id, update)
    assert call_counter.calls == ["GetItem", "UpdateItem"]
    expected = {"keep": "me", **{f"key-{i}": {"n": i} for i in range(MERGE_KEYS_PER_UPDATE * 2 + 50)}}
    assert to_plain(merged) == expected
    assert to_plain(metadata.get(unique_id)) == expected


def test_a_big_merge_that_loses_a_race_decides_again_on_what_won(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    """Between the big merge's read and its write, another client merges a key of its own and a key the
    big merge writes. Deterministic interleaving: the write fails on ``version``, the merge is made
    again on the item the failure returned, after one pause on the service's clock (never the wall
    clock's), and nothing is lost; the big merge, later, wins its key."""
    name = table_names["UserMetadataTable"]
    small = own_connection(dynamodb_endpoint, name)
    big_client = client(dynamodb_endpoint)
    clock = ManualClock()
    big = UserMetadata(MetadataStore(Table(name, lambda: big_client), sleep=clock.sleep))
    size = MERGE_KEYS_PER_UPDATE * 3
    calls = CallCounter().attach(big_client)
    raced: list[int] = []

    def small_update_first(**_: Any) -> None:
        if not raced:
            raced.append(1)
            small.update(unique_id, {"small": 1, f"big-{size - 1}": "small wrote first"})

    big.update(unique_id, {"seed": True})
    calls.reset()
    big_client.meta.events.register("before-call.dynamodb.UpdateItem", small_update_first)
    merged = big.update(unique_id, {f"big-{i}": i for i in range(size)})
    assert calls.calls == ["GetItem", "UpdateItem", "UpdateItem"]
    assert len(clock.slept) == 1
    expected = {"seed": True, "small": 1, **{f"big-{i}": i for i in range(size)}}
    assert to_plain(merged) == expected
    assert to_plain(small.get(unique_id)) == expected


def test_a_first_write_too_big_for_one_expression_is_one_put(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    update = {f"key-{i}": i for i in range(MERGE_KEYS_PER_UPDATE + 1)}
    assert to_plain(metadata.update(unique_id, update)) == update
    assert call_counter.calls == ["GetItem", "PutItem"]


def test_item_over_400kb_is_413_and_leaves_the_document_unchanged(
    metadata: UserMetadata, unique_id: str
) -> None:
    metadata.update(unique_id, {"a": "x" * 300_000})
    with pytest.raises(AuthstateError) as caught:
        metadata.update(unique_id, {"b": "y" * 150_000})
    assert (caught.value.status, caught.value.code) == (413, "ITEM_TOO_LARGE")
    assert to_plain(metadata.get(unique_id)) == {"a": "x" * 300_000}


@pytest.mark.parametrize("key", ["", "k" * 1025])
def test_bad_keys_are_rejected_before_any_write(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter, key: str
) -> None:
    with pytest.raises(AuthstateError) as caught:
        metadata.update(unique_id, {"fine": 1, key: 2})
    assert caught.value.code == "INVALID_KEY"
    assert call_counter.calls == []


def test_a_merge_that_does_not_want_the_document_asks_dynamodb_for_nothing(
    metadata: UserMetadata, unique_id: str, dynamodb: DynamoDBClient
) -> None:
    metadata.update(unique_id, {"big": "x" * 100_000})
    asked: list[str] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.UpdateItem", lambda params, **_: asked.append(params["ReturnValues"])
    )
    assert metadata.update(unique_id, {"small": 1}, return_document=False) is None
    assert asked == ["NONE"]
    assert to_plain(metadata.get(unique_id)) == {"big": "x" * 100_000, "small": 1}


def test_a_big_merge_over_400kb_is_refused_whole_and_leaves_no_trace(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    """The merged document would grow the item past 400 KB: DynamoDB refuses the one write."""
    metadata.update(unique_id, {"keep": 1, "k0": "old", "pad": "p" * 200_000})
    update: dict[str, Any] = {f"k{i}": "new" for i in range(MERGE_KEYS_PER_UPDATE)}
    update["huge"] = "h" * 250_000
    call_counter.reset()
    with pytest.raises(AuthstateError) as caught:
        metadata.update(unique_id, update)
    assert (caught.value.status, caught.value.code) == (413, "ITEM_TOO_LARGE")
    assert call_counter.calls == ["GetItem", "UpdateItem"]
    assert to_plain(metadata.get(unique_id)) == {"keep": 1, "k0": "old", "pad": "p" * 200_000}


def test_a_merge_of_more_root_keys_than_the_limit_is_400_before_any_call(
    metadata: UserMetadata, unique_id: str, call_counter: CallCounter
) -> None:
    with pytest.raises(AuthstateError) as caught:
        metadata.update(unique_id, {f"n{i}": None for i in range(MAX_UPDATE_KEYS + 1)})
    assert (caught.value.status, caught.value.code) == (400, "TOO_MANY_KEYS")
    assert call_counter.calls == []
