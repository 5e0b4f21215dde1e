"""The what-if of the size sweep (UpdateItem/GetItem answers decoded by ``json.loads`` instead of
botocore's shape parser) must give the layer exactly what botocore gives it, or its figures mean
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authstate.documents.jsondoc import to_plain
from authstate.metadata import UserMetadata
from authstate.sessions.store import SessionStore
from authstate.storage.table import ConditionFailed, Table
from bench.sweep import raw_json_responses
from localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_raw_json_client_returns_what_botocore_returns(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    raw = client(dynamodb_endpoint)
    raw_json_responses(raw)
    name = table_names["UserMetadataTable"]
    plain, fast = UserMetadata(Table(name, lambda: dynamodb)), UserMetadata(Table(name, lambda: raw))
    document = {"n": 1.0, "big": 12345678901234567890123, "nested": {"": [None, True, "é"]}, "s": "x" * 500}
    plain.update(unique_id, document)
    assert plain.update(unique_id, {"k": 1}) == fast.update(unique_id, {"k": 1})
    assert plain.get(unique_id) == fast.get(unique_id)
    assert to_plain(fast.get(unique_id))["big"] == 12345678901234567890123
    key = {"userId": {"S": unique_id}}
    assert Table(name, lambda: raw).get(key) == Table(name, lambda: dynamodb).get(key)


def test_raw_json_client_keeps_errors_and_condition_failures(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    raw = client(dynamodb_endpoint)
    raw_json_responses(raw)
    store = SessionStore(Table(table_names["SessionsTable"], lambda: raw))
    assert store.get(unique_id, 0) is None  # no item: the answer has no Item at all
    with pytest.raises(ConditionFailed):
        store.merge_payload(unique_id, {"a": 1}, 0)
