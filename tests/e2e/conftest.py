"""The local server as a subprocess (`python -m tools.localrun serve`), reached over real HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tools.localrun.process import local_server, set_clock

API_KEY = "e2e-test-key"
#: The reuse window of the server with a clock the tests move: long, so that no cold start on a loaded
#: machine outlasts it; a test that needs it over moves the clock past it.
CLOCKED_REUSE_WINDOW_SECONDS = 60


@dataclass
class Api:
    base_url: str
    session: requests.Session

    def call(self, method: str, path: str, *, key: str | None = API_KEY, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers.setdefault("api-key", key)
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)


def with_forged_signature(token: str) -> str:
    """The token with one character in the middle of its signature changed: still a well-formed JWT of
    the same length, naming a known key, with a signature that key did not make."""
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    changed = "B" if signature[middle] == "A" else "A"
    return f"{header}.{payload}.{signature[:middle]}{changed}{signature[middle + 1 :]}"


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything the local server printed (its functions' logs included)."""
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="session")
def server_url(dynamodb_endpoint: str, server_log: Path) -> Iterator[str]:
    # The most talkative log level, so that the log-hygiene test sees everything that could leak.
    # No reuse window: a refresh token reused after rotation is theft at once (the window has its own
    # server: clocked_server_url).
    with local_server(
        dynamodb_endpoint,
        API_KEY,
        server_log,
        extra_args=["--log-level", "DEBUG"],
        parameter_overrides={"RefreshReuseWindowSeconds": "0"},
    ) as url:
        yield url


@contextlib.contextmanager
def api_at(url: str) -> Iterator[Api]:
    """An API client of the server at ``url`` (one keep-alive session)."""
    with requests.Session() as session:
        yield Api(url, session)


@pytest.fixture
def api(server_url: str) -> Iterator[Api]:
    with api_at(server_url) as client:
        yield client


@pytest.fixture(scope="session")
def clocked_server_url(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own whose clock the tests move (``serve --test-clock``), with a reuse window of
    ``CLOCKED_REUSE_WINDOW_SECONDS``: a rule's time passes at once, without waiting for it."""
    log = tmp_path_factory.mktemp("clocked-server") / "server.log"
    overrides = {"RefreshReuseWindowSeconds": str(CLOCKED_REUSE_WINDOW_SECONDS)}
    with local_server(
        dynamodb_endpoint, API_KEY, log, extra_args=["--test-clock"], parameter_overrides=overrides
    ) as url:
        yield url


@contextlib.contextmanager
def clocked_api_at(url: str) -> Iterator[Api]:
    """The API of a ``--test-clock`` server; its clock back on the wall clock after, however it ends."""
    with api_at(url) as client:
        try:
            yield client
        finally:
            set_clock(url, 0)


@pytest.fixture
def clocked_api(clocked_server_url: str) -> Iterator[Api]:
    """The clocked server's API, its clock reset after the test."""
    with clocked_api_at(clocked_server_url) as client:
        yield client
