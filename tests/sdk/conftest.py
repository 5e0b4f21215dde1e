"""The unmodified SuperTokens backend SDKs against authstate's CDI facade (``<server>/cdi``).

One authstate local server for the whole package (DynamoDB Local from the session fixture), a recording
proxy in front of its ``/cdi`` (``core``), and the apps as real servers on free loopback ports: FastAPI
under uvicorn, Flask under werkzeug (each its own process, since ``supertokens_python.init`` is global),
and the Node SDK's Express app inside the ``node --test`` run.

``AUTHSTATE_SDK_CORE=http://127.0.0.1:PORT[/base]`` points everything at another core instead (a
SuperTokens core, or a fake one) and starts no authstate server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sdk.recorder import CoreRecorder, recording
from tools.localrun.dynamodb import free_port
from tools.localrun.process import local_server, serving

API_KEY = "sdk-test-key"
CORE_OVERRIDE = "AUTHSTATE_SDK_CORE"


@pytest.fixture(scope="session")
def cdi_upstream(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The core the SDKs talk to: authstate's local server's ``/cdi``, or ``$AUTHSTATE_SDK_CORE``."""
    override = os.environ.get(CORE_OVERRIDE)
    if override:
        yield override.rstrip("/")
        return
    dynamodb_endpoint: str = request.getfixturevalue("dynamodb_endpoint")
    log = tmp_path_factory.mktemp("sdk-server") / "server.log"
    # The template's defaults: the native API's reuse window (10 s) and the CDI's (0 s, the core's: a
    # replayed refresh token is theft at once), so the SDK tests show the CDI's own setting applies.
    with local_server(dynamodb_endpoint, API_KEY, log) as url:
        yield url + "/cdi"


@pytest.fixture(scope="session")
def authstate_url(cdi_upstream: str) -> str:
    """authstate's own API beside its CDI (tests that compare the two skip against another core)."""
    if os.environ.get(CORE_OVERRIDE):
        pytest.skip(f"{CORE_OVERRIDE} is set: no authstate native API to compare with")
    return cdi_upstream.removesuffix("/cdi")


@pytest.fixture(scope="session")
def core(cdi_upstream: str) -> Iterator[CoreRecorder]:
    """The recording proxy in front of the core; ``core.url`` is the SDKs' ``connection_uri``.

    Fails every test at once, saying why, when the core does not answer the SDKs' first call."""
    try:
        answer = httpx.get(cdi_upstream + "/apiversion", headers={"api-key": API_KEY}, timeout=30)
        ok = answer.status_code == 200 and "5.4" in answer.json().get("versions", [])
        found = f"{answer.status_code} {answer.text[:300]!r}"
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        ok, found = False, repr(error)
    if not ok:
        pytest.fail(
            f"the core at {cdi_upstream} does not serve CDI 5.4: GET /apiversion answered {found} "
            f"(no CDI facade yet? {CORE_OVERRIDE}=http://HOST:PORT[/base] runs these tests against another"
            " core)"
        )
    with recording(cdi_upstream) as recorder:
        yield recorder


def _serve_app(module: str, core: CoreRecorder, log: Path, anti_csrf: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "AUTHSTATE_SDK_CONNECTION_URI": core.url,
        "AUTHSTATE_SDK_API_KEY": API_KEY,
        "AUTHSTATE_SDK_ANTI_CSRF": anti_csrf,
        "SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP": "1",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", module, str(port)]
    with serving(command, f"http://127.0.0.1:{port}", log, ready_path="/health", env=env) as url:
        yield url


@pytest.fixture(scope="session")
def fastapi_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fastapi-app") / "app.log"


@pytest.fixture(scope="session")
def fastapi_url(core: CoreRecorder, fastapi_log: Path) -> Iterator[str]:
    """The FastAPI app (anti-CSRF ``VIA_TOKEN``: the ``anti-csrf`` header on top of the cookies)."""
    yield from _serve_app("tests.sdk.apps.fastapi_app", core, fastapi_log, "VIA_TOKEN")


@pytest.fixture(scope="session")
def flask_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flask-app") / "app.log"


@pytest.fixture(scope="session")
def flask_url(core: CoreRecorder, flask_log: Path) -> Iterator[str]:
    """The Flask app (anti-CSRF ``NONE``, the SDK's default for same-site apps: the core gets
    ``enableAntiCsrf: false``)."""
    yield from _serve_app("tests.sdk.apps.flask_app", core, flask_log, "NONE")
