"""``python -m tools.localrun serve`` as a child process: for end-to-end tests, fault tests and load runs."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tools.localrun.dynamodb import free_port
from tools.localrun.server import CLOCK_PATH
from tools.localrun.template import ROOT


@contextlib.contextmanager
def local_server(
    dynamodb_endpoint: str,
    api_key: str,
    log_path: Path,
    *,
    extra_args: Sequence[str] = (),
    parameter_overrides: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Serve the template on a free loopback port against ``dynamodb_endpoint``; yields the base URL.

    Everything the server and its functions print goes to ``log_path``; ``parameter_overrides`` replace
    template parameters' defaults. The server is stopped (SIGTERM, then SIGKILL) however the block ends."""
    port = free_port()
    command = [
        sys.executable, "-m", "tools.localrun", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--quiet", "--dynamodb-endpoint", dynamodb_endpoint, "--api-key", api_key, *extra_args,
    ]  # fmt: skip
    if parameter_overrides:
        command += [
            "--parameter-overrides",
            *(f"{name}={value}" for name, value in parameter_overrides.items()),
        ]
    with serving(command, f"http://127.0.0.1:{port}", log_path, timeout=timeout) as url:
        yield url


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    url: str,
    log_path: Path,
    *,
    ready_path: str = "/",
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run ``command`` (an HTTP server on ``url``) from the project root until the block ends; yields
    ``url`` once ``url + ready_path`` gives any HTTP answer. Its output goes to ``log_path``, whose end
    is in the error if it exits or does not answer within ``timeout`` seconds. Stopped with SIGTERM,
    then SIGKILL, however the block ends."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own servers, from their fixed argv
            list(command),
            cwd=ROOT,
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(url + ready_path, process, log_path, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - our own loopback URL
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer (e.g. a 404 for "/") means it is serving
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"{url} did not start serving:\n{output}") from None
            time.sleep(0.1)


def set_clock(url: str, offset_seconds: float) -> None:
    """Set the clock of a server started with ``--test-clock`` ``offset_seconds`` ahead of the wall
    clock (0: back to it): every function sees it from its next invocation on."""
    request = urllib.request.Request(  # noqa: S310 - our own loopback URL
        url + CLOCK_PATH,
        data=json.dumps({"offsetSeconds": offset_seconds}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answered = json.loads(response.read())
    if answered != {"offsetSeconds": float(offset_seconds)}:
        raise RuntimeError(f"{url} did not move its clock: {answered}")
