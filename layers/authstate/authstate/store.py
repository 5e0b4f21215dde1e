"""DynamoDB access shared by every feature: one place that calls the client and maps its errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from authstate.errors import AuthstateError, Conflict, PayloadTooLarge, StorageUnavailable
from authstate.expressions import UpdateBuilder, decode_document, encode_document
from authstate.limits import MAX_CREATE_ATTEMPTS, MERGE_KEYS_PER_UPDATE
from authstate.merge import merge

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

type Item = dict[str, Any]
type ReturnValue = Literal["ALL_NEW", "ALL_OLD", "NONE", "UPDATED_NEW", "UPDATED_OLD"]


class ConditionFailed(Exception):
    """A ConditionExpression did not hold; the caller decides what that means.

    ``item`` is the item as it was, when the call asked for it (ReturnValuesOnConditionCheckFailure)."""

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


_THROTTLING = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionConflictException",
}
_UNAVAILABLE = "storage is unavailable; retry later"


@contextmanager
def dynamodb_errors() -> Iterator[None]:
    """Translate botocore failures into named errors; nothing secret is echoed.

    - throttling (after botocore's retries): 503 ``THROTTLED``;
    - DynamoDB's own 5xx (InternalServerError, ServiceUnavailable) and network failures (refused,
      reset, connect or read timeout): 503 ``STORAGE_UNAVAILABLE``. After a read timeout or a lost
      connection the request may have been applied, so the message does not claim otherwise;
    - an item over 400 KB: 413 ``ITEM_TOO_LARGE``;
    - anything else (access denied, a missing table, a bad parameter): 500 ``STORAGE_ERROR``, a bug
      or a misconfiguration that retrying will not fix.
    """
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(cast("Item | None", error.response.get("Item"))) from error
        if code in _THROTTLING:
            raise StorageUnavailable(
                "storage is throttling requests; retry later", code="THROTTLED"
            ) from error
        if code == "ValidationException" and "size" in message.lower() and "item" in message.lower():
            raise PayloadTooLarge(
                "the stored item would exceed DynamoDB's 400 KB item limit", code="ITEM_TOO_LARGE"
            ) from error
        if status >= 500:
            raise StorageUnavailable(_UNAVAILABLE) from error
        raise AuthstateError(
            f"storage rejected the request ({code})", code="STORAGE_ERROR", status=500
        ) from error
    except (BotoConnectionError, HTTPClientError) as error:
        raise StorageUnavailable(_UNAVAILABLE) from error
    except BotoCoreError as error:
        raise AuthstateError(
            f"storage call failed ({type(error).__name__})", code="STORAGE_ERROR", status=500
        ) from error


class Table:
    """A DynamoDB table by name, with the calls the features need and nothing else."""

    def __init__(self, name: str, client_factory: Callable[[], DynamoDBClient]) -> None:
        self.name = name
        self._client_factory = client_factory

    @property
    def client(self) -> DynamoDBClient:
        return self._client_factory()

    def get(self, key: Item, *, projection: list[str] | None = None) -> Item | None:
        arguments: dict[str, Any] = {"TableName": self.name, "Key": key, "ConsistentRead": True}
        if projection:
            names = {f"#{i}": attribute for i, attribute in enumerate(projection)}
            arguments["ProjectionExpression"] = ",".join(names)
            arguments["ExpressionAttributeNames"] = names
        with dynamodb_errors():
            response = self.client.get_item(**arguments)
        return response.get("Item")

    def update(
        self,
        key: Item,
        arguments: Mapping[str, Any],
        *,
        return_values: ReturnValue = "ALL_NEW",
        old_item_on_failure: bool = False,
    ) -> Item:
        """One UpdateItem. Raises :class:`ConditionFailed` when its condition does not hold,
        carrying the item as it was if ``old_item_on_failure`` (no second read needed)."""
        extra: dict[str, Any] = {}
        if old_item_on_failure:
            extra["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        with dynamodb_errors():
            response = self.client.update_item(
                TableName=self.name, Key=key, ReturnValues=return_values, **arguments, **extra
            )
        return response.get("Attributes", {})

    def put(self, item: Item, *, condition: str | None = None, names: dict[str, str] | None = None) -> None:
        """One PutItem, optionally conditional (e.g. ``attribute_not_exists``)."""
        arguments: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            arguments["ConditionExpression"] = condition
        if names:
            arguments["ExpressionAttributeNames"] = names
        with dynamodb_errors():
            self.client.put_item(**arguments)

    def delete(self, key: Item, *, return_old: bool = False) -> Item | None:
        with dynamodb_errors():
            response = self.client.delete_item(
                TableName=self.name, Key=key, ReturnValues="ALL_OLD" if return_old else "NONE"
            )
        return response.get("Attributes")

    def query(self, **arguments: Any) -> list[Item]:
        items: list[Item] = []
        with dynamodb_errors():
            paginator = self.client.get_paginator("query")
            for page in paginator.paginate(TableName=self.name, **arguments):
                items.extend(page.get("Items", []))
        return items


class Precondition:
    """An extra condition on a document merge (e.g. "the session is live"), as ConditionExpression
    clauses (and SETs that must happen in the same UpdateItem) added to the merge's builder."""

    def add_to(self, builder: UpdateBuilder) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class MergeResult:
    """A merge as it happened, exact even under concurrency.

    - ``item_before``: the item as the merge's last UpdateItem found it (``{}`` for a first write);
    - ``replaced``: each key of the update that was stored, as it was just before this merge wrote it;
    - ``after``: the whole document right after the merge's last write."""

    item_before: Item
    replaced: dict[str, Any]
    after: dict[str, Any]


