"""The API and the rotation function, as the CLI calls them: each failure becomes one :class:`Failure`
that says what went wrong and what to do (no stack trace, never a token or key)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from tools.admin.config import Config, ConfigError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

TIMEOUT_SECONDS = 30


class Failure(Exception):
    """The API or AWS refused or failed: ``code`` is the API's error code when it gave one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def segment(value: str) -> str:
    """A path parameter, percent-encoded (user ids may hold any printable character)."""
    return quote(value, safe="")


class Api:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.base = config.url.rstrip("/")
        self._session = requests.Session()
        self._key: str | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """The JSON answer of a 2xx, or :class:`Failure` naming the API's code and message."""
        headers = {}
        if authenticated:
            if self._key is None:
                self._key = self.config.key()
            headers["api-key"] = self._key
        url = self.base + path
        try:
            response = self._session.request(
                method, url, json=body, params=query, headers=headers, timeout=TIMEOUT_SECONDS
            )
        except requests.ConnectionError:
            raise Failure(
                f"cannot reach {self.base}: is the API running there? (make run serves it locally)"
            ) from None
        except requests.Timeout:
            raise Failure(f"{self.base} did not answer within {TIMEOUT_SECONDS} s") from None
        except requests.RequestException as error:
            raise Failure(f"{method} {path}: {type(error).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            raise Failure(
                f"{method} {path}: HTTP {response.status_code}, not JSON: is {self.base} authstate?"
            ) from None
        if response.ok:
            return answer
        if isinstance(answer, dict) and "code" in answer:
            raise Failure(f"{answer['code']}: {answer.get('message', '')}", code=str(answer["code"]))
        raise Failure(f"{method} {path}: HTTP {response.status_code} {json.dumps(answer)[:200]}")

    def close(self) -> None:
        self._session.close()


def lambda_client(config: Config) -> LambdaClient:
    """AWS Lambda in the profile's region, or the local runner's Lambda Invoke API (``lambda_endpoint``)."""
    import boto3

    if config.lambda_endpoint:  # local: the runner checks no signature, any credentials will do
        return boto3.client(
            "lambda",
            endpoint_url=config.lambda_endpoint,
            region_name=config.region or "us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - not a secret: the local runner's
        )
    return boto3.client("lambda", region_name=config.region)


def invoke(config: Config, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Invoke the rotation function (IAM: ``lambda:InvokeFunction``); its JSON answer."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if not config.rotation_function:
        raise ConfigError(
            f"no rotation function ({config.source}): set AUTHSTATE_ROTATION_FUNCTION or rotation_function"
            " (the stack's output RotateSigningKeysFunctionName)"
        )
    try:
        response = lambda_client(config).invoke(
            FunctionName=config.rotation_function,
            InvocationType="RequestResponse",
            Payload=json.dumps(dict(payload)).encode(),
        )
    except NoCredentialsError:
        raise Failure(
            "no AWS credentials: the rotation is invoked with IAM (aws configure, or AWS_PROFILE)"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        raise Failure(f"invoking {config.rotation_function}: {code}: {message}") from None
    except BotoCoreError as error:
        raise Failure(f"invoking {config.rotation_function}: {error}") from None
    answer = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise Failure(f"the rotation function failed: {answer.get('errorMessage', answer)}")
    if not isinstance(answer, dict):
        raise Failure(f"the rotation function answered {answer!r}")
    if answer.get("status") != "OK":
        raise Failure(f"{answer.get('code')}: {answer.get('message')}", code=str(answer.get("code")))
    return answer
