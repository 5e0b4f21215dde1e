"""Unit tests of the cost arithmetic (bench/prices.py) and of the capacity meter (bench/measure.py),
on a botocore client whose answers are stubbed (no network): what a write of a 100 KB item, or a
strongly consistent read of it, costs in units and in dollars."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools.bench.measure import CapacityMeter
from tools.bench.prices import (
    MB_PER_VCPU,
    billed_ms,
    cpu_scaled_ms,
    dynamodb_usd,
    lambda_usd,
    per_million,
)

KB = 1024
TABLE = "T"
KEY = {"pk": {"S": "a"}}


def write_units(item_bytes: int) -> int:
    """DynamoDB's rule, for the fake below: 1 write unit per started KB of the item."""
    return max(1, math.ceil(item_bytes / KB))


def read_units(item_bytes: int, *, consistent: bool) -> float:
    """DynamoDB's rule: 1 read unit per started 4 KB, strongly consistent; half that eventually."""
    units = max(1, math.ceil(item_bytes / (4 * KB)))
    return units if consistent else units / 2


def consumed(units: float) -> dict[str, Any]:
    return {"ConsumedCapacity": {"TableName": TABLE, "CapacityUnits": units}}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber, CapacityMeter]]:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    meter = CapacityMeter().attach(client)
    with Stubber(client) as stubber:
        yield client, stubber, meter
        stubber.assert_no_pending_responses()


def test_a_100_kb_item_write_is_100_write_units_and_62_5_dollars_per_million(
    stubbed: tuple[Any, Stubber, CapacityMeter],
) -> None:
    client, stubber, meter = stubbed
    expected = {
        "TableName": TABLE,
        "Key": KEY,
        "UpdateExpression": "SET #a=:a",
        "ExpressionAttributeNames": {"#a": "a"},
        "ExpressionAttributeValues": {":a": {"N": "1"}},
        "ReturnConsumedCapacity": "TOTAL",  # added by the meter: the caller did not ask for it
    }
    stubber.add_response("update_item", consumed(write_units(100 * KB)), expected)
    client.update_item(**{k: v for k, v in expected.items() if k != "ReturnConsumedCapacity"})
    assert (meter.read_units, meter.write_units, meter.unreported) == (0.0, 100.0, 0)
    assert dynamodb_usd(meter.read_units, meter.write_units) * 1e6 == pytest.approx(62.5)
    assert write_units(100 * KB + 1) == 101


def test_a_strongly_consistent_read_of_a_100_kb_item_is_25_read_units(
    stubbed: tuple[Any, Stubber, CapacityMeter],
) -> None:
    client, stubber, meter = stubbed
    for consistent in (True, False):
        stubber.add_response(
            "get_item",
            consumed(read_units(100 * KB, consistent=consistent)),
            {"TableName": TABLE, "Key": KEY, "ConsistentRead": consistent, "ReturnConsumedCapacity": "TOTAL"},
        )
        client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=consistent)
    assert (meter.read_units, meter.write_units) == (25.0 + 12.5, 0.0)
    assert dynamodb_usd(25.0, 0.0) * 1e6 == pytest.approx(3.125)
    assert read_units(4 * KB, consistent=True) == 1
    assert read_units(4 * KB + 1, consistent=True) == 2


def test_the_meter_leaves_a_callers_choice_and_calls_without_units_alone(
    stubbed: tuple[Any, Stubber, CapacityMeter],
) -> None:
    client, stubber, meter = stubbed
    stubber.add_response(
        "put_item",
        {"ConsumedCapacity": {"TableName": TABLE, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 2.0}}},
        {"TableName": TABLE, "Item": KEY, "ReturnConsumedCapacity": "INDEXES"},
    )
    client.put_item(TableName=TABLE, Item=KEY, ReturnConsumedCapacity="INDEXES")
    stubber.add_response("describe_table", {}, {"TableName": TABLE})  # takes no ReturnConsumedCapacity
    client.describe_table(TableName=TABLE)
    stubber.add_client_error("delete_item", "ConditionalCheckFailedException", http_status_code=400)
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.delete_item(TableName=TABLE, Key=KEY, ConditionExpression="attribute_exists(pk)")
    stubber.add_response(
        "batch_get_item",
        {
            "Responses": {},
            "ConsumedCapacity": [
                {"TableName": "A", "CapacityUnits": 1.5},
                {"TableName": "B", "CapacityUnits": 2.0},
            ],
        },
        {"RequestItems": {TABLE: {"Keys": [KEY]}}, "ReturnConsumedCapacity": "TOTAL"},
    )
    client.batch_get_item(RequestItems={TABLE: {"Keys": [KEY]}})
    assert (meter.read_units, meter.write_units, meter.unreported) == (3.5, 3.0, 1)
    meter.reset()
    assert (meter.read_units, meter.write_units, meter.unreported) == (0.0, 0.0, 0)


def test_a_detached_meter_asks_for_nothing(stubbed: tuple[Any, Stubber, CapacityMeter]) -> None:
    client, stubber, meter = stubbed
    meter.detach(client)
    stubber.add_response("get_item", {}, {"TableName": TABLE, "Key": KEY})  # no ReturnConsumedCapacity
    client.get_item(TableName=TABLE, Key=KEY)
    assert (meter.read_units, meter.unreported) == (0.0, 0)


def test_lambda_bills_each_started_millisecond() -> None:
    assert [billed_ms(value) for value in (0.2, 1.0, 2.37, 3.0, 3.0001)] == [1, 1, 3, 3, 4]


def test_lambda_dollars_per_million_at_512_mb_on_both_architectures() -> None:
    # 0.5 GB x 0.003 s = 0.0015 GB-s per invocation, plus 0.20 USD per million requests
    x86 = lambda_usd(2.37, 512, "x86_64") * 1e6
    arm = lambda_usd(2.37, 512, "arm64") * 1e6
    assert x86 == pytest.approx(0.20 + 0.0015 * 16.6667)
    assert arm == pytest.approx(0.20 + 0.0015 * 13.3334)
    assert (arm - 0.20) / (x86 - 0.20) == pytest.approx(0.8, abs=1e-4)
    assert lambda_usd(2.37, 1024, "x86_64") * 1e6 - 0.20 == pytest.approx(2 * (x86 - 0.20))


def test_a_request_adds_api_gateway_lambda_and_dynamodb() -> None:
    cost = per_million(read_units=0, write_units=100, duration_ms=8.5, memory_mb=512, architecture="arm64")
    assert cost.api == pytest.approx(1.00)
    assert cost.dynamodb == pytest.approx(62.5)
    assert cost.lambda_ == pytest.approx(0.20 + 0.5 * 0.009 * 13.3334)
    assert cost.total == pytest.approx(cost.api + cost.lambda_ + cost.dynamodb)


def test_cpu_time_stretches_with_the_memory_s_cpu_share() -> None:
    assert cpu_scaled_ms(6.0, 2.0, 512) == pytest.approx(4.0 + 2.0 * MB_PER_VCPU / 512)
    assert cpu_scaled_ms(6.0, 2.0, 2048) == pytest.approx(6.0)  # a full vCPU or more: as measured
    assert cpu_scaled_ms(1.0, 1.5, 1024) == pytest.approx(1.0 * MB_PER_VCPU / 1024)  # CPU > wall: capped
