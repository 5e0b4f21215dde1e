"""Where the API is and how to reach it: flags, then the environment, then a profile of the profile file.

The profile file (``$AUTHSTATE_ADMIN_CONFIG``, default ``~/.config/authstate/admin.toml``) holds named
profiles (TOML tables); ``[default]`` is used unless ``--profile``/``AUTHSTATE_PROFILE`` names another.
The built-in profile ``local`` is ``make run`` on its default port. An API key is read from the profile
(``api_key``), or from a Secrets Manager secret (``api_key_secret_id``: what a deployed stack keeps it
in), or from ``AUTHSTATE_API_KEY``; it is never printed."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVIRONMENT = {
    "url": "AUTHSTATE_URL",
    "api_key": "AUTHSTATE_API_KEY",
    "api_key_secret_id": "AUTHSTATE_API_KEY_SECRET_ID",
    "rotation_function": "AUTHSTATE_ROTATION_FUNCTION",
    "lambda_endpoint": "AUTHSTATE_LAMBDA_ENDPOINT",
    "region": "AUTHSTATE_REGION",
}
KEYS = frozenset(ENVIRONMENT)
DEFAULT_FILE = Path("~/.config/authstate/admin.toml")
#: ``make run``: the local runner on its default port, its default key, the rotation function served
#: through its Lambda Invoke API (as ``sam local start-lambda`` would).
LOCAL = {
    "url": "http://127.0.0.1:3000",
    "api_key": "local-dev-key",
    "rotation_function": "RotateSigningKeysFunction",
    "lambda_endpoint": "http://127.0.0.1:3000",
    "region": "us-east-1",
}


class ConfigError(Exception):
    """The configuration is missing or wrong: said in one line, exit status 2."""


@dataclass(frozen=True)
class Config:
    url: str
    api_key: str | None = field(default=None, repr=False)
    api_key_secret_id: str | None = None
    rotation_function: str | None = None
    lambda_endpoint: str | None = None
    region: str | None = None
    #: where each setting came from, for error messages (never the values of secrets)
    source: str = ""

    def key(self) -> str:
        """The API key: given, or read from its secret (boto3, the usual AWS credentials)."""
        if self.api_key:
            return self.api_key
        if self.api_key_secret_id:
            return _secret(self.api_key_secret_id, self.region)
        raise ConfigError(
            f"no API key ({self.source}): set AUTHSTATE_API_KEY, or api_key or api_key_secret_id"
            " in the profile"
        )


def _secret(secret_id: str, region: str | None) -> str:
    """The first of the comma-separated keys a stack's ApiKeySecret holds."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)
    except (BotoCoreError, ClientError) as error:
        raise ConfigError(f"cannot read the API key from the secret {secret_id}: {error}") from None
    return str(value["SecretString"]).split(",")[0].strip()


def profile_file(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("AUTHSTATE_ADMIN_CONFIG") or DEFAULT_FILE).expanduser()


def _profiles(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the profile file {path}: {error}") from None


def load(*, profile: str | None, url: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Flags over the environment over the profile (``default`` unless named)."""
    environ = os.environ if environ is None else environ
    name = profile or environ.get("AUTHSTATE_PROFILE") or "default"
    path = profile_file(environ)
    profiles = _profiles(path)
    if name == "local" and "local" not in profiles:
        settings: dict[str, Any] = dict(LOCAL)
        where = "the built-in profile local (make run)"
    elif name in profiles:
        settings = dict(profiles[name])
        where = f"profile {name} of {path}"
    elif profile or environ.get("AUTHSTATE_PROFILE"):
        known = ", ".join(sorted({*profiles, "local"}))
        raise ConfigError(f"no profile {name!r} in {path} (known: {known})")
    else:
        settings, where = {}, "no profile"
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
    for key, variable in ENVIRONMENT.items():
        if environ.get(variable):
            settings[key] = environ[variable]
    if url:
        settings["url"] = url
    if not settings.get("url"):
        raise ConfigError(
            f"no API URL ({where}): pass --url, set AUTHSTATE_URL, add url to a profile in {path},"
            " or use --profile local for make run"
        )
    for key, value in settings.items():
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
    settings["url"] = settings["url"].rstrip("/")
    return Config(**settings, source=where)
