"""``python -m localrun serve`` as a child process: for end-to-end tests, fault tests and load runs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from localrun.dynamodb import free_port
from localrun.template import ROOT


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
        sys.executable, "-m", "localrun", "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet",
        "--dynamodb-endpoint", dynamodb_endpoint, "--api-key", api_key, *extra_args,
    ]  # fmt: skip
    if parameter_overrides:
        command += [
            "--parameter-overrides",
            *(f"{name}={value}" for name, value in parameter_overrides.items()),
        ]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            _wait_until_serving(url, process, log_path, timeout)
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
            urllib.request.urlopen(url + "/", timeout=1).close()  # noqa: S310 - our own loopback URL
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer (the 404 for "/") means it is serving
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"the local server did not start:\n{output}") from None
            time.sleep(0.1)
