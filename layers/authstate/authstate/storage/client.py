"""The DynamoDB client, created once per warm Lambda with deliberate timeouts and retries.

boto3 is imported here, on first use, so modules that only need pure logic never pay for it.
``AWS_ENDPOINT_URL_DYNAMODB`` (honoured by botocore itself) points it at DynamoDB Local.

Timeouts and retries: an attempt may take up to ``CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS``
(7 s) and standard retry mode makes up to ``MAX_ATTEMPTS`` (3) of them, so a DynamoDB that accepts
connections but does not answer would hold one call for 15-21 s: longer than the function's timeout
(10 s in template.yaml), after which API Gateway answers a bare 500 instead of our named 503. So
botocore's retry decision gets a budget (:func:`within_budget`): a retry is only started if, at worst
(its backoff, then a full connect and read timeout), it still ends within ``CALL_BUDGET_SECONDS`` of
the call's start. Fast failures (connection refused or reset, 5xx, early throttling) keep their
retries; a connect timeout (2 s) or read timeout (5 s) is answered 503 at once.

Items are decoded by ``json.loads`` (:func:`items_parsed_as_json`), not attribute by attribute.
botocore does not validate parameters client-side (``parameter_validation=False``, which its
documentation offers "for performance reasons"): DynamoDB validates them anyway, and a bad one is
the same 500 ``STORAGE_ERROR`` either way (``storage.table.dynamodb_errors``). Validating the nested
maps of a merge's UpdateItem took about 0.08 ms of a warm request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 3
#: Every DynamoDB call, retries included, ends within this; under the function timeout (10 s).
CALL_BUDGET_SECONDS = 9.0

#: Upper bounds of botocore's standard-mode backoff before retry n (1-based): uniform(0, base * 2^(n-1)),
#: base 1 s for throttling and 25 ms for other DynamoDB errors (0.1 s here, with margin).
_THROTTLING_BACKOFF_BASE = 1.0
_OTHER_BACKOFF_BASE = 0.1
_THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
_STARTED = "authstate_call_started"


def may_retry(
    elapsed: float, attempts: int, *, throttled: bool, attempt_seconds: float, budget: float
) -> bool:
    """Whether another attempt, after ``attempts`` of them took ``elapsed`` seconds, surely ends in budget."""
    backoff = (_THROTTLING_BACKOFF_BASE if throttled else _OTHER_BACKOFF_BASE) * 2.0 ** (attempts - 1)
    return elapsed + backoff + attempt_seconds <= budget


class _RetryBudget:
    """``needs-retry`` hook that runs before botocore's own: ``False`` vetoes a retry, ``None``
    leaves the decision (which errors, how many attempts, the retry quota) to botocore."""

    def __init__(self, attempt_seconds: float, budget: float) -> None:
        self._attempt_seconds = attempt_seconds
        self._budget = budget

    def note_start(self, context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = time.monotonic()

    def needs_retry(
        self,
        *,
        attempts: int,
        request_dict: dict[str, Any],
        response: tuple[Any, dict[str, Any]] | None = None,
        caught_exception: Exception | None = None,
        **_: Any,
    ) -> bool | None:
        started = request_dict.get("context", {}).get(_STARTED)
        if started is None:
            return None
        throttled = False
        if caught_exception is None:
            if response is None:
                return None
            http_response, parsed = response
            if http_response.status_code < 400:
                return None  # a success: nothing to retry
            code = parsed.get("Error", {}).get("Code", "")
            throttled = http_response.status_code == 429 or code in _THROTTLING_CODES
        elapsed = time.monotonic() - started
        if may_retry(
            elapsed, attempts, throttled=throttled, attempt_seconds=self._attempt_seconds, budget=self._budget
        ):
            return None
        return False


def within_budget[C: BaseClient](client: C, *, attempt_seconds: float, budget: float) -> C:
    """Make ``client`` start no retry that could end later than ``budget`` seconds into the call,
    an attempt taking up to ``attempt_seconds`` (its connect plus read timeout)."""
    hook = _RetryBudget(attempt_seconds, budget)
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{service}", hook.note_start)
    # register_first: our veto (False) must be the first answer, before botocore's own retry handler.
    # (The stubs type hooks as returning None; needs-retry hooks do return values.)
    client.meta.events.register_first(f"needs-retry.{service}", cast("Callable[..., None]", hook.needs_retry))
    return client


#: Operations whose successful answers carry items (a merge's old item, a read, a query).
_ITEM_OPERATIONS = ("GetItem", "UpdateItem", "Query")
#: Binary values are the one type whose wire form (base64 text) differs from botocore's (bytes).
_BINARY_TYPES = (b'"B":', b'"BS":')


def _parse_as_json(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    body = response_dict.get("body") or b""
    json_answer = str(response_dict.get("headers", {}).get("content-type", "")).startswith(
        "application/x-amz-json"
    )
    if (
        response_dict.get("status_code", 500) >= 300
        or not json_answer
        or not body
        or any(tag in body for tag in _BINARY_TYPES)
    ):
        return  # errors, other encodings and answers that may hold binary values: botocore's parser
    customized_response_dict.update(json.loads(body))
    response_dict["body"] = b"{}"


def items_parsed_as_json[C: BaseClient](client: C) -> C:
    """Decode successful item-carrying answers with one ``json.loads`` instead of botocore's
    shape-by-shape parser, through botocore's ``before-parse`` hook (``customized_response_dict``).
    DynamoDB's wire form of S, N, M, L, SS, NS, BOOL and NULL values is what botocore's parser
    returns for them (N stays text), so the result is identical; a one-key merge into a ~300 KB
    document, whose old item comes back, takes 17.8 ms instead of 25.8 ms (``make bench``). An
    answer with a binary value (a key ``"B"`` or ``"BS"`` anywhere, even a map key named so) keeps
    botocore's parser: it decodes base64, ``json.loads`` would not."""
    service = client.meta.service_model.service_id.hyphenize()
    for operation in _ITEM_OPERATIONS:
        client.meta.events.register(f"before-parse.{service}.{operation}", _parse_as_json)
    return client


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        tcp_keepalive=True,
        parameter_validation=False,
    )
    client = boto3.client("dynamodb", config=config)
    within_budget(
        client, attempt_seconds=CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS, budget=CALL_BUDGET_SECONDS
    )
    return items_parsed_as_json(client)
