"""The layer's client decodes answers with items by one ``json.loads`` (``items_parsed_as_json``):
what it returns must be exactly what botocore's own parser returns, for every value type, for the
three operations it covers, and for errors; binary values must keep botocore's parser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from authstate.storage.client import items_parsed_as_json
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EVERY_TYPE: dict[str, Any] = {
    "S": {"S": 'é ✓ "quoted" \\ \u0000'},
    "N": {"N": "12345678901234567890123456789012345678"},
    "small": {"N": "-0.000000000000000000000000000000000000001"},
    "BOOL": {"BOOL": False},
    "NULL": {"NULL": True},
    "SS": {"SS": ["a", "b"]},
    "NS": {"NS": ["1", "2.5"]},
    "L": {"L": [{"S": "x"}, {"L": []}, {"M": {}}]},
    "M": {"M": {" ": {"S": "space key"}, "nested": {"M": {"deeper": {"N": "1"}}}}},
}


def fast_path_taken(dynamodb: DynamoDBClient) -> list[bool]:
    """After each parse, whether the layer's hook took the answer (it leaves an empty body behind)."""
    taken: list[bool] = []

    def note(response_dict: dict[str, Any], **_: Any) -> None:
        taken.append(response_dict["body"] == b"{}")

    for operation in ("GetItem", "UpdateItem", "Query"):
        dynamodb.meta.events.register(f"before-parse.dynamodb.{operation}", note)
    return taken


def without_metadata(answer: Any) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


@pytest.fixture
def clients(dynamodb_endpoint: str) -> tuple[DynamoDBClient, DynamoDBClient]:
    return items_parsed_as_json(client(dynamodb_endpoint)), client(dynamodb_endpoint)


def test_items_decode_as_botocore_decodes_them(
    clients: tuple[DynamoDBClient, DynamoDBClient], table_names: dict[str, str], unique_id: str
) -> None:
    fast, plain = clients
    taken = fast_path_taken(fast)
    table, key = table_names["UserMetadataTable"], {"userId": {"S": unique_id}}
    plain.put_item(TableName=table, Item={**key, "metadata": {"M": EVERY_TYPE}})

    def update(dynamodb: DynamoDBClient) -> dict[str, Any]:
        return without_metadata(
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET #m.#k = :v",
                ExpressionAttributeNames={"#m": "metadata", "#k": "S"},
                ExpressionAttributeValues={":v": EVERY_TYPE["S"]},
                ReturnValues="ALL_OLD",
            )
        )

    def query(dynamodb: DynamoDBClient) -> dict[str, Any]:
        return without_metadata(
            dynamodb.query(
                TableName=table,
                KeyConditionExpression="userId = :u",
                ExpressionAttributeValues={":u": key["userId"]},
            )
        )

    assert update(fast) == update(plain)
    assert without_metadata(fast.get_item(TableName=table, Key=key)) == without_metadata(
        plain.get_item(TableName=table, Key=key)
    )
    assert query(fast) == query(plain)
    assert without_metadata(fast.get_item(TableName=table, Key=key))["Item"]["metadata"] == {"M": EVERY_TYPE}
    assert taken == [True, True, True, True]


def test_an_answer_with_binary_values_keeps_botocores_parser(
    clients: tuple[DynamoDBClient, DynamoDBClient], table_names: dict[str, str], unique_id: str
) -> None:
    fast, plain = clients
    taken = fast_path_taken(fast)
    table, key = table_names["UserMetadataTable"], {"userId": {"S": unique_id}}
    plain.put_item(TableName=table, Item={**key, "secret": {"B": b"\x00\xff"}, "set": {"BS": [b"\x01"]}})
    item = fast.get_item(TableName=table, Key=key)["Item"]
    assert (item["secret"], item["set"]) == ({"B": b"\x00\xff"}, {"BS": [b"\x01"]})
    # A map key named "B" looks like a binary value to the check: botocore's parser, same answer.
    plain.put_item(TableName=table, Item={**key, "metadata": {"M": {"B": {"S": "not binary"}}}})
    assert fast.get_item(TableName=table, Key=key)["Item"]["metadata"] == {"M": {"B": {"S": "not binary"}}}
    assert taken == [False, False]


def test_errors_keep_botocores_parser(
    clients: tuple[DynamoDBClient, DynamoDBClient], table_names: dict[str, str], unique_id: str
) -> None:
    fast, _ = clients
    taken = fast_path_taken(fast)
    old: dict[str, Any] = {"userId": {"S": unique_id}, "metadata": {"M": {"a": {"N": "1"}}}}
    fast.put_item(TableName=table_names["UserMetadataTable"], Item=old)
    with pytest.raises(ClientError) as refused:
        fast.update_item(
            TableName=table_names["UserMetadataTable"],
            Key={"userId": {"S": unique_id}},
            UpdateExpression="SET #m.#k = :v",
            ConditionExpression="attribute_not_exists(userId)",
            ExpressionAttributeNames={"#m": "metadata", "#k": "a"},
            ExpressionAttributeValues={":v": {"N": "2"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused.value.response["Item"] == old  # type: ignore[typeddict-item]
    assert taken == [False]
