"""Sessions imported from a SuperTokens core (docs/design.md §12): what the importer writes, and how the
core's own tokens for them are accepted until each session is an ordinary authstate session.

An imported session is an ordinary session item whose ``refreshHash`` holds ``core2:<hash2>``, the core's
``refresh_token_hash_2`` (``sha256hex(sha256hex(token))`` of the current token), and whose
``coreImportedAt`` says when it was imported. The app's ``refresh_token_key`` is one item of the signing
keys table (partition ``core-refresh-key``, which IAM lets only the refreshing functions read), expiring
with the last imported session; the core's public keys are verify-only keys of the signing-keys
partition (``session.signing_keys``).

A refresh with a core token (``CoreSessions.presented``), as the core's refresh decides it:

1. the token opens under the app's key, or it is ``REFRESH_TOKEN_INVALID``; anti-CSRF is checked against
   the token's own before anything is written;
2. one conditional UpdateItem converts the session: if the stored hash2 is that of the presented token
   (its current token) or of the presented token's parent (the client holds a child the core never
   promoted), the session becomes native: ``refreshHash`` = the presented token's hash, its parent the
   token's parent; the native rotation then hands out an authstate token, and from then on the core
   token is judged by the native rules like any other old token (theft when replayed);
3. a genuine token of an unconverted session that matches neither is theft, as in the core (the session
   is revoked), except while the cutover holds (``holdUntil`` on the key item): then it, and a token of a
   session not imported yet, is ``CUTOVER_IN_PROGRESS`` (503), which the SDKs pass on as an error, not
   as a sign-out.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from authstate.documents.expressions import UpdateBuilder
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.core_tokens import (
    CorePayload,
    is_core_hash,
    open_core_refresh_token,
    parse_core_refresh_token,
    sha256_hex,
    stored_core_hash,
)
from authstate.recipe.session.items import session_key
from authstate.recipe.session.model import AccessToken, Session
from authstate.recipe.session.refresh_tokens import NO_PARENT, RefreshToken
from authstate.recipe.session.signing_keys import DEFAULT_PARTITION, IMPORTED_SORT_KEY_PREFIX
from authstate.recipe.session.store import SessionStore
from authstate.storage.table import ConditionFailed, Item, Table

if TYPE_CHECKING:
    from authstate.recipe.session.key_store import KeyRing

#: The partition of the core's refresh-token key (IAM: only the functions that refresh may read it).
CORE_KEY_PARTITION: Final = "core-refresh-key"
CORE_KEY_SORT: Final = "v1"
#: When a session was imported (s): marks the items the importer wrote.
IMPORTED_AT: Final = "coreImportedAt"
#: How long a process keeps the key item (or its absence) before reading it again.
KEY_CACHE_SECONDS: Final = 60.0


@dataclass(frozen=True)
class CoreRefreshKey:
    """The app's ``refresh_token_key`` as imported; retired (absent) once ``expires_at`` has passed."""

    secret: str = field(repr=False)
    expires_at: int
    hold_until: int | None = None

    def holds(self, now: float) -> bool:
        return self.hold_until is not None and now < self.hold_until


def core_key_key(partition: str = CORE_KEY_PARTITION) -> Item:
    return {"pk": {"S": partition}, "sk": {"S": CORE_KEY_SORT}}


def core_key_item(key: CoreRefreshKey, *, imported_at: int, partition: str = CORE_KEY_PARTITION) -> Item:
    item: Item = {
        **core_key_key(partition),
        "secret": {"S": key.secret},
        "expiresAt": {"N": str(key.expires_at)},
        "importedAt": {"N": str(imported_at)},
    }
    if key.hold_until is not None:
        item["holdUntil"] = {"N": str(key.hold_until)}
    return item


def core_key_from_item(item: Item) -> CoreRefreshKey:
    hold = item.get("holdUntil")
    return CoreRefreshKey(
        secret=item["secret"]["S"],
        expires_at=int(item["expiresAt"]["N"]),
        hold_until=int(hold["N"]) if hold else None,
    )


def imported_key_item(
    kid: str, jwk: dict[str, str], expires_at: int, partition: str = DEFAULT_PARTITION
) -> Item:
    """A verify-only key (a core's public key): listed in the JWKS, never a signer
    (``session.signing_keys``)."""
    return {
        "pk": {"S": partition},
        "sk": {"S": IMPORTED_SORT_KEY_PREFIX + kid},
        "kid": {"S": kid},
        "publicJwk": {"M": {name: {"S": value} for name, value in jwk.items()}},
        "notBefore": {"N": "0"},
        "signUntil": {"N": "0"},
        "expiresAt": {"N": str(expires_at)},
    }


def token_kid(token: str) -> str | None:
    """The ``kid`` of a JWT's header (of a token already verified)."""
    header = token.split(".", 1)[0]
    try:
        value = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return None
    kid = value.get("kid") if isinstance(value, dict) else None
    return kid if isinstance(kid, str) else None


