"""Fixtures of the integration tests that exercise the sessions service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.harness import Harness, Items, make_harness

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def harness(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> Harness:
    return make_harness(dynamodb, dynamodb_endpoint, table_names, unique_id)


@pytest.fixture
def items(dynamodb: DynamoDBClient, table_names: dict[str, str]) -> Items:
    return Items(dynamodb, table_names)