def merge_document(
    table: Table,
    key: Item,
    attribute: str,
    update: Mapping[str, Any],
    *,
    precondition: Precondition | None = None,
    create_if_missing: bool = False,
) -> MergeResult:
    """Root-level merge of ``update`` into the document ``attribute`` of one item.

    One conditional UpdateItem (SET/REMOVE per root key, ADD version) per ``MERGE_KEYS_PER_UPDATE``
    keys: a usual merge is exactly one call. A larger one is applied in that many calls, in order;
    each is atomic and touches only its own keys, so concurrent merges of other keys never conflict
    with it and it always completes (a concurrent reader may see its first part before the rest).
    Merges are idempotent: a merge interrupted by a storage failure completes when retried.
    - Item missing and ``create_if_missing``: a conditional put of the rest of the update (first write).
    Raises :class:`ConditionFailed` if the item (or its precondition) does not hold.
    """
    keys = list(update)
    replaced: dict[str, Any] = {}
    start, lost_creates = 0, 0
    while True:
        chunk = {name: update[name] for name in keys[start : start + MERGE_KEYS_PER_UPDATE]}
        last = start + MERGE_KEYS_PER_UPDATE >= len(keys)
        builder = UpdateBuilder().merge_document(attribute, chunk).bump_version()
        builder.condition(f"attribute_exists({builder.name(attribute)})")
        if precondition is not None:
            precondition.add_to(builder)
        try:
            # Only the last part needs the whole item back; earlier ones need just their own keys.
            item = table.update(key, builder.build(), return_values="ALL_OLD" if last else "UPDATED_OLD")
        except ConditionFailed:
            if not create_if_missing:
                raise
            rest = {name: update[name] for name in keys[start:]}
            if _create_document(table, key, attribute, rest):
                return MergeResult({}, replaced, merge({}, rest))
            lost_creates += 1  # another first write won: the item exists now, so update it
            if lost_creates >= MAX_CREATE_ATTEMPTS:
                raise Conflict("the user was cleared and created again concurrently; retry") from None
            continue
        entries = item.get(attribute, {}).get("M", {})
        replaced.update({name: json.loads(entries[name]["S"]) for name in chunk if name in entries})
        if last:
            return MergeResult(item, replaced, merge(decode_document(item.get(attribute)), chunk))
        start += MERGE_KEYS_PER_UPDATE


def _create_document(table: Table, key: Item, attribute: str, update: Mapping[str, Any]) -> bool:
    item = {**key, attribute: encode_document(merge({}, update)), "version": {"N": "1"}}
    try:
        table.put(item, condition="attribute_not_exists(#k)", names={"#k": next(iter(key))})
    except ConditionFailed:
        return False
    return True
