"""Sessions: creation, verification, access-token payload merges (online and offline), session data,
refresh-token rotation with theft detection, and revocation.

One item per session in the sessions table::

    sessionHandle  userId  tenantId  createdAt(ms)  expiresAt(s, also the TTL)  version
    payload   map of custom claims (JSON texts)     data  map of session data (JSON texts)
    refreshHash        hash of the current refresh token
    parentRefreshHash  hash of the token the current one was rotated from ("-" for none)
    usedChildren       map parentHash -> hash of the first child of that parent seen in use
    antiCsrfToken      only when the session was created with anti-CSRF

Rotation (one conditional UpdateItem, see :meth:`Sessions.refresh`): presenting the current token
rotates it, unless a child of it has already been used; presenting a child of the current token
promotes it, unless a sibling was used first. A genuine token that fails both is either a sibling
that lost (401, the session lives on) or an older generation (theft: the session is revoked).
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from authstate.aws import dynamodb_client
from authstate.errors import AuthstateError, InvalidRequest, NotFound, PayloadTooLarge, Unauthorized
from authstate.expressions import UpdateBuilder, decode_document, encode_document
from authstate.jsondoc import JsonObject, check_document_keys, dumps
from authstate.keys import KeyRing
from authstate.merge import merge
from authstate.refresh_tokens import NO_PARENT, RefreshToken, RefreshTokenCodec, refresh_token_codec
from authstate.settings import Settings, settings
from authstate.store import ConditionFailed, Item, MergeResult, Precondition, Table, merge_document
from authstate.tokens import PROTECTED_CLAIMS, mint_access_token, verify_access_token

PAYLOAD = "payload"
DATA = "data"
USER_INDEX = "byUser"
#: Keys undone per UpdateItem when an over-cap merge is rolled back (two clauses each, under 250).
UNDO_KEYS_PER_UPDATE = 100


@dataclass(frozen=True)
class SessionInfo:
    handle: str
    user_id: str
    tenant_id: str
    payload: JsonObject
    created_ms: int
    expires_at: int

    @classmethod
    def from_item(cls, item: Item) -> SessionInfo:
        return cls(
            handle=item["sessionHandle"]["S"],
            user_id=item["userId"]["S"],
            tenant_id=item["tenantId"]["S"],
            payload=decode_document(item.get(PAYLOAD)),
            created_ms=int(item["createdAt"]["N"]),
            expires_at=int(item["expiresAt"]["N"]),
        )

    def summary(self) -> dict[str, str]:
        return {"handle": self.handle, "userId": self.user_id, "tenantId": self.tenant_id}


@dataclass(frozen=True)
class AccessToken:
    token: str
    claims: dict[str, Any]

    def session_summary(self) -> dict[str, str]:
        """The session this token belongs to, as the API shows it."""
        return {
            "handle": self.claims["sessionHandle"],
            "userId": self.claims["sub"],
            "tenantId": self.claims["tId"],
        }

    @property
    def payload(self) -> JsonObject:
        """The custom claims: everything but the protected ones."""
        return {k: v for k, v in self.claims.items() if k not in PROTECTED_CLAIMS}

    def to_body(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "expiry": int(self.claims["exp"]) * 1000,
            "createdTime": int(self.claims["iat"]) * 1000,
        }


@dataclass(frozen=True)
class IssuedTokens:
    """What creation and refresh return: the session and a fresh token pair."""

    session: SessionInfo
    access_token: AccessToken
    refresh_token: RefreshToken
    anti_csrf_token: str | None

    def to_body(self) -> dict[str, Any]:
        return {
            "session": self.session.summary(),
            "accessTokenPayload": self.session.payload,
            "accessToken": self.access_token.to_body(),
            "refreshToken": {"token": self.refresh_token.token, "expiry": self.session.expires_at * 1000},
            "antiCsrfToken": self.anti_csrf_token,
        }


class LiveSession(Precondition):
    """The session exists and has not expired (expired sessions read as missing before the TTL
    deletes them). Optionally records that an access token minted from a child refresh token was
    used, first use winning, so that presenting that child's parent again counts as theft."""

    def __init__(self, now: float, used_child: tuple[str, str] | None = None) -> None:
        self._now = int(now)
        self._used_child = used_child

    def add_to(self, builder: UpdateBuilder) -> None:
        builder.condition(f"{builder.name('expiresAt')}>{builder.value({'N': str(self._now)})}")
        if self._used_child is not None:
            parent, child = self._used_child
            path = f"{builder.name('usedChildren')}.{builder.name(parent)}"
            builder.set_expression(path, f"if_not_exists({path},{builder.value({'S': child})})")


