"""The local server as a subprocess (`python -m localrun serve`), reached over real HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from localrun.process import local_server

API_KEY = "e2e-test-key"


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
    # server in test_refresh_reuse_window.py).
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
