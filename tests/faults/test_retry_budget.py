"""The real DynamoDB client (``authstate.storage.client.dynamodb_client``) against a port nobody listens on
and against a server that accepts connections but never answers: named 503s, within the budget."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from authstate.errors import StorageUnavailable
from authstate.storage import client as aws
from authstate.storage.table import Table
from tools.localrun.dynamodb import free_port


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and reads requests, but never answers (a hung DynamoDB)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def client_for(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Table, list[str]]:
    """The service's own client (same config and retry budget), pointed at ``endpoint``; the list
    collects one entry per HTTP attempt."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "faults")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "faults")
    aws.dynamodb_client.cache_clear()
    client = aws.dynamodb_client()
    attempts: list[str] = []

    def count(**_: Any) -> None:
        attempts.append("attempt")

    client.meta.events.register("before-send.dynamodb", count)
    return Table("authstate-user-metadata", lambda: client), attempts


@pytest.fixture(autouse=True)
def _fresh_client() -> Iterator[None]:
    aws.dynamodb_client.cache_clear()
    yield
    aws.dynamodb_client.cache_clear()


def test_connection_refused_is_retried_three_times_then_503_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    table, attempts = client_for(f"http://127.0.0.1:{free_port()}", monkeypatch)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as raised:
        table.get({"userId": {"S": "user-1"}})
    elapsed = time.monotonic() - started
    assert raised.value.code == "STORAGE_UNAVAILABLE"
    assert len(attempts) == aws.MAX_ATTEMPTS
    assert elapsed < 1.0


def test_hung_dynamodb_is_503_after_one_read_timeout_not_three(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the retry budget this call takes 3 x 5 s (15 s): past the 10 s function timeout,
    where API Gateway would answer a bare 500. With it, one attempt: 503 after the 5 s read timeout."""
    table, attempts = client_for(silent_server, monkeypatch)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as raised:
        table.update({"userId": {"S": "user-1"}}, {"UpdateExpression": "ADD #v :one"})
    elapsed = time.monotonic() - started
    assert raised.value.code == "STORAGE_UNAVAILABLE"
    assert len(attempts) == 1
    assert aws.READ_TIMEOUT_SECONDS <= elapsed < aws.CALL_BUDGET_SECONDS
