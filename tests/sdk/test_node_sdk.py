"""supertokens-node 24.0.3, unmodified (Express and the awsLambda wrappers): ``node --test`` on
tests/sdk/node/sdk.test.js (installed by ``npm ci`` in ``tools/scripts/setup.sh --tests``, which ``make test``
runs), against the same core through the recording proxy; then what the core answered Node over the run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest

from tests.sdk.conftest import API_KEY
from tests.sdk.recorder import CoreRecorder
from tests.sdk.request_table import outside, unanswered, without_cdi_headers

pytestmark = pytest.mark.sdk

NODE_DIR = Path(__file__).parent / "node"
TEST_FILE = NODE_DIR / "sdk.test.js"


def test_node_sdk_express_and_aws_lambda(core: CoreRecorder):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the supertokens-node test (tests/sdk/node) needs Node 20+")
    if not (NODE_DIR / "node_modules" / "supertokens-node").is_dir():
        pytest.fail(
            "tests/sdk/node/node_modules is missing: run `make test`, or tools/scripts/setup.sh --tests"
            " (npm ci in tests/sdk/node)"
        )
    env = {**os.environ, "AUTHSTATE_SDK_CONNECTION_URI": core.url, "AUTHSTATE_SDK_API_KEY": API_KEY}
    mark = core.mark()
    run = subprocess.run(  # noqa: S603 - node on our own test file
        [node, "--test", "--test-reporter=spec", TEST_FILE.name],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    expected = len(re.findall(r"^test\(", TEST_FILE.read_text(), flags=re.MULTILINE))
    assert re.search(rf"pass {expected}\b", output), output[-3000:]
    assert re.search(r"fail 0\b", output), output[-3000:]

    exchanges = core.since(mark)
    # every answer is HTTP 200 but the one refusal of a protected claim
    assert [(e.method, e.path, e.status) for e in exchanges if e.status != 200] == [
        ("PUT", "/recipe/jwt/data", 400)
    ]
    seen = {(e.method, e.path, e.result) for e in exchanges}
    assert {
        ("GET", "/user/id", "UNKNOWN_USER_ID_ERROR"),
        ("POST", "/public/recipe/session", "OK"),
        ("POST", "/tenant1/recipe/session", "OK"),
        ("POST", "/recipe/session/verify", "OK"),
        ("POST", "/recipe/session/verify", "UNAUTHORISED"),
        ("POST", "/recipe/session/refresh", "OK"),
        ("POST", "/recipe/session/refresh", "UNAUTHORISED"),
        ("POST", "/recipe/session/refresh", "TOKEN_THEFT_DETECTED"),
        ("POST", "/recipe/session/regenerate", "OK"),
        ("GET", "/recipe/session", "OK"),
        ("GET", "/recipe/session", "UNAUTHORISED"),
        ("PUT", "/recipe/session/data", "OK"),
        ("PUT", "/recipe/session/data", "UNAUTHORISED"),
        ("PUT", "/recipe/jwt/data", "OK"),
        ("GET", "/recipe/session/user", "OK"),
        ("GET", "/public/recipe/session/user", "OK"),
        ("GET", "/tenant1/recipe/session/user", "OK"),
        ("POST", "/recipe/session/remove", "OK"),
        ("POST", "/tenant1/recipe/session/remove", "OK"),
        ("GET", "/recipe/user/metadata", "OK"),
        ("PUT", "/recipe/user/metadata", "OK"),
        ("POST", "/recipe/user/metadata/remove", "OK"),
    } <= seen
    theft = [e for e in exchanges if e.result == "TOKEN_THEFT_DETECTED"]
    assert len(theft) == 1
    assert set(theft[0].response["session"]) == {"handle", "userId", "recipeUserId"}

    # docs/cdi-requests.md: every row sent by Node and answered 200, nothing else, the CDI's headers
    assert unanswered(exchanges) == []
    assert outside(exchanges) == []
    assert without_cdi_headers(exchanges) == []

    # a JWT createJWT made verifies with PyJWT against the core's JWKS
    created = [e for e in exchanges if (e.method, e.path) == ("POST", "/recipe/jwt")]
    assert created
    for exchange in created:
        token = exchange.response["jwt"]
        key = jwt.PyJWKClient(f"{core.url}/.well-known/jwks.json").get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_iss": False})
        assert claims["exp"] - claims["iat"] == exchange.body["validity"]
