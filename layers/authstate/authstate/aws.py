"""The DynamoDB client, created once per warm Lambda with deliberate timeouts and retries.

boto3 is imported here, on first use, so modules that only need pure logic never pay for it.
``AWS_ENDPOINT_URL_DYNAMODB`` (honoured by botocore itself) points it at DynamoDB Local.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "total_max_attempts": 3},
        tcp_keepalive=True,
    )
    return boto3.client("dynamodb", config=config)
