"""Refresh: the refresh token rotated in one conditional UpdateItem in the usual case; a rotation the
store refused is judged from the session as the refusal returned it (``rules.judge_refused_refresh``):
it joins the winning branch, or it is theft and the session is revoked (design note §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from authstate.config import Settings
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session import rules
from authstate.recipe.session.core_sessions import CoreSessions
from authstate.recipe.session.model import IssuedTokens, Session
from authstate.recipe.session.refresh_tokens import RefreshToken, RefreshTokenCodec
from authstate.recipe.session.store import RotationRefused, SessionStore
from authstate.recipe.session.tokens import Tokens, require_anti_csrf
from authstate.security import SecurityEvent, report

#: Rounds of judging a refused refresh whose session keeps changing under it.
JOIN_ATTEMPTS = 4


class RefreshOptions(TypedDict, total=False):
    """The options of a refresh (:meth:`Refresher.refresh`)."""

    anti_csrf_token: str | None
    check_anti_csrf: bool
    static_key: bool | None
    reuse_window_seconds: int | None


class Refresher:
    def __init__(
        self,
        store: SessionStore,
        tokens: Tokens,
        codec: Callable[[], RefreshTokenCodec],
        settings: Settings,
        clock: Callable[[], float],
        core: CoreSessions | None,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._codec = codec
        self._settings = settings
        self._clock = clock
        self._core = core

    def refresh(
        self,
        token: str,
        *,
        anti_csrf_token: str | None = None,
        check_anti_csrf: bool = False,
        static_key: bool | None = None,
        reuse_window_seconds: int | None = None,
    ) -> IssuedTokens:
        """Rotate the refresh token: one conditional UpdateItem in the usual case; a refused one is
        judged from the session as the refusal returned it (``rules.judge_refused_refresh``).

        ``check_anti_csrf``: the session's anti-CSRF token must be presented too (a SuperTokens SDK
        asks for it). It is checked after the rotation, which is safe: the rotation only ever lets
        the same refresh token be presented again. ``static_key``: switch the session's tokens to the
        static signing key or back (``None`` leaves them as they are). ``reuse_window_seconds``: the
        window of ``rules.judge_refused_refresh`` (``None``: ``REFRESH_REUSE_WINDOW_SECONDS``)."""
        window = self._settings.refresh_reuse_window_seconds
        if reuse_window_seconds is not None:
            window = reuse_window_seconds
        presented = self._presented(token, anti_csrf_token, check_anti_csrf)
        handle = presented.session_handle
        now = self._clock()
        expires_at = int(now) + self._settings.refresh_token_ttl_seconds
        try:
            session = self._store.rotate(
                handle, presented.hash, presented.parent_hash, now, expires_at, static_key=static_key
            )
            head = presented.hash
        except RotationRefused as refused:
            session, head = self._judge(presented, refused.session, now, expires_at, static_key, window)
        if check_anti_csrf:
            require_anti_csrf(session.anti_csrf_token, anti_csrf_token)
        child = self._codec().issue(handle, head)
        access = self._tokens.mint(session, refresh_hash=child.hash, parent_hash=head, now=now)
        return IssuedTokens(session, access, child)

    def _presented(self, token: str, anti_csrf_token: str | None, check_anti_csrf: bool) -> RefreshToken:
        """authstate's own refresh token, or a SuperTokens core's for an imported session: anti-CSRF
        checked against the token's own first, as the core does, then the session converted."""
        core = self._core.open(token) if self._core is not None else None
        if core is None or self._core is None:
            return self._codec().parse(token)
        if check_anti_csrf:
            require_anti_csrf(core.anti_csrf_token, anti_csrf_token)
        return self._core.convert(core, token)

    def _judge(
        self,
        presented: RefreshToken,
        session: Session | None,
        now: float,
        expires_at: int,
        static_key: bool | None,
        window: int,
    ) -> tuple[Session, str]:
        for _ in range(JOIN_ATTEMPTS):
            if session is None:
                raise AuthstateError(ErrorCode.SESSION_REVOKED, "the session was revoked")
            verdict = rules.judge_refused_refresh(presented, session, now, window)
            if isinstance(verdict, AuthstateError):
                raise verdict
            if isinstance(verdict, rules.Theft):
                self._store.delete(session.handle)
                report(SecurityEvent.TOKEN_THEFT, sessionHandle=session.handle, userId=session.user_id)
                raise AuthstateError(
                    ErrorCode.TOKEN_THEFT_DETECTED,
                    "a refresh token was reused after rotation: the session has been revoked",
                    details={"sessionHandle": session.handle, "userId": session.user_id},
                )
            try:
                joined = self._store.join(
                    session.handle,
                    session,
                    verdict.head,
                    promote=verdict.promote,
                    now=now,
                    expires_at=expires_at,
                )
            except RotationRefused as refused:  # the session moved on meanwhile: judge it again
                session = refused.session
                continue
            return joined, verdict.head
        raise AuthstateError(ErrorCode.CONFLICT, "the session kept changing during this refresh; retry")
