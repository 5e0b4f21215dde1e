"""An access token decoded and judged as authstate's own verify judges it, against the API's JWKS: which
key signed it, whether that key is still published, its times, its claims, and the verdict with its code."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from jwt.algorithms import RSAAlgorithm

from authstate.errors import AuthstateError
from authstate.recipe.session.access_tokens import PROTECTED_CLAIMS, verify_access_token

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey


class JwksKeys:
    """The JWKS as verification keys (``access_tokens.VerificationKeys``): a kid it lists, or none."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self.kids = [str(key.get("kid")) for key in jwks.get("keys", [])]
        self._keys = {str(key.get("kid")): key for key in jwks.get("keys", [])}

    def verification_key(self, kid: str, now: float) -> RSAPublicKey | None:
        jwk = self._keys.get(kid)
        if jwk is None:
            return None
        key = RSAAlgorithm.from_jwk(dict(jwk))
        return key  # type: ignore[return-value]  # a public JWK parses to a public key


@dataclass(frozen=True)
class Inspection:
    kid: str | None
    key_listed: bool
    valid: bool
    error: dict[str, str] | None
    claims: dict[str, Any]

    def as_json(self, now: float) -> dict[str, Any]:
        exp, iat = self.claims.get("exp"), self.claims.get("iat")
        return {
            "valid": self.valid,
            "error": self.error,
            "kid": self.kid,
            "keyInJwks": self.key_listed,
            "sessionHandle": self.claims.get("sessionHandle"),
            "userId": self.claims.get("sub"),
            "tenantId": self.claims.get("tId"),
            "issuedAt": iat,
            "expiresAt": exp,
            "expiresInSeconds": int(exp - now) if isinstance(exp, int | float) else None,
            "customClaims": {k: v for k, v in self.claims.items() if k not in PROTECTED_CLAIMS},
            "claims": self.claims,
        }


class NotAToken(ValueError):
    """The text is not a JWT at all (nothing to decode)."""


def inspect(token: str, jwks: Mapping[str, Any], now: float | None = None) -> Inspection:
    """Decode without trusting (to show what it claims), then verify as the service does."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise NotAToken(f"not a JWT: {error}") from None
    kid = header.get("kid")
    keys = JwksKeys(jwks)
    try:
        verify_access_token(token, keys, now)
    except AuthstateError as error:
        return Inspection(
            kid, kid in keys.kids, False, {"code": str(error.code), "message": error.message}, claims
        )
    return Inspection(kid, True, True, None, claims)
