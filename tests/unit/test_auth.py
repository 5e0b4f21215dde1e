"""API-key authentication: header forms, constant-time match, key sources (moto for AWS secrets)."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from authstate import auth
from authstate.errors import AuthstateError


@pytest.fixture
def local_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHSTATE_API_KEYS", "key-one, key-two")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"api-key": "k"}, "k"),
        ({"authorization": "Bearer k"}, "k"),
        ({"authorization": "bearer   k "}, "k"),
        ({"authorization": "Basic k"}, None),
        ({"authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_presented_api_key(headers: dict[str, str], expected: str | None) -> None:
    assert auth.presented_api_key(headers) == expected


@pytest.mark.usefixtures("local_keys")
@pytest.mark.parametrize("headers", [{"api-key": "key-one"}, {"authorization": "Bearer key-two"}])
def test_configured_keys_are_accepted(headers: dict[str, str]) -> None:
    auth.require_api_key(headers)


@pytest.mark.usefixtures("local_keys")
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "MISSING_API_KEY"),
        ({"api-key": "key-three"}, "INVALID_API_KEY"),
        ({"api-key": "key-on"}, "INVALID_API_KEY"),
    ],
)
def test_missing_or_wrong_key_is_401(headers: dict[str, str], code: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key(headers)
    assert (caught.value.status, caught.value.code) == (401, code)
    assert "key-one" not in caught.value.message


def test_no_configured_key_refuses_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTHSTATE_API_KEYS", "API_KEY_SECRET_ID", "API_KEY_PARAMETER_NAME"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": ""})
    assert caught.value.code == "MISSING_API_KEY"
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "anything"})
    assert caught.value.code == "INVALID_API_KEY"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AUTHSTATE_API_KEYS", raising=False)
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
def test_keys_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("secretsmanager", config=Config(retries={"total_max_attempts": 1}))
    arn = client.create_secret(Name="authstate-api-key", SecretString="old-key,new-key")["ARN"]
    monkeypatch.setenv("API_KEY_SECRET_ID", arn)
    auth.require_api_key({"api-key": "new-key"})
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "other"})
    assert caught.value.code == "INVALID_API_KEY"


@pytest.mark.usefixtures("aws")
def test_keys_from_ssm_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("ssm", config=Config(retries={"total_max_attempts": 1}))
    client.put_parameter(Name="/authstate/api-key", Value="ssm-key", Type="SecureString")
    monkeypatch.delenv("API_KEY_SECRET_ID", raising=False)
    monkeypatch.setenv("API_KEY_PARAMETER_NAME", "/authstate/api-key")
    auth.require_api_key({"authorization": "Bearer ssm-key"})


@pytest.mark.usefixtures("aws")
def test_unreadable_secret_is_503_not_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY_SECRET_ID", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing")
    with pytest.raises(AuthstateError) as caught:
        auth.require_api_key({"api-key": "anything"})
    assert (caught.value.status, caught.value.code) == (503, "API_KEYS_UNAVAILABLE")
