"""How DynamoDB failures reach the caller: botocore errors mapped to named responses (no network,
botocore's Stubber on a real client), and the DynamoDB client's timeouts, retries and retry budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.stub import Stubber

from authstate.errors import AuthstateError, StorageUnavailable
from authstate.storage import client as aws
from authstate.storage.table import ConditionFailed, Table, dynamodb_errors
from tools.localrun.template import Template

KEY = {"userId": {"S": "user-1"}}
ACCOUNT_ID = "123456789012"


@pytest.fixture
def stubbed() -> Iterator[tuple[Table, Stubber]]:
    """A Table on a real botocore client whose calls are answered by a Stubber (nothing is sent)."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
        endpoint_url="http://127.0.0.1:9",  # never contacted: the Stubber answers first
    )
    with Stubber(client) as stubber:
        yield Table("table", lambda: client), stubber
        stubber.assert_no_pending_responses()


def fail(
    stubber: Stubber, operation: str, code: str, message: str = "", status: int = 400, **fields: Any
) -> None:
    stubber.add_client_error(
        operation,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        modeled_fields=fields,
    )


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "ReplicatedWriteConflictException",  # a global table's write racing another Region's (MRSC)
    ],
)
def test_throttling_is_503_throttled(stubbed: tuple[Table, Stubber], code: str) -> None:
    table, stubber = stubbed
    fail(stubber, "get_item", code, "Rate of requests exceeds the allowed throughput.")
    with pytest.raises(StorageUnavailable) as raised:
        table.get(KEY)
    assert (raised.value.status, raised.value.code) == (503, "THROTTLED")


def test_conditional_check_failure_carries_the_old_item(stubbed: tuple[Table, Stubber]) -> None:
    table, stubber = stubbed
    old = {"userId": {"S": "user-1"}, "version": {"N": "7"}}
    fail(
        stubber, "update_item", "ConditionalCheckFailedException", "The conditional request failed", Item=old
    )
    with pytest.raises(ConditionFailed) as raised:
        table.update(KEY, {"UpdateExpression": "ADD #v :one"}, old_item_on_failure=True)
    assert raised.value.item == old


def test_conditional_check_failure_without_the_item(stubbed: tuple[Table, Stubber]) -> None:
    table, stubber = stubbed
    fail(stubber, "put_item", "ConditionalCheckFailedException", "The conditional request failed")
    with pytest.raises(ConditionFailed) as raised:
        table.put(KEY, condition="attribute_not_exists(#k)", names={"#k": "userId"})
    assert raised.value.item is None


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("put_item", "Item size has exceeded the maximum allowed size"),
        ("update_item", "Item size to update has exceeded the maximum allowed size"),
    ],
)
def test_item_size_validation_is_413(stubbed: tuple[Table, Stubber], operation: str, message: str) -> None:
    table, stubber = stubbed
    fail(stubber, operation, "ValidationException", message)
    call = (lambda: table.put(KEY)) if operation == "put_item" else (lambda: table.update(KEY, {}))
    with pytest.raises(AuthstateError) as raised:
        call()
    assert (raised.value.status, raised.value.code) == (413, "ITEM_TOO_LARGE")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "AccessDeniedException",
            f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/authstate-role/fn is not authorized to perform: "
            f"dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/secret-table",
        ),
        ("ResourceNotFoundException", f"Requested resource not found: Table: secret-table ({ACCOUNT_ID})"),
        ("ValidationException", f"One or more parameter values were invalid: secret-table {ACCOUNT_ID}"),
    ],
)
def test_other_client_errors_are_500_without_the_aws_message(
    stubbed: tuple[Table, Stubber], code: str, message: str
) -> None:
    table, stubber = stubbed
    fail(stubber, "delete_item", code, message)
    with pytest.raises(AuthstateError) as raised:
        table.delete(KEY)
    error = raised.value
    assert (error.status, error.code) == (500, "STORAGE_ERROR")
    assert not isinstance(error, StorageUnavailable)
    text = str(error.to_body())
    assert ACCOUNT_ID not in text
    assert "secret-table" not in text


