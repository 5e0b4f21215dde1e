"""DynamoDB access shared by every feature: one place that calls the client and maps its errors (the
document merges that use it are in ``storage.documents``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, cast

from authstate.documents.expressions import Item as Item  # re-exported: the I/O modules name it from here
from authstate.errors import AuthstateError, ErrorCode, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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
