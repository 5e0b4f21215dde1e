"""Opaque refresh tokens: ``rt1.<sessionHandle>.<parentHash>.<nonce>.<mac>`` (no I/O: the MAC key is
read by ``session.key_store.load_mac_key``).

Only hashes of refresh tokens are stored. A token carries the hash of the token it was rotated
from (its parent), so one conditional UpdateItem can tell "current token" from "first use of a
child of the current token". The MAC (HMAC-SHA256 under a service secret kept in DynamoDB) makes
every field trustworthy: a token we did not issue is merely invalid, while a genuine token that is
no longer current is evidence of theft. Without the MAC, anyone who saw a session handle could
forge an "old" token and get a victim's session revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import REFRESH_TOKEN_PREFIX, looks_like_jwt
from authstate.limits import MAX_OPAQUE_TOKEN_CHARS

PREFIX = REFRESH_TOKEN_PREFIX
NO_PARENT = "-"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What the database stores and access tokens carry (``refreshTokenHash1``): the lower-case hex
    SHA-256 of the token, as SuperTokens' core computes it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class RefreshToken:
    session_handle: str
    parent_hash: str | None
    token: str

    @property
    def hash(self) -> str:
        return token_hash(self.token)


class RefreshTokenCodec:
    def __init__(self, mac_key: bytes) -> None:
        self._mac_key = mac_key

    def _mac(self, body: str) -> str:
        return _b64(
            hmac.new(self._mac_key, body.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:18]
        )

    def issue(self, session_handle: str, parent_hash: str | None) -> RefreshToken:
        body = f"{PREFIX}.{session_handle}.{parent_hash or NO_PARENT}.{_b64(secrets.token_bytes(32))}"
        return RefreshToken(session_handle, parent_hash, f"{body}.{self._mac(body)}")

    def parse(self, token: str) -> RefreshToken:
        """A token we issued, or 401 ``REFRESH_TOKEN_INVALID`` (never says which part was wrong; an
        access token is named as one)."""
        if looks_like_jwt(token):
            raise access_token_as_refresh_token()
        invalid = AuthstateError(ErrorCode.REFRESH_TOKEN_INVALID, "the refresh token is not valid")
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != PREFIX or len(token) > MAX_OPAQUE_TOKEN_CHARS:
            raise invalid
        body, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), self._mac(body).encode()):
            raise invalid
        _, handle, parent, _ = body.split(".")
        return RefreshToken(handle, None if parent == NO_PARENT else parent, token)


def access_token_as_refresh_token() -> AuthstateError:
    """An access token sent where the refresh token belongs, a common mix-up: the error names the fix."""
    message = (
        "the refresh token is not valid: this is an access token (a JWT); send the refresh token "
        f"(`refreshToken.token` of the session's creation or last refresh, `{PREFIX}.` and more)"
    )
    return AuthstateError(ErrorCode.REFRESH_TOKEN_INVALID, message)
