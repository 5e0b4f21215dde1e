"""API-key authentication of the calling backend.

Keys come from the settings: ``AUTHSTATE_API_KEYS`` (comma-separated; the local runner sets it), else
the Secrets Manager secret ``API_KEY_SECRET_ID`` or the SSM SecureString ``API_KEY_PARAMETER_NAME``
(Powertools Parameters, cached for five minutes). A secret may hold several comma-separated keys, so
that a key can be rotated without downtime. No key configured means every request is refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from authstate.config import Settings
from authstate.errors import ApiKeysUnavailable, AuthstateError, ErrorCode
from authstate.identifiers import looks_like_jwt
from authstate.security import SecurityEvent, report

CACHE_SECONDS = 300
_HOW = "send the API key as `api-key: <key>`, `x-api-key: <key>` or `Authorization: Bearer <key>`"


def configured_api_keys(settings: Settings) -> list[str]:
    if settings.api_keys is not None:
        raw = settings.api_keys.get_secret_value()
    elif settings.api_key_secret_id:
        from aws_lambda_powertools.utilities import parameters

        raw = str(parameters.get_secret(settings.api_key_secret_id, max_age=CACHE_SECONDS))
    elif settings.api_key_parameter_name:
        from aws_lambda_powertools.utilities import parameters

        raw = str(
            parameters.get_parameter(settings.api_key_parameter_name, decrypt=True, max_age=CACHE_SECONDS)
        )
    else:
        raw = ""
    return [key.strip() for key in raw.split(",") if key.strip()]


def presented_api_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``api-key``, ``x-api-key`` (API Gateway's convention) or ``Authorization: Bearer``
    (header names are lower-case in API Gateway HTTP API events)."""
    for name in ("api-key", "x-api-key"):
        key = headers.get(name)
        if key:
            return key
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def require_api_key(headers: Mapping[str, str], settings: Settings) -> None:
    presented = presented_api_key(headers)
    if presented is None:
        raise AuthstateError(ErrorCode.MISSING_API_KEY, _missing_key_message(headers))
    try:
        keys = configured_api_keys(settings)
    except Exception as error:
        raise ApiKeysUnavailable from error
    # Compare with every key, whatever matched, so timing says nothing about which one did. Bytes:
    # compare_digest refuses non-ASCII text, and a header may hold anything.
    candidate = presented.encode("utf-8", "surrogatepass")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, key.encode("utf-8", "surrogatepass"))
    if matched:
        return
    report(SecurityEvent.INVALID_API_KEY)
    if looks_like_jwt(presented):
        message = (
            "the API key is not valid, and this looks like an access token: the Authorization header "
            "carries the API key; send the access token in the JSON body as `accessToken`"
        )
        raise AuthstateError(ErrorCode.INVALID_API_KEY, message)
    raise AuthstateError(ErrorCode.INVALID_API_KEY, "the API key is not valid")


def _missing_key_message(headers: Mapping[str, str]) -> str:
    """What to send; for an ``Authorization`` header without the ``Bearer`` scheme, that the scheme is
    what is missing (its value is never repeated: it may be the key)."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme and (scheme.lower() != "bearer" or not credentials.strip()):
        return (
            "an API key is required: the Authorization header has no `Bearer <key>`; send "
            "`Authorization: Bearer <key>` (the word Bearer, a space, then the key), or `api-key: <key>`"
        )
    return f"an API key is required: {_HOW}"
