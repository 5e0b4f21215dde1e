"""The local server as a subprocess (`python -m localrun serve`), reached over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from localrun.dynamodb import free_port
from localrun.template import ROOT

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


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything the local server printed (its functions' logs included)."""
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="session")
def server_url(dynamodb_endpoint: str, server_log: Path) -> Iterator[str]:
    port = free_port()
    log = server_log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "localrun",
            "serve",
            "--port",
            str(port),
            "--quiet",
            "--dynamodb-endpoint",
            dynamodb_endpoint,
            "--api-key",
            API_KEY,
            # The most talkative level, so that the log-hygiene test sees everything that could leak.
            "--log-level",
            "DEBUG",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = server_log.read_text(errors="replace")
                raise RuntimeError(f"local server did not start:\n{output}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def api(server_url: str) -> Iterator[Api]:
    with requests.Session() as session:
        yield Api(server_url, session)
