"""What a session is, as plain values (no I/O): the stored session, a verified access token, the
tokens that creation and refresh hand out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authstate.documents.jsondoc import JsonObject
from authstate.recipe.session.access_tokens import PROTECTED_CLAIMS
from authstate.recipe.session.refresh_tokens import RefreshToken


@dataclass(frozen=True)
class UsedChild:
    """The first child of the current refresh token seen in use (by its access token), and when."""

    child_hash: str
    at: int


@dataclass(frozen=True)
class Session:
    """One session as stored (its session data is read separately, only when asked for).

    ``refresh_hash`` is the current refresh token: the latest one allowed to have children;
    ``parent_hash`` the one it was rotated from (``None`` for the token issued at creation);
    ``rotated_at`` when it became current (seconds); ``version`` counts every write."""

    handle: str
    user_id: str
    tenant_id: str
    payload: JsonObject
    created_ms: int
    expires_at: int
    refresh_hash: str
    parent_hash: str | None
    rotated_at: int
    used_child: UsedChild | None
    anti_csrf_token: str | None
    version: int
    #: Tokens signed with the static key (kid ``s-…``) instead of the rotating ones: asked for by a
    #: SuperTokens SDK configured with ``useDynamicSigningKey: false``.
    static_key: bool = False

    @property
    def expiry_ms(self) -> int:
        return self.expires_at * 1000

    def is_live(self, now: float) -> bool:
        """Expired sessions read as missing: DynamoDB's TTL deletes them only eventually."""
        return self.expires_at > int(now)


@dataclass(frozen=True)
class AccessToken:
    """A minted or verified access token and its claims."""

    token: str
    claims: dict[str, Any]

    @property
    def handle(self) -> str:
        return str(self.claims["sessionHandle"])

    @property
    def user_id(self) -> str:
        return str(self.claims["sub"])

    @property
    def tenant_id(self) -> str:
        return str(self.claims.get("tId", "public"))

    @property
    def payload(self) -> JsonObject:
        """The custom claims: everything but the protected ones, root keys sorted."""
        return self.custom_claims()

    def custom_claims(self, allowed: frozenset[str] = frozenset()) -> JsonObject:
        """The custom claims, counting the ``allowed`` protected ones among them (``iss`` for a
        SuperTokens SDK, which puts it in the payload itself)."""
        protected = PROTECTED_CLAIMS - allowed
        return {k: v for k, v in sorted(self.claims.items()) if k not in protected}

    @property
    def refresh_hash(self) -> str:
        return str(self.claims["refreshTokenHash1"])

    @property
    def parent_hash(self) -> str | None:
        parent = self.claims.get("parentRefreshTokenHash1")
        return parent if isinstance(parent, str) else None

    @property
    def anti_csrf_token(self) -> str | None:
        token = self.claims.get("antiCsrfToken")
        return token if isinstance(token, str) else None

    @property
    def expiry_ms(self) -> int:
        return int(self.claims["exp"]) * 1000

    @property
    def created_ms(self) -> int:
        return int(self.claims["iat"]) * 1000


@dataclass(frozen=True)
class IssuedTokens:
    """What creation and refresh hand out: the session and a fresh token pair."""

    session: Session
    access_token: AccessToken
    refresh_token: RefreshToken
