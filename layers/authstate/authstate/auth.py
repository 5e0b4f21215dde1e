"""API-key authentication of the calling backend.

Keys come from ``AUTHSTATE_API_KEYS`` (comma-separated; the local runner sets it), else from the
Secrets Manager secret ``API_KEY_SECRET_ID`` or the SSM SecureString ``API_KEY_PARAMETER_NAME``
(Powertools Parameters, cached for five minutes). The secret may hold several comma-separated keys
so that a key can be rotated without downtime. No key configured means every request is refused.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from authstate.errors import AuthstateError, Unauthorized

CACHE_SECONDS = 300


def configured_api_keys() -> list[str]:
    raw = os.environ.get("AUTHSTATE_API_KEYS")
    if raw is None:
        raw = _fetch_from_aws()
    return [key.strip() for key in raw.split(",") if key.strip()]


def _fetch_from_aws() -> str:
    secret_id = os.environ.get("API_KEY_SECRET_ID")
    parameter_name = os.environ.get("API_KEY_PARAMETER_NAME")
    if secret_id:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(secret_id, max_age=CACHE_SECONDS))
    if parameter_name:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(parameter_name, decrypt=True, max_age=CACHE_SECONDS))
    return ""


def presented_api_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``api-key: <key>`` or ``Authorization: Bearer <key>`` (header names are lower-case)."""
    key = headers.get("api-key")
    if key:
        return key
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def require_api_key(headers: Mapping[str, str]) -> None:
    presented = presented_api_key(headers)
    if presented is None:
        raise Unauthorized(
            "an API key is required (api-key header or Authorization: Bearer)", code="MISSING_API_KEY"
        )
    try:
        keys = configured_api_keys()
    except Exception as error:
        raise AuthstateError(
            "API keys could not be loaded", code="API_KEYS_UNAVAILABLE", status=503
        ) from error
    # Compare against every key, whatever matched, so timing says nothing about which one did.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    if not matched:
        raise Unauthorized("the API key is not valid", code="INVALID_API_KEY")
