"""An access token from a session, and back: every token is minted here from a session's stored claims
(the cap enforced: a payload over it is never signed), and verified here (signature, algorithm, key and
times against the keyring, no database; then issuer and anti-CSRF)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from authstate.config import Settings
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session import rules
from authstate.recipe.session.access_tokens import mint_access_token, verify_access_token
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.model import AccessToken, Session
from authstate.security import SecurityEvent, report


def _same_text(presented: str, expected: str) -> bool:
    """Constant-time comparison of two strings of any characters (compare_digest on text refuses
    non-ASCII, so both are compared as UTF-8 bytes)."""
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def require_anti_csrf(expected: str | None, presented: str | None) -> None:
    if expected is not None and (presented is None or not _same_text(presented, expected)):
        raise AuthstateError(ErrorCode.ANTI_CSRF_FAILED, "the anti-CSRF token is missing or wrong")


class Tokens:
    def __init__(self, keyring: KeyRing, settings: Settings, clock: Callable[[], float]) -> None:
        self._keyring = keyring
        self._settings = settings
        self._clock = clock

    def mint(
        self,
        session: Session,
        *,
        refresh_hash: str,
        parent_hash: str | None,
        now: float,
        expires_at: int | None = None,
    ) -> AccessToken:
        """Every token is minted here, from a session's stored claims: a payload over the cap (one
        stored before the cap was lowered by configuration) is refused, never signed."""
        rules.check_claims_size(
            session.payload,
            limit=self._settings.max_custom_claims_bytes,
            what="the session's stored custom claims",
        )
        claims = rules.access_token_claims(
            session,
            refresh_hash=refresh_hash,
            parent_hash=parent_hash,
            issued_at=int(now),
            expires_at=expires_at
            if expires_at is not None
            else int(now) + self._settings.access_token_ttl_seconds,
            issuer=self._settings.token_issuer,
        )
        key = self._keyring.static_key(now) if session.static_key else self._keyring.signing_key(now)
        return AccessToken(mint_access_token(claims, key), claims)

    def verify(
        self,
        token: str,
        anti_csrf_token: str | None = None,
        *,
        check_anti_csrf: bool = True,
        allow_expired: bool = False,
    ) -> AccessToken:
        """Signature, algorithm, key and times; no database. Anti-CSRF if the session has it (unless
        the caller has its own anti-CSRF scheme: ``check_anti_csrf=False``)."""
        try:
            claims = verify_access_token(token, self._keyring, self._clock(), allow_expired=allow_expired)
        except AuthstateError as error:
            if error.code is ErrorCode.TOKEN_SIGNATURE_INVALID:  # a known key, a signature it did not make
                report(SecurityEvent.TOKEN_SIGNATURE_INVALID)
            raise
        issuer = self._settings.token_issuer
        if issuer is not None and claims.get("iss") != issuer:
            message = "the access token was issued for another issuer"
            raise AuthstateError(ErrorCode.TOKEN_CLAIMS_INVALID, message)
        access = AccessToken(token, claims)
        if check_anti_csrf:
            require_anti_csrf(access.anti_csrf_token, anti_csrf_token)
        return access
