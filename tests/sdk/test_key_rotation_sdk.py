"""An emergency key rotation as an unmodified supertokens-python app lives it (FastAPI, cookies): the SDK
holds a JWKS cached before the rotation; afterwards a route that checks the database gets "try refresh
token" (authstate's verify refuses the retired key), the SDK's refresh route gets a token under the new
key, and the SDK, not knowing that key, fetches the JWKS again and accepts it.

What the SDK's own cache means (design note §5): until its JWKS cache expires (``jwks_refresh_interval_sec``,
4 hours by default), a route that verifies offline still accepts a token of the retired key; this test
asserts that too, so the documented bound stays true.

Its own authstate server (``SigningKeyCacheSeconds=1``) and DynamoDB: a rotation retires every key. The
cache's bound passes by moving the server's clock (``serve --test-clock``) for the one call that must see
the retired key refused, then back (the SDK's PyJWT refuses a token issued in its future); the CDI runs in
one execution environment (``--max-environments 1``), so the environment that read the new keys then is
the one that refreshes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.sdk.browser import Browser
from tests.sdk.conftest import API_KEY, _serve_app
from tests.sdk.recorder import CoreRecorder, recording
from tools.localrun.process import local_server, set_clock

pytestmark = pytest.mark.sdk

CACHE_SECONDS = 1


@pytest.fixture(scope="module")
def authstate_url(rotation_dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("sdk-rotation") / "server.log"
    overrides = {"SigningKeyCacheSeconds": str(CACHE_SECONDS), "RefreshReuseWindowSeconds": "0"}
    with local_server(
        rotation_dynamodb_endpoint,
        API_KEY,
        log,
        extra_args=["--test-clock", "--max-environments", "1"],
        parameter_overrides=overrides,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def rotation_core(authstate_url: str) -> Iterator[CoreRecorder]:
    with recording(authstate_url + "/cdi") as recorder:
        yield recorder


@pytest.fixture(scope="module")
def app_url(rotation_core: CoreRecorder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log: Path = tmp_path_factory.mktemp("sdk-rotation-app") / "app.log"
    yield from _serve_app("tests.sdk.apps.fastapi_app", rotation_core, log, "NONE")


def kid(token: str) -> str:
    header = token.split(".")[0]
    value: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return value


def rotate(authstate_url: str) -> str:
    client = boto3.client(
        "lambda",
        endpoint_url=authstate_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    answer = json.loads(
        client.invoke(FunctionName="RotateSigningKeysFunction", Payload=b"{}")["Payload"].read()
    )
    assert answer["status"] == "OK", answer
    new_kid: str = answer["kid"]
    return new_kid


def test_an_sdk_with_a_cached_jwks_recovers_from_an_emergency_rotation_by_refreshing(
    app_url: str, authstate_url: str, rotation_core: CoreRecorder, unique_id: str
) -> None:
    with Browser(app_url) as browser:
        browser.login(unique_id)
        old_token = browser.access_token or ""
        for route in ("/me", "/me-db"):  # the SDK fetches the JWKS and caches it
            assert browser.get(route).status_code == 200
        old_kid = kid(old_token)

        new_kid = rotate(authstate_url)
        mark = rotation_core.mark()

        set_clock(authstate_url, CACHE_SECONDS + 1)  # the documented bound has passed
        try:
            refused = browser.get("/me-db")  # the core verifies: the retired key is refused
        finally:
            set_clock(authstate_url, 0)
        assert (refused.status_code, refused.json()) == (401, {"message": "try refresh token"})
        verify = rotation_core.calls("POST", "/recipe/session/verify", mark)
        assert [call.response["status"] for call in verify] == ["TRY_REFRESH_TOKEN"]
        # Offline, the SDK trusts its JWKS cache (4 h by default): the documented window.
        assert browser.get("/me").status_code == 200

        refreshed = browser.refresh()
        assert refreshed.status_code == 200, refreshed.text
        assert kid(browser.access_token or "") == new_kid != old_kid
        for route in ("/me", "/me-db"):
            answered = browser.get(route)
            assert answered.status_code == 200, answered.text
            assert answered.json()["userId"] == unique_id
        fetched = rotation_core.calls("GET", "/.well-known/jwks.json", mark)
        assert len(fetched) == 1  # the SDK did not know the new kid: it fetched the JWKS once more
        listed = [key["kid"] for key in fetched[0].response["keys"]]
        assert new_kid in listed
        assert old_kid not in listed
