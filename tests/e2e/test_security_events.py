"""Security events over HTTP: theft, a bad signature, an invalid API key and revoking all of a user's
sessions each write one WARNING line with its ``event`` (identifiers only, never a secret) and publish
one count of its metric (an EMF line: this server runs with ``--metrics``). The key rotation's event is
tested where keys are rotated (tests/e2e/test_key_rotation.py: it needs a DynamoDB of its own).

The module has a server of its own, used by one test at a time, so what each request wrote is the
difference between the log before and after it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from authstate.security import SecurityEvent
from tests.e2e.conftest import API_KEY, Api, api_at, with_forged_signature
from tools.localrun.process import local_server
from tools.localrun.runtime import EMF_PREFIX

#: What Powertools adds to every line inside an invocation (service, location, Lambda context...).
POWERTOOLS_KEYS = {
    "level", "location", "message", "timestamp", "service", "cold_start", "function_name",
    "function_memory_size", "function_arn", "function_request_id", "correlation_id", "xray_trace_id",
    "sampling_rate",
}  # fmt: skip


@pytest.fixture(scope="module")
def event_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security-events") / "server.log"


@pytest.fixture(scope="module")
def events_api(dynamodb_endpoint: str, event_log: Path) -> Iterator[Api]:
    overrides = {"RefreshReuseWindowSeconds": "0"}  # a replayed refresh token is theft at once
    with (
        local_server(
            dynamodb_endpoint, API_KEY, event_log, extra_args=["--metrics"], parameter_overrides=overrides
        ) as url,
        api_at(url) as client,
    ):
        yield client


class Log:
    """The server's log from a point on: its security-event lines and its metric counts."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._start = len(path.read_bytes())

    def _lines(self) -> list[dict[str, Any]]:
        text = self._path.read_bytes()[self._start :].decode(errors="replace")
        parsed = []
        for line in text.splitlines():
            if line.startswith("{"):
                try:
                    parsed.append(json.loads(line))
                except ValueError:
                    continue
        return parsed

    def events(self) -> list[dict[str, Any]]:
        return [line for line in self._lines() if "event" in line and "_aws" not in line]

    def metric(self, name: str) -> float:
        total = 0.0
        for line in self._lines():
            if "_aws" in line and name in line:
                values = line[name] if isinstance(line[name], list) else [line[name]]
                total += sum(values)
        return total

    def text(self) -> str:
        return self._path.read_bytes()[self._start :].decode(errors="replace")

    def wait(self, until: Callable[[Log], bool], timeout: float = 30.0) -> None:
        """Until the server has written what the request made it write (stdout is line-buffered)."""
        deadline = time.monotonic() + timeout
        while not until(self) and time.monotonic() < deadline:
            time.sleep(0.05)


def only_event(log: Log, event: SecurityEvent) -> dict[str, Any]:
    log.wait(lambda seen: bool(seen.events()) and seen.metric(event.metric) >= 1)
    [line] = log.events()
    assert log.metric(event.metric) == 1.0
    assert log.text().count(EMF_PREFIX) >= 1
    return line


def fields(line: dict[str, Any]) -> dict[str, Any]:
    """The event's own fields: the line less what Powertools adds to every line."""
    return {name: value for name, value in line.items() if name not in POWERTOOLS_KEYS}


def test_token_theft_is_one_warning_with_the_handle_and_user(
    events_api: Api, event_log: Path, unique_id: str
) -> None:
    created = events_api.call("POST", "/sessions", json={"userId": unique_id}).json()
    handle, refresh = created["session"]["handle"], created["refreshToken"]["token"]
    child = events_api.call("POST", "/sessions/refresh", json={"refreshToken": refresh})
    grandchild = events_api.call(
        "POST", "/sessions/refresh", json={"refreshToken": child.json()["refreshToken"]["token"]}
    )
    assert grandchild.status_code == 200, grandchild.text  # the child used: its parent is now an old token
    log = Log(event_log)

    replayed = events_api.call("POST", "/sessions/refresh", json={"refreshToken": refresh})

    assert replayed.json()["code"] == "TOKEN_THEFT_DETECTED"
    line = only_event(log, SecurityEvent.TOKEN_THEFT)
    assert (line["level"], line["message"]) == ("WARNING", "security event: token_theft")
    assert fields(line) == {"event": "token_theft", "sessionHandle": handle, "userId": unique_id}
    assert refresh not in log.text()
    assert child.json()["refreshToken"]["token"] not in log.text()


def test_an_invalid_signature_is_one_warning_without_the_token(
    events_api: Api, event_log: Path, unique_id: str
) -> None:
    token = events_api.call("POST", "/sessions", json={"userId": unique_id}).json()["accessToken"]["token"]
    _, payload, signature = token.split(".")
    forged = with_forged_signature(token)
    log = Log(event_log)

    refused = events_api.call("POST", "/sessions/verify", json={"accessToken": forged})

    assert refused.json()["code"] == "TOKEN_SIGNATURE_INVALID"
    line = only_event(log, SecurityEvent.TOKEN_SIGNATURE_INVALID)
    assert (line["level"], fields(line)) == ("WARNING", {"event": "token_signature_invalid"})
    assert signature[:20] not in log.text()
    assert payload not in log.text()


def test_an_invalid_api_key_is_one_warning_without_the_key(events_api: Api, event_log: Path) -> None:
    wrong = "not-the-key-" + "x" * 20
    log = Log(event_log)

    refused = events_api.call("GET", "/users/someone/metadata", key=wrong)

    assert (refused.status_code, refused.json()["code"]) == (401, "INVALID_API_KEY")
    line = only_event(log, SecurityEvent.INVALID_API_KEY)
    assert (line["level"], fields(line)) == ("WARNING", {"event": "invalid_api_key"})
    assert wrong not in log.text()
    assert API_KEY not in log.text()


def test_a_missing_api_key_is_no_security_event(events_api: Api, event_log: Path) -> None:
    log = Log(event_log)
    refused = events_api.call("GET", "/users/someone/metadata", key=None)
    assert refused.json()["code"] == "MISSING_API_KEY"
    log.wait(lambda seen: EMF_PREFIX in seen.text() or "request rejected" in seen.text(), timeout=5)
    assert log.events() == []


def test_revoking_all_of_a_users_sessions_is_one_warning_with_the_user_and_count(
    events_api: Api, event_log: Path, unique_id: str
) -> None:
    tokens = [events_api.call("POST", "/sessions", json={"userId": unique_id}).json() for _ in range(2)]
    log = Log(event_log)

    revoked = events_api.call("DELETE", f"/users/{unique_id}/sessions")

    assert len(revoked.json()["revokedSessionHandles"]) == 2
    line = only_event(log, SecurityEvent.USER_SESSIONS_REVOKED)
    assert (line["level"], fields(line)) == (
        "WARNING",
        {"event": "user_sessions_revoked", "userId": unique_id, "revoked": 2},  # no tenantId: every tenant
    )
    for created in tokens:
        assert created["accessToken"]["token"] not in log.text()
        assert created["refreshToken"]["token"] not in log.text()
