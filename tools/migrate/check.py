"""``authstate-migrate check``: will the staged import keep this user signed in?

It takes the user's own cookies (``sRefreshToken``, ``sAccessToken``: real tokens of the real core, the
one thing the tests cannot have) and runs them through the very code authstate will run, against the
import staged in authstate's tables, without writing anything: the token opens under the imported key,
its nonce matches, its session was imported, the stored hash2 is that of this token or of its parent
(an un-promoted child), and the access token verifies with the imported public keys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import unquote

from authstate.errors import AuthstateError
from authstate.recipe.session.access_tokens import verify_access_token
from authstate.recipe.session.core_sessions import CoreSessions
from authstate.recipe.session.core_tokens import (
    is_core_hash,
    open_core_refresh_token,
    parse_core_refresh_token,
    sha256_hex,
    stored_core_hash,
)
from authstate.recipe.session.data_store import DataStore
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.refresh_tokens import token_hash
from authstate.recipe.session.store import SessionStore
from authstate.storage.table import Table


@dataclass
class Verdict:
    signed_in: bool = False
    lines: list[str] = field(default_factory=list)

    def say(self, ok: bool | None, text: str) -> None:
        mark = {True: "ok  ", False: "FAIL", None: "note"}[ok]
        self.lines.append(f"{mark}  {text}")


def cookie_value(value: str) -> str:
    """A cookie as the browser holds it: the SDKs percent-encode the tokens (``+``, ``/``, ``=``)."""
    return unquote(value.strip().strip('"'))


def check(
    refresh_token: str,
    access_token: str | None,
    *,
    sessions: Table,
    keys: Table,
    access_token_ttl_seconds: int = 3600,
    now: float | None = None,
) -> Verdict:
    now = time.time() if now is None else now
    verdict = Verdict()
    token = cookie_value(refresh_token)
    parsed = parse_core_refresh_token(token)
    if parsed is None:
        verdict.say(False, "sRefreshToken is not a SuperTokens core refresh token (<base64>.<64 hex>.V2)")
        return verdict
    verdict.say(
        True, f"sRefreshToken has the core's {parsed.version} shape ({len(parsed.sealed)} bytes sealed)"
    )
    # check reads sessions' own items only (``get`` without data) and writes nothing: the store never
    # reaches a data item, so the sessions table stands in for the session-data table it is not given.
    store = SessionStore(sessions, DataStore(sessions, sessions, data_margin=0))
    key = CoreSessions(store, sessions, keys).key(now)
    if key is None:
        verdict.say(
            False, "no refresh_token_key is imported (or it is retired): run `authstate-migrate import`"
        )
        return verdict
    try:
        payload = open_core_refresh_token(parsed, key.secret)
    except AuthstateError:
        verdict.say(
            False, "it does not open under the imported refresh_token_key (another app's or core's token?)"
        )
        return verdict
    verdict.say(True, "it opens under the imported refresh_token_key (AES-256-GCM), and its nonce matches")
    found = store.get(payload.session_handle, now)
    if found is None:
        verdict.say(
            False, f"its session {payload.session_handle} is not in authstate (see the import's report)"
        )
        return verdict
    session = found[0]
    verdict.say(True, f"its session {session.handle} is imported (user {session.user_id})")
    hash1 = parsed.hash1
    if is_core_hash(session.refresh_hash):
        if session.refresh_hash == stored_core_hash(sha256_hex(hash1)):
            verdict.say(
                True, "it is the session's current refresh token: its first refresh converts the session"
            )
        elif payload.parent_hash1 is not None and session.refresh_hash == stored_core_hash(
            sha256_hex(payload.parent_hash1)
        ):
            verdict.say(
                True, "it is an un-promoted child of the current token: accepted, as the core accepts it"
            )
        else:
            verdict.say(False, "it matches neither hash2: the core rotated it after the import (run the "
                        "catch-up import), or it is an old token (theft)")  # fmt: skip
            return verdict
    elif session.refresh_hash == hash1 or (session.used_child and session.used_child.child_hash == hash1):
        verdict.say(True, "the session is already converted and this is its current token")
    else:
        verdict.say(
            False, "the session is already converted to authstate's tokens: this core token is an old one"
        )
        return verdict
    verdict.signed_in = True
    if access_token is None:
        verdict.say(None, "no sAccessToken given: not checked")
        return verdict
    keyring = KeyRing(
        keys, rotation_seconds=3600, access_token_ttl_seconds=access_token_ttl_seconds, can_sign=False
    )
    try:
        claims = verify_access_token(cookie_value(access_token), keyring, now)
    except AuthstateError as error:
        verdict.say(None, f"sAccessToken does not verify here ({error.code}: {error.message}): the SDK "
                    "refreshes once, which the refresh token above allows")  # fmt: skip
        return verdict
    verdict.say(True, "sAccessToken verifies with an imported public key: the SDK needs no refresh")
    if claims.get("sessionHandle") != session.handle or claims.get("refreshTokenHash1") != token_hash(token):
        verdict.say(None, "sAccessToken belongs to another token pair of this browser (not the one given)")
    if claims.get("sub") != session.user_id:
        verdict.say(False, "its sub is not the session's user id (account linking?)")
        verdict.signed_in = False
    return verdict
