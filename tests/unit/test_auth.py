"""API-key authentication: header forms, constant-time match, key sources (moto for AWS secrets)."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from authstate.config import Settings
from authstate.edge import auth
from authstate.errors import AuthstateError
from tests.settings import settings_with

LOCAL = settings_with(AUTHSTATE_API_KEYS="key-one, key-two,ключ")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"api-key": "k"}, "k"),
        ({"x-api-key": "k"}, "k"),
        ({"authorization": "Bearer k"}, "k"),
        ({"authorization": "bearer   k "}, "k"),
        ({"authorization": "Basic k"}, None),
        ({"authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_presented_api_key(headers: dict[str, str], expected: str | None) -> None:
    assert auth.presented_api_key(headers) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"api-key": "key-one"},
        {"x-api-key": "key-two"},
        {"authorization": "Bearer key-two"},
        {"api-key": "ключ"},
    ],
)
def test_configured_keys_are_accepted(headers: dict[str, str]) -> None:
    auth.require_api_key(headers, LOCAL)


@pytest.mark.parametrize(
    ("headers", "code", "message"),
    [
        (
            {},
            "MISSING_API_KEY",
            "an API key is required: send the API key as `api-key: <key>`, "
            "`x-api-key: <key>` or `Authorization: Bearer <key>`",
        ),
        ({"api-key": "key-three"}, "INVALID_API_KEY", "the API key is not valid"),
        ({"api-key": "key-on"}, "INVALID_API_KEY", "the API key is not valid"),
        ({"api-key": "ключи😀"}, "INVALID_API_KEY", "the API key is not valid"),
        (
            {"authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"},
            "INVALID_API_KEY",
            "the API key is not valid, and this looks like an access token: the Authorization header carries "
            "the API key; send the access token in the JSON body as `accessToken`",
        ),
    ],
)
def test_missing_or_wrong_key_is_401_with_a_message_that_says_what_to_do(
    headers: dict[str, str], code: str, message: str
) -> None:
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key(headers, LOCAL)
    assert (caught.value.status, caught.value.code, caught.value.message) == (401, code, message)


def test_no_configured_key_refuses_everything() -> None:
    nothing = settings_with()
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": ""}, nothing)
    assert caught.value.code == "MISSING_API_KEY"
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "anything"}, nothing)
    assert caught.value.code == "INVALID_API_KEY"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with mock_aws():
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # type: ignore[no-untyped-call]
        yield
        parameters.clear_caches()  # type: ignore[no-untyped-call]


@pytest.mark.usefixtures("aws")
def test_keys_from_secrets_manager() -> None:
    client = boto3.client("secretsmanager", config=Config(retries={"total_max_attempts": 1}))
    arn = client.create_secret(Name="authstate-api-key", SecretString="old-key,new-key")["ARN"]
    from_secret = settings_with(API_KEY_SECRET_ID=arn)
    auth.require_api_key({"api-key": "new-key"}, from_secret)
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "other"}, from_secret)
    assert caught.value.code == "INVALID_API_KEY"


@pytest.mark.usefixtures("aws")
def test_keys_from_ssm_parameter() -> None:
    client = boto3.client("ssm", config=Config(retries={"total_max_attempts": 1}))
    client.put_parameter(Name="/authstate/api-key", Value="ssm-key", Type="SecureString")
    auth.require_api_key(
        {"authorization": "Bearer ssm-key"}, settings_with(API_KEY_PARAMETER_NAME="/authstate/api-key")
    )


@pytest.mark.usefixtures("aws")
def test_unreadable_secret_is_503_not_500() -> None:
    missing = settings_with(API_KEY_SECRET_ID="arn:aws:secretsmanager:us-east-1:123456789012:secret:missing")
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "anything"}, missing)
    assert (caught.value.status, caught.value.code) == (503, "API_KEYS_UNAVAILABLE")


def test_settings_never_print_the_api_keys() -> None:
    assert "key-one" not in repr(LOCAL)
    assert "key-one" not in str(LOCAL.model_dump())
    assert isinstance(LOCAL, Settings)
