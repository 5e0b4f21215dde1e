"""DynamoDB access shared by every feature: one place that calls the client and maps its errors, and
the document merge (one UpdateItem per part of at most ``MERGE_KEYS_PER_UPDATE`` root keys)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from authstate.documents.expressions import UpdateBuilder, decode_document, encode_document, encode_value
from authstate.documents.jsondoc import StoredJson, dumps
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode, InternalError, StorageError, StorageUnavailable
from authstate.limits import MAX_CREATE_ATTEMPTS, MERGE_KEYS_PER_UPDATE

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
    # A multi-Region strong consistency table refused a write racing one in another Region (retried by
    # botocore first, as the model marks it retryable): retry later, like throttling (design note §10).
    "ReplicatedWriteConflictException",
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
            raise StorageUnavailable("storage is throttling requests; retry later", throttled=True) from error
        if code == "ValidationException" and "size" in message.lower() and "item" in message.lower():
            raise AuthstateError(
                ErrorCode.ITEM_TOO_LARGE, "the stored item would exceed DynamoDB's 400 KB item limit"
            ) from error
        if status >= 500:
            raise StorageUnavailable(_UNAVAILABLE) from error
        raise StorageError(f"storage rejected the request ({code})") from error
    except (BotoConnectionError, HTTPClientError) as error:
        raise StorageUnavailable(_UNAVAILABLE) from error
    except BotoCoreError as error:
        raise StorageError(f"storage call failed ({type(error).__name__})") from error


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

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: Item | None = None,
    ) -> None:
        """One PutItem, optionally conditional (e.g. ``attribute_not_exists``)."""
        arguments: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            arguments["ConditionExpression"] = condition
        if names:
            arguments["ExpressionAttributeNames"] = names
        if values:
            arguments["ExpressionAttributeValues"] = values
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
    clauses (and SETs that must happen in the same UpdateItem) added to each UpdateItem of the merge."""

    def add_to(self, builder: UpdateBuilder) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class MergeResult:
    """A merge as it happened, exact even under concurrency.

    - ``item_before``: the item as the merge's last UpdateItem found it (``{}`` for a first write, and
      when the merge was asked to return nothing);
    - ``replaced``: each key of the update that was stored, as it was just before this merge wrote it;
    - ``after``: the whole document right after the merge's last write (``None`` if not asked for)."""

    item_before: Item
    replaced: dict[str, StoredJson]
    after: dict[str, Any] | None

    def document(self) -> dict[str, Any]:
        """``after``, for a merge that asked for it (any other call is a bug)."""
        if self.after is None:
            raise InternalError
        return self.after

    def before(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """The document as this merge found it: ``after`` with what it replaced put back (exact for a
        merge of one part; for a bigger one, give or take concurrent writes between its parts)."""
        kept = {key: value for key, value in self.document().items() if key not in update}
        return dict(sorted({**kept, **self.replaced}.items()))

    def wrote(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """The keys of ``update`` this merge changed, with what it wrote: what an undo has to restore.
        A null for an absent key, or a value equal to the stored one, changed nothing."""
        return {key: value for key, value in update.items() if self._changed(key, value)}

    def _changed(self, key: str, value: Any) -> bool:
        if value is None:
            return key in self.replaced
        return key not in self.replaced or self.replaced[key].text != dumps(value)


def merge_document(
    table: Table,
    key: Item,
    attribute: str,
    update: Mapping[str, Any],
    *,
    precondition: Precondition | None = None,
    create_if_missing: bool = False,
    return_document: bool = True,
) -> MergeResult:
    """Root-level merge of ``update`` into the document ``attribute`` of one item.

    One conditional UpdateItem (SET/REMOVE per root key, ADD version) per ``MERGE_KEYS_PER_UPDATE``
    keys: a usual merge is exactly one call. A larger one is applied in that many calls, in order;
    each is atomic and touches only its own keys, so concurrent merges of other keys never conflict
    with it and it always completes (a concurrent reader may see its first part before the rest).
    Merges are idempotent: a merge interrupted by a storage failure completes when retried. If a part
    is refused (the item would grow past 400 KB), the parts already applied are undone first.
    - Item missing and ``create_if_missing``: a conditional put of the rest of the update (first write).
    - ``return_document=False``: the last part asks DynamoDB for nothing back (``after`` is ``None``).
    Raises :class:`ConditionFailed` if the item (or its precondition) does not hold.
    """
    keys = list(update)
    replaced: dict[str, StoredJson] = {}
    start, lost_creates = 0, 0
    while True:
        chunk = {name: update[name] for name in keys[start : start + MERGE_KEYS_PER_UPDATE]}
        last = start + MERGE_KEYS_PER_UPDATE >= len(keys)
        builder = UpdateBuilder().merge_document(attribute, chunk).bump_version()
        builder.condition(f"attribute_exists({builder.name(attribute)})")
        if precondition is not None:
            precondition.add_to(builder)
        # Only the last part may need the whole item back; earlier ones need just their own keys.
        returns: ReturnValue = "UPDATED_OLD" if not last else "ALL_OLD" if return_document else "NONE"
        try:
            item = table.update(key, builder.build(), return_values=returns)
        except ConditionFailed:
            if not create_if_missing:
                raise
            rest = {name: update[name] for name in keys[start:]}
            if _create_document(table, key, attribute, rest):
                return MergeResult({}, replaced, merge({}, rest) if return_document else None)
            lost_creates += 1  # another first write won: the item exists now, so update it
            if lost_creates >= MAX_CREATE_ATTEMPTS:
                message = "the user was cleared and created again concurrently; retry"
                raise AuthstateError(ErrorCode.CONFLICT, message) from None
            continue
        except AuthstateError:
            if start:  # an earlier part landed: take it back, so the refused merge leaves no trace
                done = {name: update[name] for name in keys[:start]}
                undo_merge(table, key, attribute, done, MergeResult({}, replaced, None))
            raise
        entries = item.get(attribute, {}).get("M", {})
        replaced.update({name: StoredJson(entries[name]["S"]) for name in chunk if name in entries})
        if last:
            after = merge(decode_document(item.get(attribute)), chunk) if return_document else None
            return MergeResult(item, replaced, after)
        start += MERGE_KEYS_PER_UPDATE


def _create_document(table: Table, key: Item, attribute: str, update: Mapping[str, Any]) -> bool:
    item = {**key, attribute: encode_document(merge({}, update)), "version": {"N": "1"}}
    try:
        table.put(item, condition="attribute_not_exists(#k)", names={"#k": next(iter(key))})
    except ConditionFailed:
        return False
    return True


#: Keys restored per UpdateItem by an undo: two clauses each (the write and its condition).
UNDO_KEYS_PER_UPDATE = 100


def undo_merge(
    table: Table, key: Item, attribute: str, update: Mapping[str, Any], result: MergeResult
) -> bool:
    """Take a merge back on the keys it changed that still hold what it wrote (a later write to a key
    wins and is kept). Returns ``False`` if the item (or its document) is gone, so nothing was left
    to undo. Keys are restored in parts; a part whose keys were partly rewritten meanwhile is retried
    key by key, so every key that still holds this merge's value is restored."""
    written = list(result.wrote(update).items())
    for start in range(0, len(written), UNDO_KEYS_PER_UPDATE):
        part = written[start : start + UNDO_KEYS_PER_UPDATE]
        try:
            _restore(table, key, attribute, part, result.replaced)
        except ConditionFailed as failure:
            if _gone(failure, attribute):
                return False
            if len(part) > 1:  # someone wrote some of these keys since: restore the others one by one
                for one in part:
                    try:
                        _restore(table, key, attribute, [one], result.replaced)
                    except ConditionFailed as one_failure:
                        if _gone(one_failure, attribute):
                            return False
    return True


def _gone(failure: ConditionFailed, attribute: str) -> bool:
    return failure.item is None or attribute not in failure.item


def _restore(
    table: Table,
    key: Item,
    attribute: str,
    written: list[tuple[str, Any]],
    replaced: Mapping[str, StoredJson],
) -> None:
    builder = UpdateBuilder()
    document = builder.name(attribute)
    builder.condition(f"attribute_exists({document})")
    for name, value in written:
        path = f"{document}.{builder.name(name)}"
        if name in replaced:
            builder.set(path, {"S": replaced[name].text})
        else:
            builder.remove(path)
        if value is None:
            builder.condition(f"attribute_not_exists({path})")
        else:
            builder.condition(f"{path}={builder.value(encode_value(value))}")
    builder.bump_version()
    table.update(key, builder.build(), return_values="NONE", old_item_on_failure=True)