@pytest.mark.parametrize(("code", "status"), [("InternalServerError", 500), ("ServiceUnavailable", 503)])
def test_dynamodb_server_errors_are_503_unavailable(
    stubbed: tuple[Table, Stubber], code: str, status: int
) -> None:
    """DynamoDB's own 5xx (after botocore's retries) is transient: 503, retry later, not a 500."""
    table, stubber = stubbed
    fail(stubber, "query", code, f"internal failure in {ACCOUNT_ID}", status=status)
    with pytest.raises(StorageUnavailable) as raised:
        table.query(KeyConditionExpression="#u = :u")
    assert (raised.value.status, raised.value.code) == (503, "STORAGE_UNAVAILABLE")
    assert ACCOUNT_ID not in str(raised.value.to_body())


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
    ids=type,
)
def test_network_failures_are_503_unavailable(error: Exception) -> None:
    with pytest.raises(StorageUnavailable) as raised, dynamodb_errors():
        raise error
    assert (raised.value.status, raised.value.code) == (503, "STORAGE_UNAVAILABLE")
    assert raised.value.to_body() == {
        "code": "STORAGE_UNAVAILABLE",
        "message": "storage is unavailable; retry later",
    }


@pytest.mark.parametrize(
    "error", [ParamValidationError(report="Invalid type for parameter Key"), NoCredentialsError()], ids=type
)
def test_local_botocore_failures_are_500_not_an_outage(error: Exception) -> None:
    """A bad parameter or missing credentials is a bug or a misconfiguration: retrying cannot help,
    so it must not be reported as a 503 outage."""
    with pytest.raises(AuthstateError) as raised, dynamodb_errors():
        raise error
    assert (raised.value.status, raised.value.code) == (500, "STORAGE_ERROR")


@pytest.fixture
def fresh_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.dynamodb_client.cache_clear()
    yield
    aws.dynamodb_client.cache_clear()


@pytest.mark.usefixtures("fresh_client")
def test_dynamodb_client_has_the_intended_timeouts_and_retries() -> None:
    config: Any = aws.dynamodb_client().meta.config  # botocore's Config is untyped in the stubs
    assert config.connect_timeout == 2
    assert config.read_timeout == 5
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert config.tcp_keepalive is True


def test_call_budget_is_under_every_function_timeout() -> None:
    """A DynamoDB call must give up (503) before Lambda kills the function (a bare API Gateway 500)."""
    template = Template.load()
    default = template.raw["Globals"]["Function"]["Timeout"]
    for name, function in template.resources("AWS::Serverless::Function").items():
        timeout = function["Properties"].get("Timeout", default)
        assert timeout - 1 >= aws.CALL_BUDGET_SECONDS, name


ATTEMPT = aws.CONNECT_TIMEOUT_SECONDS + aws.READ_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    ("elapsed", "attempts", "throttled", "expected"),
    [
        (0.01, 1, False, True),  # connection refused or reset: retry at once
        (0.05, 2, False, True),  # ... and again: fast failures keep all three attempts
        (0.02, 1, True, True),  # throttled early: one more attempt fits
        (1.10, 2, True, False),  # throttled twice: a third could end after the budget
        (2.00, 1, False, False),  # connect timeout: a retry could end at 2 + 0.1 + 7 s > 9 s
        (5.00, 1, False, False),  # read timeout: a retry could take 5 + 7 s
    ],
)
def test_retry_budget(elapsed: float, attempts: int, throttled: bool, expected: bool) -> None:
    allowed = aws.may_retry(
        elapsed, attempts, throttled=throttled, attempt_seconds=ATTEMPT, budget=aws.CALL_BUDGET_SECONDS
    )
    assert allowed is expected
