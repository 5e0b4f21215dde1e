"""The example app (examples/app) in a real headless Chromium, driven by Playwright.

``make test-browser`` runs these (``pytest -m browser tests/browser``) after tools/scripts/setup-browser.sh
has installed the example's packages, supertokens-web-js and Debian's chromium. Any other pytest run
(``make test``) skips this folder without importing Playwright.

One DynamoDB Local (tests/conftest.py), one authstate local server with 60 s access tokens (the
template's minimum; the CDI's refreshes have no reuse window by default), one example app whose
SuperTokens core is that server's /cdi, and one Chromium. Screenshots of every step, the pages'
console logs and both servers' logs go to tests/browser/output/ (or $BROWSER_TEST_OUTPUT).
"""

# mypy: disable-error-code="import-not-found"
# (Playwright is installed by tools/scripts/setup-browser.sh, not requirements-dev.txt: without it, `make
# typecheck` types it as Any rather than failing.)

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from tools.localrun.dynamodb import free_port
from tools.localrun.process import local_server, serving
from tools.localrun.template import ROOT

from .tabs import Steps

if TYPE_CHECKING:
    from playwright.sync_api import Browser

API_KEY = "browser-test-key"
ACCESS_TOKEN_TTL_SECONDS = 60  # the template's minimum (AccessTokenTtlSeconds)
# The template's CdiRefreshReuseWindowSeconds (0): a refresh token presented again after its child was
# used is theft at once (test_theft), as in SuperTokens' core; the SDK's cross-tab lock already keeps
# this browser's tabs from racing. (authstate's own API keeps its 10 s window, for racing clients.)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this kind of machine needs (no sandbox as root, no GPU, no network beyond loopback).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
EXAMPLE_APP = ROOT / "examples" / "app" / "app.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    path = Path(os.environ.get("BROWSER_TEST_OUTPUT", Path(__file__).parent / "output"))
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def authstate_url(dynamodb_endpoint: str, output_dir: Path) -> Iterator[str]:
    with local_server(
        dynamodb_endpoint,
        API_KEY,
        output_dir / "authstate.log",
        extra_args=["--test-clock"],  # the aged tabs sign in with tokens that expire soon (test_example_app)
        parameter_overrides={
            "AccessTokenTtlSeconds": str(ACCESS_TOKEN_TTL_SECONDS),
        },
    ) as url:
        yield url


@pytest.fixture(scope="session")
def example_url(authstate_url: str, output_dir: Path) -> Iterator[str]:
    """examples/app/app.py on a free loopback port, its core authstate's /cdi."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, str(EXAMPLE_APP), "--port", str(port), "--core", f"{authstate_url}/cdi",
        "--api-key", API_KEY, "--access-token-note", f"access tokens live {ACCESS_TOKEN_TTL_SECONDS} s",
    ]  # fmt: skip
    with serving(command, url, output_dir / "example-app.log", ready_path="/healthz") as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run tools/scripts/setup-browser.sh (as root it installs Debian's "
            "chromium and chromium-driver: apt-get install -y chromium chromium-driver), "
            "or set CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def steps(
    request: pytest.FixtureRequest, browser: Browser, example_url: str, output_dir: Path
) -> Iterator[Steps]:
    """Browser contexts (one per device), tabs, and a screenshot per step; on a failure the pages'
    console logs and the servers' last lines are printed."""
    recorder = Steps(browser, example_url, output_dir, request.node.name)
    try:
        yield recorder
    finally:
        recorder.close()


@pytest.fixture
def sessions_of(authstate_url: str) -> Iterator[Callable[[str], list[str]]]:
    """The user's live session handles, from authstate's own REST API: what no browser can fake."""
    with requests.Session() as http:
        http.headers["api-key"] = API_KEY

        def handles(user_id: str) -> list[str]:
            response = http.get(f"{authstate_url}/users/{user_id}/sessions", timeout=30)
            response.raise_for_status()
            return list(response.json()["sessionHandles"])

        yield handles
