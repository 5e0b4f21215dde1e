"""Sessions: creation, verification, access-token payload merges (online and offline), session data,
refresh-token rotation with theft detection, and revocation: what the API and the CDI call.
Orchestration only: the rules are in ``session.rules``, every DynamoDB call in ``session.store``, tokens
are minted and verified by ``session.tokens``, refreshes judged by ``session.refresh``."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Unpack

from authstate.config import Settings
from authstate.documents.items import CapExceeded
from authstate.documents.jsondoc import JsonObject
from authstate.documents.merge import difference, merge
from authstate.errors import AuthstateError, ErrorCode, InternalError
from authstate.recipe.session import rules
from authstate.recipe.session.access_tokens import SDK_CLAIMS
from authstate.recipe.session.core_sessions import CoreSessions
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.model import AccessToken, IssuedTokens, Session
from authstate.recipe.session.refresh import Refresher, RefreshOptions
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.store import SessionStore
from authstate.recipe.session.tokens import Tokens
from authstate.security import SecurityEvent, report
from authstate.storage.table import ConditionFailed


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        keyring: KeyRing,
        codec: Callable[[], RefreshTokenCodec],
        settings: Settings,
        clock: Callable[[], float] = time.time,
        core: CoreSessions | None = None,
    ) -> None:
        """``core``: sessions imported from a SuperTokens core, whose own tokens it accepts (design §12)."""
        self._core = core
        self._store = store
        self._keyring = keyring
        self._codec = codec
        self._settings = settings
        self._clock = clock
        self._tokens = Tokens(keyring, settings, clock)
        self._refresher = Refresher(store, self._tokens, codec, settings, clock, core)

    @property
    def _cap(self) -> int:
        return self._settings.max_custom_claims_bytes

    # -- tokens ---------------------------------------------------------------------------------

    def verify_token(
        self,
        token: str,
        anti_csrf_token: str | None = None,
        *,
        check_anti_csrf: bool = True,
        allow_expired: bool = False,
    ) -> AccessToken:
        """Signature, algorithm, key and times; no database (``tokens.Tokens.verify``)."""
        return self._tokens.verify(
            token, anti_csrf_token, check_anti_csrf=check_anti_csrf, allow_expired=allow_expired
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def create(
        self,
        user_id: str,
        tenant_id: str,
        payload: Mapping[str, Any],
        data: Mapping[str, Any],
        *,
        anti_csrf: bool = False,
        static_key: bool = False,
        allowed_claims: frozenset[str] = frozenset(),
        fields: tuple[str, str] = ("accessTokenPayload", "sessionData"),
    ) -> IssuedTokens:
        """One conditional PutItem, two with session data (plus a key load on a cold Lambda).
        ``allowed_claims``: protected claims the caller may set itself (``SDK_CLAIMS``, for a SuperTokens
        SDK). ``fields``: what the caller calls the payload and the data, for its error messages."""
        payload_field, data_field = fields
        rules.check_custom_claims(payload, field=payload_field, limit=self._cap, allowed=allowed_claims)
        rules.check_session_data(data, field=data_field)
        now = self._clock()
        handle = str(uuid.uuid4())
        refresh = self._codec().issue(handle, None)
        session = rules.new_session(
            handle,
            user_id,
            tenant_id,
            payload,
            now=now,
            refresh_hash=refresh.hash,
            lifetime_seconds=self._settings.refresh_token_ttl_seconds,
            anti_csrf_token=secrets.token_urlsafe(24) if anti_csrf else None,
            static_key=static_key,
        )
        access = self._tokens.mint(session, refresh_hash=refresh.hash, parent_hash=None, now=now)
        self._store.create(session, dict(sorted(data.items())))
        return IssuedTokens(session, access, refresh)

    def get(self, handle: str, *, online: bool = False) -> tuple[Session, JsonObject]:
        """The live session and its data, by handle."""
        found = self._store.get(handle, self._clock(), with_data=True)
        if found is None:
            raise rules.session_gone(online=online, handle=handle)
        return found

    def verify(self, token: str, *, check_database: bool, anti_csrf_token: str | None = None) -> AccessToken:
        """Verify an access token; with ``check_database`` also reject revoked or expired sessions
        (and note the first use of a child refresh token's access token, for theft detection)."""
        access = self.verify_token(token, anti_csrf_token)
        if check_database:
            self._live_session(access, with_data=False)
        return access

    def verify_with_data(
        self, token: str, anti_csrf_token: str | None = None
    ) -> tuple[AccessToken, JsonObject]:
        """Online read of the session data: verify against the database and read the data in one go."""
        access = self.verify_token(token, anti_csrf_token)
        return access, self._live_session(access, with_data=True)[1]

    def _live_session(self, access: AccessToken, *, with_data: bool) -> tuple[Session, JsonObject]:
        """The live session of a verified token (one GetItem), its first child use recorded."""
        now = self._clock()
        found = self._store.get(access.handle, now, with_data=with_data)
        if found is None:
            if self._core is not None:
                self._core.refuse_missing(access, self._keyring)
            raise rules.session_gone(online=True, handle=access.handle)
        self._note_use(found[0], access, now)
        return found

    def _note_use(self, session: Session, access: AccessToken, now: float) -> None:
        """The first use of an access token minted from a child of the current refresh token is
        recorded (one more write, once per rotation), so that presenting the parent again is theft."""
        parent = access.parent_hash
        if parent is not None and session.refresh_hash == parent and session.used_child is None:
            self._store.record_child_use(session.handle, parent, access.refresh_hash, now)
        elif self._core is not None:
            self._core.note_use(session, access, now)

    def revoke(self, handle: str) -> bool:
        return self._store.delete(handle)

    def handles_of_user(self, user_id: str, tenant_id: str | None = None) -> list[str]:
        return self._store.handles_of_user(user_id, tenant_id, self._clock())

    def revoke_many(self, handles: Sequence[str]) -> list[str]:
        """The handles that were sessions, revoked now (several at a time: ``SessionStore.delete_many``)."""
        return self._store.delete_many(handles)

    def revoke_all(self, user_id: str, tenant_id: str | None = None) -> list[str]:
        revoked = self.revoke_many(self.handles_of_user(user_id, tenant_id))
        report(SecurityEvent.USER_SESSIONS_REVOKED, userId=user_id, tenantId=tenant_id, revoked=len(revoked))
        return revoked

    # -- access-token payload -------------------------------------------------------------------

    def merge_payload_online(
        self, token: str, update: Mapping[str, Any], anti_csrf_token: str | None = None
    ) -> AccessToken:
        """Verify, merge into the stored payload (one conditional UpdateItem unless near the cap), and
        return a new access token at once (same ``exp``, same refresh-token hashes)."""
        access = self.verify_token(token, anti_csrf_token)
        rules.check_custom_claims_update(update, limit=self._cap)
        session, now = self._merge_online(access, update, must_fit=True)
        return self._remint(session, access, now)

    def _merge_online(
        self, access: AccessToken, update: Mapping[str, Any], *, must_fit: bool
    ) -> tuple[Session, float]:
        """Merge into the payload of the token's session; the session after it, and when."""
        now = self._clock()
        session = self._merge_payload(access.handle, update, now, online=True, must_fit=must_fit)
        self._note_use(session, access, now)
        return session, now

    def _remint(self, session: Session, access: AccessToken, now: float) -> AccessToken:
        """A new access token for the same token pair: same ``exp``, same refresh-token hashes."""
        return self._tokens.mint(
            session,
            refresh_hash=access.refresh_hash,
            parent_hash=access.parent_hash,
            now=now,
            expires_at=int(access.claims["exp"]),
        )

    def merge_payload_offline(self, handle: str, update: Mapping[str, Any]) -> JsonObject:
        """Merge by handle; tokens carry the change from the next refresh on."""
        rules.check_custom_claims_update(update, limit=self._cap)
        return self._merge_payload(handle, update, self._clock(), online=False, must_fit=False).payload

    def _merge_payload(
        self, handle: str, update: Mapping[str, Any], now: float, *, online: bool, must_fit: bool
    ) -> Session:
        """The write decides the cap exactly (``storage.documents``): a refused merge wrote nothing.
        A merge that shrinks claims over a lowered cap is kept, unless a token is minted from it."""
        try:
            return self._store.merge_payload(handle, update, now, limit=self._cap, must_fit=must_fit)
        except ConditionFailed:
            raise rules.session_gone(online=online, handle=handle) from None
        except CapExceeded as refused:
            message = f"the merged custom claims would be {refused.size} bytes; the limit is {self._cap}"
            raise AuthstateError(ErrorCode.ACCESS_TOKEN_PAYLOAD_TOO_LARGE, message) from None

    # -- session data (database only, never in a token) -----------------------------------------

    def get_data(self, handle: str, *, online: bool = False) -> JsonObject:
        return self.get(handle, online=online)[1]

    def put_data(
        self, handle: str, data: Mapping[str, Any], *, online: bool = False, field: str = "sessionData"
    ) -> JsonObject:
        """Overwrite the whole session data, as sent (nulls included): a read of the session, then
        one UpdateItem of its data."""
        rules.check_session_data(data, field=field)
        document = dict(sorted(data.items()))
        try:
            self._store.put_data(handle, document, self._clock())
        except ConditionFailed:
            raise rules.session_gone(online=online, handle=handle) from None
        return document

    def merge_data(self, handle: str, update: Mapping[str, Any], *, online: bool = False) -> JsonObject:
        """Root-level merge, decided exactly by the write: one that would take the data past its limit
        writes nothing and is answered 413. The update is measured without its nulls (they remove)."""
        rules.check_session_data_update(update)
        try:
            merged = self._store.merge_data(handle, update, self._clock())
        except ConditionFailed:
            raise rules.session_gone(online=online, handle=handle) from None
        except CapExceeded as refused:
            raise rules.session_data_too_large(refused.size) from None
        if merged is None:  # it was asked for: a bug
            raise InternalError
        return merged

    # -- what SuperTokens' SDKs ask of their core (``authstate.cdi`` translates the shapes) ---------

    def verify_with_renewal(
        self, token: str, anti_csrf_token: str | None, *, check_anti_csrf: bool, check_database: bool
    ) -> tuple[AccessToken, AccessToken | None]:
        """Verify as SuperTokens' core does. A token minted from a child refresh token (its parent
        hash set), or with custom claims other than the stored ones when the database is checked, gets
        a replacement: no parent hash, the stored claims, a full lifetime (the SDK then stops asking).
        The child's first use is recorded, as for any verify against the database."""
        access = self.verify_token(token, anti_csrf_token, check_anti_csrf=check_anti_csrf)
        if not check_database and access.parent_hash is None:
            return access, None
        now = self._clock()
        session, _ = self._live_session(access, with_data=False)
        moved_on = access.refresh_hash != session.refresh_hash and access.parent_hash != session.refresh_hash
        stale_claims = rules.claims_differ(session.payload, access.custom_claims(SDK_CLAIMS))
        if moved_on or (access.parent_hash is None and not stale_claims):
            return access, None
        return access, self._tokens.mint(session, refresh_hash=access.refresh_hash, parent_hash=None, now=now)

    def regenerate(self, token: str, payload: Mapping[str, Any] | None) -> tuple[Session, AccessToken | None]:
        """A SuperTokens SDK's online merge: it sends the whole new payload. Only the difference from
        the presented token's claims is applied, as one merge, so concurrent merges of different keys
        lose nothing. A token past its ``exp`` still updates the session but gets no new token.
        ``None``: nothing changes, the token is minted again from the stored payload."""
        access = self.verify_token(token, check_anti_csrf=False, allow_expired=True)
        update: Mapping[str, Any] = {}
        if payload is not None:
            rules.check_custom_claims(payload, field="userDataInJWT", limit=self._cap, allowed=SDK_CLAIMS)
            update = difference(access.custom_claims(SDK_CLAIMS), payload)
        expired = self._clock() >= float(access.claims["exp"])
        session, now = self._merge_online(access, update, must_fit=not expired)
        return session, None if expired else self._remint(session, access, now)

    def replace_payload(self, handle: str, payload: Mapping[str, Any]) -> None:
        """A SuperTokens SDK's offline merge: it read the claims and sends them back merged, whole.
        Last writer wins (the protocol carries no update); tokens show it from the next refresh."""
        rules.check_custom_claims(payload, field="userDataInJWT", limit=self._cap, allowed=SDK_CLAIMS)
        try:
            self._store.put_payload(handle, merge({}, payload), self._clock())
        except ConditionFailed:
            raise rules.session_gone(online=False, handle=handle) from None

    # -- refresh --------------------------------------------------------------------------------

    def refresh(self, token: str, **options: Unpack[RefreshOptions]) -> IssuedTokens:
        """Rotate the refresh token, or judge why not (``refresh.Refresher.refresh``)."""
        return self._refresher.refresh(token, **options)
