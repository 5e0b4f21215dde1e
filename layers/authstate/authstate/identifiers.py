"""What a user id, a tenant id and a session handle may be: one rule each, for every API; and how the
service's two kinds of token look, to name one sent where the other belongs."""

from __future__ import annotations

import re
from typing import Final

from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_USER_ID_BYTES

TENANT_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
TENANT_ID_RULE: Final = "1 to 64 letters, digits, '-' or '_', starting with a letter or digit"
#: A lower-case UUID; a session imported from a SuperTokens core keeps the core's handle, which carries
#: ``_<tenantId>`` after the UUID for a tenant other than ``public`` (docs/design.md §12).
SESSION_HANDLE_PATTERN: Final = (
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(_[A-Za-z0-9][A-Za-z0-9_-]{0,63})?$"
)
SESSION_HANDLE_EXAMPLE: Final = "286956d5-6135-4ae9-b41a-2cb2ff73aca0"
USER_ID_RULE: Final = f"1 to {MAX_USER_ID_BYTES} UTF-8 bytes, not blank, without control characters"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TENANT_ID = re.compile(TENANT_ID_PATTERN.removesuffix("$") + r"\Z")


#: How the empty user id is stored: DynamoDB refuses "" as a key (a table's or an index's). Neither API
#: accepts a user id with U+0000 in it, so this one character can only stand for "".
EMPTY_USER_ID_KEY: Final = "\u0000"


def user_id_key(user_id: str) -> str:
    """A user id as a DynamoDB key."""
    return user_id or EMPTY_USER_ID_KEY


def user_id_of_key(key: str) -> str:
    return "" if key == EMPTY_USER_ID_KEY else key


def is_user_id(value: str) -> bool:
    return (
        bool(value.strip())
        and len(value.encode("utf-8", "surrogatepass")) <= MAX_USER_ID_BYTES
        and not _CONTROL.search(value)
    )


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.match(value) is not None


def user_id(value: str, *, field: str = "userId") -> str:
    if not is_user_id(value):
        raise AuthstateError(ErrorCode.VALIDATION_ERROR, f"{field} must be {USER_ID_RULE}")
    return value


def tenant_id(value: str, *, field: str = "tenantId") -> str:
    if not is_tenant_id(value):
        raise AuthstateError(ErrorCode.VALIDATION_ERROR, f"{field} must be {TENANT_ID_RULE}")
    return value


_SESSION_HANDLE = re.compile(SESSION_HANDLE_PATTERN.removesuffix("$") + r"\Z")


def is_session_handle(value: str) -> bool:
    return _SESSION_HANDLE.match(value) is not None


#: The first part of every refresh token (``rt1.<sessionHandle>.<parentHash>.<nonce>.<mac>``).
REFRESH_TOKEN_PREFIX: Final = "rt1"  # noqa: S105 - a format marker, not a secret
#: A JWT's shape: three base64url segments, the first a JSON object (``eyJ``).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def looks_like_jwt(value: str) -> bool:
    """An access token's shape (a compact JWS), whether or not it verifies."""
    return _JWT.fullmatch(value) is not None


def looks_like_refresh_token(value: str) -> bool:
    return value.startswith(REFRESH_TOKEN_PREFIX + ".")