class CoreSessions:
    """The core's tokens for imported sessions (one per warm Lambda, like the other services)."""

    def __init__(
        self,
        store: SessionStore,
        sessions_table: Table,
        keys_table: Table,
        clock: Callable[[], float] = time.time,
        *,
        key_partition: str = CORE_KEY_PARTITION,
    ) -> None:
        self._key_partition = key_partition
        self._store = store
        self._sessions = sessions_table
        self._keys = keys_table
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, CoreRefreshKey | None] | None = None

    # -- the key ------------------------------------------------------------------------------------

    def _read_key(self) -> CoreRefreshKey | None:
        item = self._keys.get(core_key_key(self._key_partition))
        return None if item is None else core_key_from_item(item)

    def key(self, now: float) -> CoreRefreshKey | None:
        """The imported key, unless none was imported or it is retired (read at most once a minute)."""
        with self._lock:
            cached = self._cached
            if cached is None or not 0 <= now - cached[0] < KEY_CACHE_SECONDS:
                cached = (now, self._read_key())
                self._cached = cached
        key = cached[1]
        return key if key is not None and key.expires_at > now else None

    def _holds(self, now: float) -> bool:
        """Whether the cutover holds, read afresh (only a token that matches nothing asks)."""
        key = self._read_key()
        with self._lock:
            self._cached = (now, key)
        return key is not None and key.holds(now)

    # -- refresh ------------------------------------------------------------------------------------

    def open(self, token: str) -> CorePayload | None:
        """``None`` if ``token`` does not have the core's shape; else what it says, once it opened under
        the imported key (``REFRESH_TOKEN_INVALID`` if it does not, or if no key is imported)."""
        parsed = parse_core_refresh_token(token)
        if parsed is None:
            return None
        key = self.key(self._clock())
        if key is None:
            raise AuthstateError(ErrorCode.REFRESH_TOKEN_INVALID, "the refresh token is not valid")
        return open_core_refresh_token(parsed, key.secret)

    def convert(self, payload: CorePayload, token: str) -> RefreshToken:
        """The token for the native rotation, its session converted first if it was still the core's
        (module docstring)."""
        presented = RefreshToken(payload.session_handle, payload.parent_hash1, token)
        self._convert(payload, presented.hash, self._clock())
        return presented

    def _convert(self, payload: CorePayload, hash1: str, now: float) -> None:
        builder = UpdateBuilder()
        current = builder.name("refreshHash")
        accepted = [stored_core_hash(sha256_hex(hash1))]
        if payload.parent_hash1 is not None:
            accepted.append(stored_core_hash(sha256_hex(payload.parent_hash1)))
        builder.condition(f"{current} IN ({','.join(builder.value({'S': value}) for value in accepted)})")
        builder.condition(f"{builder.name('expiresAt')}>{builder.value({'N': str(int(now))})}")
        builder.set(current, {"S": hash1})
        builder.set(builder.name("parentRefreshHash"), {"S": payload.parent_hash1 or NO_PARENT})
        _anti_csrf(builder, payload.anti_csrf_token)
        builder.remove(builder.name("usedChild")).bump_version()
        try:
            self._sessions.update(
                session_key(payload.session_handle),
                builder.build(),
                return_values="NONE",
                old_item_on_failure=True,
            )
        except ConditionFailed as failure:
            self._refused(failure.item, payload, now)

    def _refused(self, item: Item | None, payload: CorePayload, now: float) -> None:
        """A conversion that did not happen: the session is missing, expired or converted already (the
        native rotation says what), or it is the core's and the token matches neither hash (theft)."""
        if item is None:
            if self._holds(now):
                raise _pending()
            return
        if not is_core_hash(item["refreshHash"]["S"]) or int(item["expiresAt"]["N"]) <= int(now):
            return
        if self._holds(now):
            raise _pending()
        self._store.delete(payload.session_handle)
        raise AuthstateError(
            ErrorCode.TOKEN_THEFT_DETECTED,
            "a refresh token was reused after rotation: the session has been revoked",
            details={"sessionHandle": payload.session_handle, "userId": item["userId"]["S"]},
        )

    # -- verify -------------------------------------------------------------------------------------

    def note_use(self, session: Session, access: AccessToken, now: float) -> None:
        """The core's verify-time promotion: an access token minted from a child of the session's current
        core token, first seen in use, makes the session native with that child recorded as used (so that
        the parent presented later is theft, as in the core). One conditional UpdateItem, once."""
        parent = access.parent_hash
        if parent is None or not is_core_hash(session.refresh_hash):
            return
        if session.refresh_hash != stored_core_hash(sha256_hex(parent)):
            return
        builder = UpdateBuilder()
        current = builder.name("refreshHash")
        builder.condition(f"{current}={builder.value({'S': session.refresh_hash})}")
        builder.set(current, {"S": parent})
        builder.set(builder.name("parentRefreshHash"), {"S": NO_PARENT})
        builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
        used = {"c": {"S": access.refresh_hash}, "t": {"N": str(int(now))}}
        builder.set(builder.name("usedChild"), {"M": used})
        _anti_csrf(builder, access.anti_csrf_token)
        builder.bump_version()
        # A failed condition: converted meanwhile (a refresh or another verify); the native state rules.
        with contextlib.suppress(ConditionFailed):
            self._sessions.update(session_key(session.handle), builder.build(), return_values="NONE")

    def refuse_missing(self, access: AccessToken, keyring: KeyRing) -> None:
        """An access token the core signed, for a session authstate does not hold (not imported yet, or
        refused by the import): ``TOKEN_KEY_UNKNOWN``, so that the SDK refreshes and the refresh decides
        (held during the cutover, refused after it) instead of signing the user out from a verify."""
        kid = token_kid(access.token)
        if kid is not None and keyring.is_imported(kid):
            message = (
                "the access token was signed by the SuperTokens core for a session not imported: refresh"
            )
            raise AuthstateError(ErrorCode.TOKEN_KEY_UNKNOWN, message)


def _pending() -> AuthstateError:
    return AuthstateError(
        ErrorCode.CUTOVER_IN_PROGRESS,
        "this SuperTokens core refresh token does not match the imported session yet: the cutover is in "
        "progress; retry shortly",
    )


def _anti_csrf(builder: UpdateBuilder, token: str | None) -> None:
    if token is None:
        builder.remove(builder.name("antiCsrfToken"))
    else:
        builder.set(builder.name("antiCsrfToken"), {"S": token})
