"""Refresh tokens issued by a SuperTokens core, read so that sessions imported from it keep working
(docs/design.md §12). Pure: no I/O.

The core's one live format is ``V2``: ``<base64(IV ‖ ciphertext ‖ tag)>.<nonce>.V2``. The payload is the
JSON of ``{sessionHandle, userId, parentRefreshTokenHash1, nonce, antiCsrfToken, tenantId}`` (nulls left
out, ``tenantId`` left out for ``public``), encrypted with AES-256-GCM (128-bit tag) under a key derived
for each token by PBKDF2-HMAC-SHA512 from the app's whole ``refresh_token_key`` string, with the 12-byte
IV as salt and 100 iterations. The nonce (64 hex) is in clear in the token and inside the payload, and
the core refuses the token unless both are equal. ``V1`` tokens decrypt the same way; ``V0`` tokens
(``<uuid>.V0``) have not been accepted by the core for years and are not core tokens here.

GCM authenticates: a token that opens under the app's key was issued by that core, so a genuine token
that matches nothing is theft, while anything else is merely invalid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Final

from authstate.documents.jsondoc import dumps, parse_object
from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_REFRESH_TOKEN_CHARS

#: What a stored refresh hash of an imported, not yet converted session starts with: the core's
#: ``refresh_token_hash_2`` follows it. No native hash (64 hex) can ever equal such a value.
CORE_HASH_PREFIX: Final = "core2:"
IV_BYTES: Final = 12
TAG_BYTES: Final = 16
KEY_ITERATIONS: Final = 100
_SHAPE = re.compile(r"([A-Za-z0-9+/]+={0,2})\.([0-9a-f]{64})\.(V[12])\Z")
_PAYLOAD_ORDER = ("sessionHandle", "userId", "parentRefreshTokenHash1", "nonce", "antiCsrfToken", "tenantId")
_HASH = re.compile(r"[0-9a-f]{64}\Z")
PUBLIC_TENANT: Final = "public"


def sha256_hex(text: str) -> str:
    """The core's ``Utils.hashSHA256``: lower-case hex SHA-256 of the UTF-8 text (``hash1`` of a token,
    ``hash2`` of a ``hash1``)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stored_core_hash(hash2: str) -> str:
    """What an imported session's ``refreshHash`` holds until its first refresh in authstate."""
    return CORE_HASH_PREFIX + hash2


def is_core_hash(stored: str) -> bool:
    return stored.startswith(CORE_HASH_PREFIX)


def is_core_hash2(value: str) -> bool:
    return _HASH.match(value) is not None


@dataclass(frozen=True)
class CoreRefreshToken:
    """A refresh token of the core's shape, not yet opened."""

    token: str
    sealed: bytes
    nonce: str
    version: str

    @property
    def hash1(self) -> str:
        return sha256_hex(self.token)


@dataclass(frozen=True)
class CorePayload:
    """What a core refresh token says, once opened."""

    session_handle: str
    user_id: str
    parent_hash1: str | None
    nonce: str
    anti_csrf_token: str | None
    tenant_id: str

    def to_json(self) -> str:
        """The payload as the core writes it (Gson: nulls dropped, ``tenantId`` only off ``public``).
        Gson escapes ``<>&='`` as ``\\u00XX``; any JSON reader reads both forms the same."""
        values = {
            "sessionHandle": self.session_handle,
            "userId": self.user_id,
            "parentRefreshTokenHash1": self.parent_hash1,
            "nonce": self.nonce,
            "antiCsrfToken": self.anti_csrf_token,
            "tenantId": None if self.tenant_id == PUBLIC_TENANT else self.tenant_id,
        }
        return dumps({name: values[name] for name in _PAYLOAD_ORDER if values[name] is not None})


def _invalid() -> AuthstateError:
    return AuthstateError(ErrorCode.REFRESH_TOKEN_INVALID, "the refresh token is not valid")


def parse_core_refresh_token(token: str) -> CoreRefreshToken | None:
    """The token's parts if it has the core's shape (``V1``/``V2``), else ``None`` (not a core token)."""
    if len(token) > MAX_REFRESH_TOKEN_CHARS:
        return None
    match = _SHAPE.match(token)
    if match is None:
        return None
    text, nonce, version = match.groups()
    try:
        sealed = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(sealed) <= IV_BYTES + TAG_BYTES:
        return None
    return CoreRefreshToken(token, sealed, nonce, version)


def _aes_key(refresh_token_key: str, iv: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", refresh_token_key.encode("utf-8"), iv, KEY_ITERATIONS, 32)


def open_core_refresh_token(token: CoreRefreshToken, refresh_token_key: str) -> CorePayload:
    """Decrypt and check as the core does (``RefreshToken.getInfoFromRefreshToken``); anything wrong is
    401 ``REFRESH_TOKEN_INVALID``, which never says what."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    iv, body = token.sealed[:IV_BYTES], token.sealed[IV_BYTES:]
    try:
        plaintext = AESGCM(_aes_key(refresh_token_key, iv)).decrypt(iv, body, None)
        payload = parse_object(plaintext.decode("utf-8"), max_depth=2, what="payload")
    except (InvalidTag, UnicodeDecodeError, AuthstateError):
        raise _invalid() from None

    def text(name: str) -> str | None:
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            raise _invalid()
        return value

    handle, user_id, nonce = text("sessionHandle"), text("userId"), text("nonce")
    parent, anti_csrf, tenant = text("parentRefreshTokenHash1"), text("antiCsrfToken"), text("tenantId")
    if handle is None or user_id is None or nonce != token.nonce:
        raise _invalid()
    if parent is not None and not is_core_hash2(parent):
        raise _invalid()
    return CorePayload(handle, user_id, parent, token.nonce, anti_csrf, tenant or PUBLIC_TENANT)


def seal_core_refresh_token(payload: CorePayload, refresh_token_key: str, *, iv: bytes | None = None) -> str:
    """A ``V2`` token as the core makes it (``Utils.encrypt``): used by tests to check the codec against
    the core's format from the other side."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    iv = os.urandom(IV_BYTES) if iv is None else iv
    sealed = AESGCM(_aes_key(refresh_token_key, iv)).encrypt(iv, payload.to_json().encode("utf-8"), None)
    return f"{base64.b64encode(iv + sealed).decode('ascii')}.{payload.nonce}.V2"