def check_custom_claims(payload: Mapping[str, Any], *, field: str, limit: int) -> None:
    """Custom claims may not touch protected names and must keep the token small."""
    check_document_keys(payload, field=field)
    protected = sorted(set(payload) & PROTECTED_CLAIMS)
    if protected:
        raise InvalidRequest(
            f"{field} may not set protected claims: {', '.join(protected)}", code="PROTECTED_CLAIM"
        )
    size = len(dumps({k: v for k, v in payload.items() if v is not None}).encode())
    if size > limit:
        raise PayloadTooLarge(
            f"custom access-token claims are {size} bytes; the limit is {limit}",
            code="ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
        )


def _session_gone(*, online: bool, handle: str) -> AuthstateError:
    if online:
        return Unauthorized(
            "the session of this access token was revoked or has expired", code="SESSION_REVOKED"
        )
    return NotFound(f"no live session with handle {handle}", code="SESSION_NOT_FOUND")


class Sessions:
    def __init__(
        self,
        table: Table,
        keyring: KeyRing,
        codec: Callable[[], RefreshTokenCodec],
        config: Settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self._keyring = keyring
        self._codec = codec
        self._config = config
        self._clock = clock

    @classmethod
    def from_settings(cls) -> Sessions:
        config = settings()
        return cls(
            Table(config.sessions_table, dynamodb_client),
            KeyRing.from_settings(),
            refresh_token_codec,
            config,
        )

    @staticmethod
    def _key(handle: str) -> Item:
        return {"sessionHandle": {"S": handle}}

    # -- tokens ---------------------------------------------------------------------------------

    def _mint(
        self,
        session: SessionInfo,
        *,
        refresh_hash: str,
        parent_hash: str | None,
        anti_csrf: str | None,
        now: float,
        expires_at: int | None = None,
    ) -> AccessToken:
        claims: dict[str, Any] = {
            **session.payload,
            "sub": session.user_id,
            "iat": int(now),
            "exp": expires_at if expires_at is not None else int(now) + self._config.access_token_ttl_seconds,
            "sessionHandle": session.handle,
            "tId": session.tenant_id,
            "refreshTokenHash1": refresh_hash,
            "parentRefreshTokenHash1": parent_hash,
            "antiCsrfToken": anti_csrf,
        }
        if self._config.issuer:
            claims["iss"] = self._config.issuer
        return AccessToken(mint_access_token(claims, self._keyring.signing_key(now)), claims)

    def verify_token(self, token: str, anti_csrf_token: str | None = None) -> AccessToken:
        """Signature, algorithm, key and times; no database. Anti-CSRF if the session has it."""
        claims = verify_access_token(token, self._keyring, self._clock())
        if self._config.issuer is not None and claims.get("iss") != self._config.issuer:
            raise Unauthorized("the access token was issued for another issuer", code="TOKEN_CLAIMS_INVALID")
        expected_csrf = claims.get("antiCsrfToken")
        if expected_csrf is not None and (
            anti_csrf_token is None or not secrets.compare_digest(str(expected_csrf), anti_csrf_token)
        ):
            raise Unauthorized("the anti-CSRF token is missing or wrong", code="ANTI_CSRF_FAILED")
        return AccessToken(token, claims)

    # -- lifecycle ------------------------------------------------------------------------------

    def create(
        self,
        user_id: str,
        tenant_id: str,
        payload: Mapping[str, Any],
        data: Mapping[str, Any],
        *,
        anti_csrf: bool = False,
    ) -> IssuedTokens:
        """One conditional PutItem (plus a key load on a cold Lambda)."""
        check_custom_claims(payload, field="accessTokenPayload", limit=self._config.max_custom_claims_bytes)
        check_document_keys(data, field="sessionData")
        now = self._clock()
        handle = str(uuid.uuid4())
        refresh = self._codec().issue(handle, None)
        anti_csrf_token = secrets.token_urlsafe(24) if anti_csrf else None
        session = SessionInfo(
            handle=handle,
            user_id=user_id,
            tenant_id=tenant_id,
            payload=merge({}, payload),
            created_ms=int(now * 1000),
            expires_at=int(now) + self._config.refresh_token_ttl_seconds,
        )
        access = self._mint(
            session, refresh_hash=refresh.hash, parent_hash=None, anti_csrf=anti_csrf_token, now=now
        )
        item: Item = {
            **self._key(handle),
            "userId": {"S": user_id},
            "tenantId": {"S": tenant_id},
            PAYLOAD: encode_document(session.payload),
            DATA: encode_document(merge({}, data)),
            "createdAt": {"N": str(session.created_ms)},
            "expiresAt": {"N": str(session.expires_at)},
            "refreshHash": {"S": refresh.hash},
            "parentRefreshHash": {"S": NO_PARENT},
            "usedChildren": {"M": {}},
            "version": {"N": "1"},
        }
        if anti_csrf_token is not None:
            item["antiCsrfToken"] = {"S": anti_csrf_token}
        # The handle is a fresh uuid4, so if the condition fails the item under it can only be
        # this very put, applied by an attempt whose response was lost before botocore retried it.
        with contextlib.suppress(ConditionFailed):
            self._table.put(item, condition="attribute_not_exists(#h)", names={"#h": "sessionHandle"})
        return IssuedTokens(session, access, refresh, anti_csrf_token)

    def _live_item(self, handle: str, *, online: bool) -> Item:
        item = self._table.get(self._key(handle))
        if item is None or int(item["expiresAt"]["N"]) <= int(self._clock()):
            raise _session_gone(online=online, handle=handle)
        return item

    def get(self, handle: str) -> tuple[SessionInfo, JsonObject]:
        item = self._live_item(handle, online=False)
        return SessionInfo.from_item(item), decode_document(item.get(DATA))

    def verify(self, token: str, *, check_database: bool, anti_csrf_token: str | None = None) -> AccessToken:
        """Verify an access token; with ``check_database`` also reject revoked or expired sessions
        (and note the use of a child refresh token's access token, for theft detection)."""
        access = self.verify_token(token, anti_csrf_token)
        if check_database:
            self._check_database(access)
        return access

    def verify_with_data(
        self, token: str, anti_csrf_token: str | None = None
    ) -> tuple[AccessToken, JsonObject]:
        """Online read of the session data: verify against the database and read the data in one go."""
        access = self.verify_token(token, anti_csrf_token)
        item = self._check_database(access)
        return access, decode_document(item.get(DATA))

    def _check_database(self, access: AccessToken) -> Item:
        """The live session item of a verified token (one GetItem). The first use of an access
        token minted from a child of the current refresh token is recorded (one more write, once
        per rotation), so that presenting the parent again is recognised as theft."""
        handle = access.claims["sessionHandle"]
        item = self._live_item(handle, online=True)
        parent = access.claims.get("parentRefreshTokenHash1")
        if parent and item["refreshHash"]["S"] == parent and parent not in item["usedChildren"]["M"]:
            builder = UpdateBuilder()
            builder.condition(f"attribute_exists({builder.name('sessionHandle')})")
            LiveSession(self._clock(), (parent, access.claims["refreshTokenHash1"])).add_to(builder)
            try:
                self._table.update(self._key(handle), builder.build(), return_values="NONE")
            except ConditionFailed:
                raise _session_gone(online=True, handle=handle) from None
        return item

    # -- access-token payload -------------------------------------------------------------------

    def merge_payload_online(
        self, token: str, update: Mapping[str, Any], anti_csrf_token: str | None = None
    ) -> AccessToken:
        """Verify, merge into the stored payload with one conditional UpdateItem, and return a new
        access token at once (same ``exp``, same refresh-token hashes)."""
        access = self.verify_token(token, anti_csrf_token)
        limit = self._config.max_custom_claims_bytes
        check_custom_claims(update, field="update", limit=limit)
        check_custom_claims(merge(access.payload, update), field="update", limit=limit)
        claims = access.claims
        parent, child = claims.get("parentRefreshTokenHash1"), claims["refreshTokenHash1"]
        now = self._clock()
        handle = claims["sessionHandle"]
        try:
            result = merge_document(
                self._table,
                self._key(handle),
                PAYLOAD,
                update,
                precondition=LiveSession(now, (parent, child) if parent else None),
            )
        except ConditionFailed:
            raise _session_gone(online=True, handle=handle) from None
        self._keep_payload_under_cap(handle, result, update)
        session = replace(SessionInfo.from_item(result.item_before), payload=result.after)
        return self._mint(
            session,
            refresh_hash=child,
            parent_hash=parent,
            anti_csrf=claims.get("antiCsrfToken"),
            now=now,
            expires_at=int(claims["exp"]),
        )

    def merge_payload_offline(self, handle: str, update: Mapping[str, Any]) -> JsonObject:
        """Merge by handle; tokens carry the change from the next refresh on."""
        check_custom_claims(update, field="update", limit=self._config.max_custom_claims_bytes)
        try:
            result = merge_document(
                self._table, self._key(handle), PAYLOAD, update, precondition=LiveSession(self._clock())
            )
        except ConditionFailed:
            raise _session_gone(online=False, handle=handle) from None
        self._keep_payload_under_cap(handle, result, update)
        return result.after

    def _keep_payload_under_cap(self, handle: str, result: MergeResult, update: Mapping[str, Any]) -> None:
        """DynamoDB cannot check a merged map's size in one UpdateItem, and merges checked against
        different snapshots (old tokens, offline) can together pass the cap. So the merge returns
        the exact document it produced; if that is over the cap, this merge is undone on the keys
        that still hold what it wrote (a later write to a key wins) and the caller gets 413."""
        limit = self._config.max_custom_claims_bytes
        size = len(dumps(result.after).encode())
        if size <= limit:
            return
        keys = list(update)
        for start in range(0, len(keys), UNDO_KEYS_PER_UPDATE):  # each chunk fits one expression
            builder = UpdateBuilder()
            document = builder.name(PAYLOAD)
            for key in keys[start : start + UNDO_KEYS_PER_UPDATE]:
                path = f"{document}.{builder.name(key)}"
                if key in result.replaced:
                    builder.set(path, {"S": dumps(result.replaced[key])})
                else:
                    builder.remove(path)
                if update[key] is None:
                    builder.condition(f"attribute_not_exists({path})")
                else:
                    builder.condition(f"{path}={builder.value({'S': dumps(update[key])})}")
            builder.bump_version()
            # A chunk whose keys were written again since is left alone: that later write wins.
            with contextlib.suppress(ConditionFailed):
                self._table.update(self._key(handle), builder.build(), return_values="NONE")
        raise PayloadTooLarge(
            f"the merged custom claims would be {size} bytes; the limit is {limit}",
            code="ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
        )

    # -- session data (database only, never in a token) -----------------------------------------

    def get_data(self, handle: str, *, online: bool = False) -> JsonObject:
        return decode_document(self._live_item(handle, online=online).get(DATA))

    def put_data(self, handle: str, data: Mapping[str, Any], *, online: bool = False) -> JsonObject:
        """Overwrite the whole session data: one conditional UpdateItem."""
        check_document_keys(data, field="sessionData")
        document = merge({}, data)
        builder = UpdateBuilder()
        builder.set(builder.name(DATA), encode_document(document)).bump_version()
        builder.condition(f"attribute_exists({builder.name('sessionHandle')})")
        LiveSession(self._clock()).add_to(builder)
        try:
            self._table.update(self._key(handle), builder.build(), return_values="NONE")
        except ConditionFailed:
            raise _session_gone(online=online, handle=handle) from None
        return document

    def merge_data(self, handle: str, update: Mapping[str, Any], *, online: bool = False) -> JsonObject:
        check_document_keys(update, field="update")
        try:
            result = merge_document(
                self._table, self._key(handle), DATA, update, precondition=LiveSession(self._clock())
            )
        except ConditionFailed:
            raise _session_gone(online=online, handle=handle) from None
        return result.after

    # -- refresh --------------------------------------------------------------------------------

    def refresh(self, token: str) -> IssuedTokens:
        """Rotate the refresh token with one conditional UpdateItem; the condition *is* the
        rotation and theft check, so there is no read-then-write race."""
        presented = self._codec().parse(token)
        handle, presented_hash, parent = presented.session_handle, presented.hash, presented.parent_hash
        now = self._clock()
        child = self._codec().issue(handle, presented_hash)
        builder = UpdateBuilder()
        current, used = builder.name("refreshHash"), builder.name("usedChildren")
        this = builder.value({"S": presented_hash})
        rotate_current = f"{current}={this} AND attribute_not_exists({used}.{builder.name(presented_hash)})"
        if parent is None:
            builder.condition(rotate_current)
        else:
            used_of_parent = f"{used}.{builder.name(parent)}"
            promote_child = (
                f"{current}={builder.value({'S': parent})}"
                f" AND (attribute_not_exists({used_of_parent}) OR {used_of_parent}={this})"
            )
            builder.condition(f"({rotate_current}) OR ({promote_child})")
        LiveSession(now).add_to(builder)
        expires_at = int(now) + self._config.refresh_token_ttl_seconds
        builder.set(current, {"S": presented_hash})
        builder.set(builder.name("parentRefreshHash"), {"S": parent or NO_PARENT})
        builder.set(used, {"M": {}})
        builder.set(builder.name("expiresAt"), {"N": str(expires_at)})
        builder.bump_version()
        try:
            item = self._table.update(self._key(handle), builder.build(), old_item_on_failure=True)
        except ConditionFailed as failure:
            raise self._refresh_refused(presented, failure.item, now) from None
        session = SessionInfo.from_item(item)
        anti_csrf = item.get("antiCsrfToken", {}).get("S")
        access = self._mint(
            session, refresh_hash=child.hash, parent_hash=presented_hash, anti_csrf=anti_csrf, now=now
        )
        return IssuedTokens(session, access, child, anti_csrf)

    def _refresh_refused(self, presented: RefreshToken, item: Item | None, now: float) -> AuthstateError:
        if item is None:
            return Unauthorized("the session was revoked", code="SESSION_REVOKED")
        if int(item["expiresAt"]["N"]) <= int(now):
            return Unauthorized("the session has expired", code="SESSION_EXPIRED")
        parent = presented.parent_hash or NO_PARENT
        current, current_parent = item["refreshHash"]["S"], item["parentRefreshHash"]["S"]
        used = item["usedChildren"]["M"]
        sibling_won = (parent == current and parent in used) or (
            parent == current_parent and presented.hash != current and parent != NO_PARENT
        )
        if sibling_won:
            return Unauthorized(
                "a newer refresh token of this session was used first; use the latest tokens",
                code="REFRESH_TOKEN_SUPERSEDED",
            )
        # A genuine token of an older generation: someone else holds a copy. Revoke the session.
        user_id = item["userId"]["S"]
        self._table.delete(self._key(presented.session_handle))
        return Unauthorized(
            "a refresh token was reused after rotation: the session has been revoked",
            code="TOKEN_THEFT_DETECTED",
            details={"sessionHandle": presented.session_handle, "userId": user_id},
        )

    # -- revocation and listing -----------------------------------------------------------------

    def revoke(self, handle: str) -> bool:
        return self._table.delete(self._key(handle), return_old=True) is not None

    def handles_of_user(self, user_id: str, tenant_id: str | None = None) -> list[str]:
        """Live sessions of a user (all tenants, or one), from the ``byUser`` index, not a scan."""
        names = {"#u": "userId", "#e": "expiresAt"}
        values: dict[str, Any] = {":u": {"S": user_id}, ":now": {"N": str(int(self._clock()))}}
        condition = "#u=:u"
        if tenant_id is not None:
            names["#t"] = "tenantId"
            values[":t"] = {"S": tenant_id}
            condition += " AND #t=:t"
        items = self._table.query(
            IndexName=USER_INDEX,
            KeyConditionExpression=condition,
            FilterExpression="#e>:now",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        return sorted(item["sessionHandle"]["S"] for item in items)

    def revoke_all(self, user_id: str, tenant_id: str | None = None) -> list[str]:
        handles = self.handles_of_user(user_id, tenant_id)
        return [handle for handle in handles if self.revoke(handle)]
