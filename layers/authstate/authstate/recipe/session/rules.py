"""The session rules that need no I/O: what custom claims and session data may hold, the claims of an
access token, and what a refresh token that the one-call rotation refused is (design note §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authstate.documents.jsondoc import check_document_keys, check_update_keys, dumps, size
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_SESSION_DATA_BYTES
from authstate.recipe.session.access_tokens import PROTECTED_CLAIMS
from authstate.recipe.session.model import Session
from authstate.recipe.session.refresh_tokens import RefreshToken


def check_custom_claims(
    payload: Mapping[str, Any], *, field: str, limit: int, allowed: frozenset[str] = frozenset()
) -> None:
    """Custom claims may not set protected claims (but ``allowed``) and must fit the cap, measured on
    exactly the bytes a token carries (compact UTF-8 JSON, nulls dropped)."""
    check_document_keys(payload, field=field)
    protected = sorted((set(payload) & PROTECTED_CLAIMS) - allowed)
    if protected:
        message = f"{field} may not set protected claims: {', '.join(protected)}"
        raise AuthstateError(ErrorCode.PROTECTED_CLAIM, message)
    check_claims_size({k: v for k, v in payload.items() if v is not None}, limit=limit)


def check_claims_size(
    payload: Mapping[str, Any], *, limit: int, what: str = "custom access-token claims"
) -> None:
    measured = size(payload)
    if measured > limit:
        message = f"{what} are {measured} bytes; the limit is {limit}"
        raise AuthstateError(ErrorCode.ACCESS_TOKEN_PAYLOAD_TOO_LARGE, message)


def check_custom_claims_update(update: Mapping[str, Any], *, limit: int) -> None:
    """A merge's update of the custom claims, alone (``null``s dropped: they remove): a merge's own
    write decides the cap on the merged claims."""
    check_update_keys(update, field="update")
    check_custom_claims(update, field="update", limit=limit)


def check_session_data(data: Mapping[str, Any], *, field: str) -> None:
    """Whole session data (creation, overwrite): stored as sent, nulls included."""
    check_document_keys(data, field=field)
    check_session_data_size(size(data))


def check_session_data_update(update: Mapping[str, Any]) -> None:
    """A merge's update of the session data, alone, measured without its ``null``s (they remove, as
    for the custom claims): a merge's own write decides the limit on the merged data."""
    check_update_keys(update, field="update")
    check_session_data_size(size({key: value for key, value in update.items() if value is not None}))


def check_session_data_size(measured: int) -> None:
    if measured > MAX_SESSION_DATA_BYTES:
        raise session_data_too_large(measured)


def session_data_too_large(measured: int) -> AuthstateError:
    message = f"session data would be {measured} bytes; the limit is {MAX_SESSION_DATA_BYTES}"
    return AuthstateError(ErrorCode.SESSION_DATA_TOO_LARGE, message)


def session_gone(*, online: bool, handle: str) -> AuthstateError:
    """A session that is missing or expired: 401 for a call made with its token, 404 by handle."""
    if online:
        message = "the session of this access token was revoked or has expired"
        return AuthstateError(ErrorCode.SESSION_REVOKED, message)
    return AuthstateError(ErrorCode.SESSION_NOT_FOUND, f"no live session with handle {handle}")


def new_session(
    handle: str,
    user_id: str,
    tenant_id: str,
    payload: Mapping[str, Any],
    *,
    now: float,
    refresh_hash: str,
    lifetime_seconds: int,
    anti_csrf_token: str | None,
    static_key: bool,
) -> Session:
    """A session as creation makes it: its first refresh token current since ``now``, no child used."""
    return Session(
        handle=handle,
        user_id=user_id,
        tenant_id=tenant_id,
        payload=merge({}, payload),
        created_ms=int(now * 1000),
        expires_at=int(now) + lifetime_seconds,
        refresh_hash=refresh_hash,
        parent_hash=None,
        rotated_at=int(now),
        used_child=None,
        anti_csrf_token=anti_csrf_token,
        version=1,
        static_key=static_key,
    )


def claims_differ(stored: Mapping[str, Any], presented: Mapping[str, Any]) -> bool:
    """Whether a token's custom claims are not the stored ones, ``iss`` aside (``TOKEN_ISSUER`` may
    stand in for the SDK's), compared as canonical text."""

    def text(claims: Mapping[str, Any]) -> str:
        return dumps({key: value for key, value in claims.items() if key != "iss"})

    return text(stored) != text(presented)


def access_token_claims(
    session: Session,
    *,
    refresh_hash: str,
    parent_hash: str | None,
    issued_at: int,
    expires_at: int,
    issuer: str | None,
) -> dict[str, Any]:
    """An access token's claims: the session's custom claims, then the protected ones over them."""
    claims: dict[str, Any] = {
        **session.payload,
        "sub": session.user_id,
        "exp": expires_at,
        "iat": issued_at,
        "tId": session.tenant_id,
        "rsub": session.user_id,
        "sessionHandle": session.handle,
        "refreshTokenHash1": refresh_hash,
        "parentRefreshTokenHash1": parent_hash,
        "antiCsrfToken": session.anti_csrf_token,
    }
    if issuer is not None:
        claims["iss"] = issuer
    return claims


# -- Refresh: what a refused rotation means -------------------------------------------------------


@dataclass(frozen=True)
class JoinBranch:
    """Hand out a child of ``head``, the branch that won a race this token lost within the reuse
    window; ``head`` becomes the current token first if it is not yet (``promote``)."""

    head: str
    promote: bool


@dataclass(frozen=True)
class Theft:
    """A genuine refresh token of a generation that is over: someone else holds a copy."""


type RefreshVerdict = JoinBranch | Theft | AuthstateError


def judge_refused_refresh(
    presented: RefreshToken, session: Session, now: float, reuse_window_seconds: int
) -> RefreshVerdict:
    """What a refresh token is, given the session as it was when the rotation refused it.

    The rotation itself accepts the current token before any of its children was used (a retry) and
    the first use of a child of the current token (promotion). Anything else it refuses, and then:

    - the presented token lost a race to a sibling, or is the current token's parent or the current
      token itself presented again after the winner was used: within ``reuse_window_seconds`` of the
      winner's first use it joins the winning branch (one client refreshing in two tabs at once, or
      retrying), after it, it is theft;
    - any other genuine token is of an older generation: theft.

    A window of 0 joins nothing: every refused token is theft, as in SuperTokens' core.
    """
    if not session.is_live(now):
        return AuthstateError(ErrorCode.SESSION_EXPIRED, "the session has expired")

    def recent(at: int) -> bool:
        return reuse_window_seconds > 0 and now - at <= reuse_window_seconds

    used = session.used_child
    current, parent = session.refresh_hash, session.parent_hash
    if presented.hash == current or presented.parent_hash == current:
        # The current token again, or a child of it, after another child of it was used first.
        if used is not None and used.child_hash != presented.hash and recent(used.at):
            return JoinBranch(head=used.child_hash, promote=True)
        return Theft()
    sibling = presented.parent_hash is not None and presented.parent_hash == parent
    if sibling or (parent is not None and presented.hash == parent):
        # A sibling of the current token, or its parent, after the current one was promoted.
        if recent(session.rotated_at):
            if used is not None:
                return JoinBranch(head=used.child_hash, promote=True)
            return JoinBranch(head=current, promote=False)
        return Theft()
    return Theft()
