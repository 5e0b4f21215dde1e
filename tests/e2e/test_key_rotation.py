"""Emergency key rotation end to end, over HTTP: the rotation function invoked as an operator invokes it
(boto3's ``lambda.invoke``, here against the local runner's Lambda Invoke API; the CLI's ``keys rotate``),
then a token signed before it is refused, the JWKS no longer lists the retired keys, and a refresh
(the refresh token's MAC key is separate) gets a token under the new key.

The server keeps signing keys for ``SigningKeyCacheSeconds=1``, the bound within which every warm function
stops accepting a retired key, and has a DynamoDB of its own: a rotation retires every key of the table.
The bound passes by moving the server's clock past it (``serve --test-clock``), not by waiting."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from authstate.security import SecurityEvent
from tests.e2e.conftest import API_KEY, Api, clocked_api_at
from tests.e2e.test_admin_cli import admin
from tests.e2e.test_security_events import Log, fields
from tools.localrun.process import local_server, set_clock

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

CACHE_SECONDS = 1


@pytest.fixture(scope="module")
def rotation_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rotation") / "server.log"


@pytest.fixture(scope="module")
def rotation_url(rotation_dynamodb_endpoint: str, rotation_log: Path) -> Iterator[str]:
    overrides = {"SigningKeyCacheSeconds": str(CACHE_SECONDS)}
    with local_server(
        rotation_dynamodb_endpoint,
        API_KEY,
        rotation_log,
        extra_args=["--metrics", "--test-clock"],
        parameter_overrides=overrides,
    ) as url:
        yield url


@pytest.fixture
def rotation_api(rotation_url: str) -> Iterator[Api]:
    """The rotation server's API; its clock back on the wall clock after the test."""
    with clocked_api_at(rotation_url) as client:
        yield client


def after_the_cache_bound(url: str) -> None:
    """The documented bound has passed: every warm function reads the keys again on its next call."""
    set_clock(url, CACHE_SECONDS + 1)


def lambda_client(url: str) -> LambdaClient:
    return boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def rotate(url: str, event: dict[str, Any]) -> dict[str, Any]:
    response = lambda_client(url).invoke(FunctionName="RotateSigningKeysFunction", Payload=json.dumps(event))
    assert "FunctionError" not in response
    answer: dict[str, Any] = json.loads(response["Payload"].read())
    return answer


def kids(api: Api) -> list[str]:
    return [key["kid"] for key in api.call("GET", "/.well-known/jwks.json", key=None).json()["keys"]]


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def test_a_token_signed_before_the_rotation_is_refused_after_it_and_a_refresh_recovers(
    rotation_api: Api, rotation_url: str, rotation_log: Path, unique_id: str
) -> None:
    created = rotation_api.call("POST", "/sessions", json={"userId": unique_id}).json()
    old_token, refresh = created["accessToken"]["token"], created["refreshToken"]["token"]
    for check_database in (False, True):
        verified = rotation_api.call(
            "POST", "/sessions/verify", json={"accessToken": old_token, "checkDatabase": check_database}
        )
        assert verified.status_code == 200, verified.text
    before = kids(rotation_api)
    assert kid_of(old_token) in before

    log = Log(rotation_log)
    answer = rotate(rotation_url, {"reason": "INC-7 key leak"})

    assert {**answer, "kid": "?"} == {
        "status": "OK",
        "kid": "?",
        "retiredKids": sorted(before),
        "effectiveWithinSeconds": CACHE_SECONDS,
    }
    new_kid = answer["kid"]
    assert new_kid not in before
    after_the_cache_bound(rotation_url)

    for check_database in (False, True):
        refused = rotation_api.call(
            "POST", "/sessions/verify", json={"accessToken": old_token, "checkDatabase": check_database}
        )
        assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_KEY_UNKNOWN")
    listed = kids(rotation_api)
    assert new_kid in listed
    assert not set(listed) & set(before)

    refreshed = rotation_api.call("POST", "/sessions/refresh", json={"refreshToken": refresh})
    assert refreshed.status_code == 200, refreshed.text
    new_token = refreshed.json()["accessToken"]["token"]
    assert kid_of(new_token) == new_kid
    verified = rotation_api.call(
        "POST", "/sessions/verify", json={"accessToken": new_token, "checkDatabase": True}
    )
    assert verified.status_code == 200, verified.text

    log.wait(lambda seen: seen.metric(SecurityEvent.SIGNING_KEYS_ROTATED.metric) >= 1)
    [line] = [event for event in log.events() if event["event"] == "signing_keys_rotated"]
    assert (line["level"], fields(line)) == (
        "WARNING",
        {
            "event": "signing_keys_rotated",
            "kid": new_kid,
            "retiredKids": sorted(before),
            "reason": "INC-7 key leak",
        },
    )
    assert log.metric(SecurityEvent.SIGNING_KEYS_ROTATED.metric) == 1.0
    assert "PRIVATE KEY" not in rotation_log.read_text()


def test_a_bad_rotation_event_rotates_nothing(rotation_api: Api, rotation_url: str) -> None:
    before = kids(rotation_api)
    answer = rotate(rotation_url, {"reason": 7})
    assert answer == {
        "status": "ERROR",
        "code": "VALIDATION_ERROR",
        "message": "reason: Input should be a valid string",
    }
    assert rotate(rotation_url, {"why": "x"})["code"] == "VALIDATION_ERROR"
    assert kids(rotation_api) == before


def test_only_functions_without_an_api_route_are_invocable_directly(rotation_url: str) -> None:
    """As in AWS, where the API's functions are reached through the API (the runner serves nothing else)."""
    with pytest.raises(lambda_client(rotation_url).exceptions.ResourceNotFoundException):
        lambda_client(rotation_url).invoke(FunctionName="VerifySessionFunction", Payload=b"{}")


def test_the_admin_cli_rotates_and_then_names_the_retired_key(
    rotation_api: Api, rotation_url: str, unique_id: str
) -> None:
    old_token = rotation_api.call("POST", "/sessions", json={"userId": unique_id}).json()["accessToken"][
        "token"
    ]
    lambda_settings = {
        "AUTHSTATE_ROTATION_FUNCTION": "RotateSigningKeysFunction",
        "AUTHSTATE_LAMBDA_ENDPOINT": rotation_url,
    }

    unconfirmed = admin(rotation_url, "keys", "rotate", extra=lambda_settings)
    assert (unconfirmed.returncode, unconfirmed.stderr) == (
        2,
        "authstate-admin keys rotate: error: keys rotate retires every signing key: pass --yes to confirm\n",
    )
    unconfigured = admin(rotation_url, "keys", "rotate", "--yes")
    assert unconfigured.returncode == 2
    assert "no rotation function" in unconfigured.stderr
    assert kid_of(old_token) in kids(rotation_api)

    result = admin(
        rotation_url, "keys", "rotate", "--yes", "--reason", "drill", "--json", extra=lambda_settings
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["status"], answer["retiredKids"]) == ("OK", [kid_of(old_token)])
    after_the_cache_bound(rotation_url)
    inspected = admin(rotation_url, "token", "inspect", "--json", stdin=old_token)
    assert inspected.returncode == 1
    report = json.loads(inspected.stdout)
    assert (report["kid"], report["keyInJwks"], report["error"]["code"]) == (
        kid_of(old_token),
        False,
        "TOKEN_KEY_UNKNOWN",
    )
    text = admin(rotation_url, "keys", "rotate", "--yes", extra=lambda_settings)
    assert text.stdout.startswith("new signing key d-")
    assert f"within {CACHE_SECONDS} s" in text.stdout
