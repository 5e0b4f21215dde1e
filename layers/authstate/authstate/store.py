"""DynamoDB access shared by every feature: one place that calls the client and maps its errors."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from authstate.errors import AuthstateError, Conflict, PayloadTooLarge, StorageUnavailable
from authstate.expressions import ExpressionTooLarge, UpdateBuilder, decode_document, encode_document
from authstate.limits import MAX_OPTIMISTIC_ATTEMPTS
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
    """An extra condition on a document merge (e.g. "the session is live"), in two forms:
    as ConditionExpression clauses for UpdateItem, and as a predicate on an item already read."""

    def add_to(self, builder: UpdateBuilder) -> None:
        raise NotImplementedError

    def holds_for(self, item: Item) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class MergeResult:
    """A merge as it happened: the item before it (``{}`` if there was none) and the document
    before and after. Exact even under concurrency, since one UpdateItem applied the update
    atomically to exactly ``item_before`` (ReturnValues=ALL_OLD)."""

    item_before: Item
    before: dict[str, Any]
    after: dict[str, Any]


def _result(item_before: Item, attribute: str, update: Mapping[str, Any]) -> MergeResult:
    before = decode_document(item_before.get(attribute))
    return MergeResult(item_before, before, merge(before, update))


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

    Steady state: exactly one conditional UpdateItem (SET/REMOVE per root key, ADD version).
    - Item missing and ``create_if_missing``: a conditional put of the merged document (first write).
    - Update too large for one expression: an optimistic rewrite, a read then an UpdateItem of the
      whole document conditioned on the version read, retried on conflict.
    Raises :class:`ConditionFailed` if the item (or its precondition) does not hold.
    """
    for _ in range(MAX_OPTIMISTIC_ATTEMPTS):
        builder = UpdateBuilder().merge_document(attribute, update).bump_version()
        builder.condition(f"attribute_exists({builder.name(attribute)})")
        if precondition is not None:
            precondition.add_to(builder)
        try:
            arguments = builder.build()
        except ExpressionTooLarge:
            return _rewrite_document(table, key, attribute, update, precondition, create_if_missing)
        try:
            return _result(table.update(key, arguments, return_values="ALL_OLD"), attribute, update)
        except ConditionFailed:
            if not create_if_missing:
                raise
        if _create_document(table, key, attribute, update):
            return _result({}, attribute, update)
        # Lost a race with another first write (or a clear): the item exists now; update it.
    raise Conflict("the document kept changing concurrently; retry")


def _create_document(table: Table, key: Item, attribute: str, update: Mapping[str, Any]) -> bool:
    item = {**key, attribute: encode_document(merge({}, update)), "version": {"N": "1"}}
    try:
        table.put(item, condition="attribute_not_exists(#k)", names={"#k": next(iter(key))})
    except ConditionFailed:
        return False
    return True


def _rewrite_document(
    table: Table,
    key: Item,
    attribute: str,
    update: Mapping[str, Any],
    precondition: Precondition | None,
    create_if_missing: bool,
) -> MergeResult:
    for attempt in range(MAX_OPTIMISTIC_ATTEMPTS):
        item = table.get(key)
        if item is None or attribute not in item:
            if not create_if_missing:
                raise ConditionFailed
            if _create_document(table, key, attribute, update):
                return _result({}, attribute, update)
            continue
        if precondition is not None and not precondition.holds_for(item):
            raise ConditionFailed
        result = _result(item, attribute, update)
        builder = UpdateBuilder()
        builder.set(builder.name(attribute), encode_document(result.after)).bump_version()
        builder.condition(f"{builder.name('version')}={builder.value({'N': item['version']['N']})}")
        if precondition is not None:
            precondition.add_to(builder)
        try:
            table.update(key, builder.build(), return_values="NONE")
            return result
        except ConditionFailed:
            _backoff(attempt)  # someone else wrote in between: read again and retry
    raise Conflict("the document kept changing concurrently; retry")


def _backoff(attempt: int) -> None:
    """Full-jitter exponential backoff, so a big rewrite is not starved by a stream of small updates."""
    time.sleep(random.uniform(0, min(0.25, 0.004 * 2**attempt)))  # noqa: S311 - jitter, not crypto
