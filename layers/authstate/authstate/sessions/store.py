"""The sessions table: every read, UpdateItem and condition expression of a session, and nothing else.

One item per session::

    sessionHandle  userId  tenantId  createdAt(ms)  expiresAt(s, also the TTL)  version
    payload   map of custom claims (JSON texts)     data  map of session data (JSON texts)
    payloadBytes, payloadEpoch, dataBytes, dataEpoch   each document's cap bookkeeping
                       (``storage.documents.Counted``: a count that never under-counts its size, and an
                       epoch bumped by the writes that read first or overwrite)
    refreshHash        hash of the current refresh token
    parentRefreshHash  hash of the token the current one was rotated from ("-" for none)
    rotatedAt          when the current refresh token became current (s)
    usedChild          {c: hash, t: s}: the first child of the current token seen in use, and when
    antiCsrfToken      only when the session was created with anti-CSRF
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents.expressions import UpdateBuilder, decode_document
from authstate.identifiers import user_id_key, user_id_of_key
from authstate.limits import MAX_SESSION_DATA_BYTES
from authstate.sessions.model import Session, UsedChild
from authstate.storage.documents import (
    Counted,
    Precondition,
    counted_attributes,
    merge_document,
    overwrite_document,
)
from authstate.storage.table import ConditionFailed, Item, Table

PAYLOAD = "payload"
DATA = "data"
#: Each document's cap bookkeeping. Session data's cap is ``limits.MAX_SESSION_DATA_BYTES``; the
#: custom claims' comes from the settings, with each merge.
PAYLOAD_COUNTED = Counted.beside(PAYLOAD)
DATA_COUNTED = Counted.beside(DATA)
DATA_CAP = DATA_COUNTED.capped_at(MAX_SESSION_DATA_BYTES)
USER_INDEX = "byUser"
NO_PARENT = "-"
#: ``signingKey`` of a session whose tokens the static key signs (absent: the rotating keys).
STATIC = "static"


class RotationRefused(Exception):
    """The one-call rotation's condition did not hold; ``session`` is the session as it was then
    (``None`` if there was none), so the refusal can be judged without reading it again."""

    def __init__(self, session: Session | None) -> None:
        super().__init__("rotation refused")
        self.session = session


class _Live(Precondition):
    """The session has not expired (an expired session reads as missing before the TTL deletes it)."""

    def __init__(self, now: float) -> None:
        self._now = int(now)

    def add_to(self, builder: UpdateBuilder) -> None:
        builder.condition(f"{builder.name('expiresAt')}>{builder.value({'N': str(self._now)})}")

    def holds(self, item: Item) -> bool:
        return int(item["expiresAt"]["N"]) > self._now


def _key(handle: str) -> Item:
    return {"sessionHandle": {"S": handle}}


def session_from_item(item: Item) -> Session:
    used = item.get("usedChild", {}).get("M")
    parent = item["parentRefreshHash"]["S"]
    rotated = item.get("rotatedAt")
    return Session(
        handle=item["sessionHandle"]["S"],
        user_id=user_id_of_key(item["userId"]["S"]),
        tenant_id=item["tenantId"]["S"],
        payload=decode_document(item.get(PAYLOAD)),
        created_ms=int(item["createdAt"]["N"]),
        expires_at=int(item["expiresAt"]["N"]),
        refresh_hash=item["refreshHash"]["S"],
        parent_hash=None if parent == NO_PARENT else parent,
        rotated_at=int(rotated["N"]) if rotated else int(item["createdAt"]["N"]) // 1000,
        used_child=UsedChild(used["c"]["S"], int(used["t"]["N"])) if used else None,
        anti_csrf_token=item.get("antiCsrfToken", {}).get("S"),
        version=int(item["version"]["N"]),
        static_key=item.get("signingKey", {}).get("S") == STATIC,
    )


def session_item(session: Session, data: Mapping[str, Any]) -> Item:
    """The item of a new session (and of one imported from a SuperTokens core)."""
    item: Item = {
        **_key(session.handle),
        "userId": {"S": user_id_key(session.user_id)},
        "tenantId": {"S": session.tenant_id},
        **counted_attributes(PAYLOAD, session.payload, PAYLOAD_COUNTED),
        **counted_attributes(DATA, data, DATA_COUNTED),
        "createdAt": {"N": str(session.created_ms)},
        "expiresAt": {"N": str(session.expires_at)},
        "refreshHash": {"S": session.refresh_hash},
        "parentRefreshHash": {"S": session.parent_hash or NO_PARENT},
        "rotatedAt": {"N": str(session.rotated_at)},
        "version": {"N": str(session.version)},
    }
    if session.anti_csrf_token is not None:
        item["antiCsrfToken"] = {"S": session.anti_csrf_token}
    if session.static_key:
        item["signingKey"] = {"S": STATIC}
    return item


class SessionStore:
    def __init__(self, table: Table, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """``sleep``: how a merge that lost a race waits before it tries again."""
        self._table = table
        self._sleep = sleep

    # -- reads and lifecycle -------------------------------------------------------------------

    def create(self, session: Session, data: Mapping[str, Any]) -> None:
        """One conditional PutItem. The handle is a fresh uuid4, so if the condition fails the item
        under it can only be this very put, applied by an attempt whose response was lost before
        botocore retried it: that is success."""
        with contextlib.suppress(ConditionFailed):
            self._table.put(
                session_item(session, data),
                condition="attribute_not_exists(#h)",
                names={"#h": "sessionHandle"},
            )

    def get(
        self, handle: str, now: float, *, with_data: bool = False
    ) -> tuple[Session, dict[str, Any]] | None:
        """The live session (and its data, if asked) from one consistent GetItem; ``None`` if missing
        or expired."""
        projection = None if with_data else list(_SESSION_ATTRIBUTES)
        item = self._table.get(_key(handle), projection=projection)
        if item is None:
            return None
        session = session_from_item(item)
        if not session.is_live(now):
            return None
        return session, decode_document(item.get(DATA)) if with_data else {}

    def delete(self, handle: str) -> bool:
        """Revoke: whether there was a session to delete."""
        return self._table.delete(_key(handle), return_old=True) is not None

    def handles_of_user(self, user_id: str, tenant_id: str | None, now: float) -> list[str]:
        """Live sessions of a user (all tenants, or one), from the ``byUser`` index, not a scan."""
        names = {"#u": "userId", "#e": "expiresAt"}
        values: dict[str, Any] = {":u": {"S": user_id_key(user_id)}, ":now": {"N": str(int(now))}}
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

    # -- documents -----------------------------------------------------------------------------

    def merge_payload(
        self, handle: str, update: Mapping[str, Any], now: float, *, limit: int, must_fit: bool
    ) -> Session:
        """Merge into the custom claims of a live session, within ``limit`` bytes (``storage.documents``:
        one UpdateItem unless near it); the session right after it. ``must_fit``: a token will be
        minted from it, so even a merge that shrinks claims over a lowered cap is refused.
        Raises ``CapExceeded`` (nothing written) or ``ConditionFailed`` (no live session)."""
        cap = PAYLOAD_COUNTED.capped_at(limit)
        merged = merge_document(
            self._table,
            _key(handle),
            PAYLOAD,
            update,
            cap=cap,
            must_fit=must_fit,
            precondition=_Live(now),
            sleep=self._sleep,
        )
        return session_from_item(merged.item)

    def merge_data(
        self, handle: str, update: Mapping[str, Any], now: float, *, return_document: bool = True
    ) -> dict[str, Any] | None:
        """Merge into the session data of a live session, within its limit: the data after it (``None``
        without asking for it). Raises as :meth:`merge_payload`."""
        merged = merge_document(
            self._table,
            _key(handle),
            DATA,
            update,
            cap=DATA_CAP,
            precondition=_Live(now),
            return_document=return_document,
            sleep=self._sleep,
        )
        return merged.document

    def put_data(self, handle: str, data: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole session data of a live session (checked to fit): one conditional UpdateItem."""
        overwrite_document(
            self._table, _key(handle), DATA, data, counted=DATA_COUNTED, precondition=_Live(now)
        )

    def put_payload(self, handle: str, payload: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole custom claims of a live session (what a SuperTokens SDK's offline
        merge asks for: it has read the claims and sends them back merged; last writer wins)."""
        overwrite_document(
            self._table, _key(handle), PAYLOAD, payload, counted=PAYLOAD_COUNTED, precondition=_Live(now)
        )

    # -- refresh-token state -------------------------------------------------------------------

    def record_child_use(self, handle: str, parent_hash: str, child_hash: str, now: float) -> None:
        """Note the first use of an access token minted from a child of the current refresh token, so
        that presenting the current token again later is theft. Once per rotation; a no-op if the
        parent is no longer current or a child was recorded first."""
        builder = UpdateBuilder()
        used = builder.name("usedChild")
        builder.set(used, {"M": {"c": {"S": child_hash}, "t": {"N": str(int(now))}}}).bump_version()
        builder.condition(f"{builder.name('refreshHash')}={builder.value({'S': parent_hash})}")
        builder.condition(f"attribute_not_exists({used})")
        _Live(now).add_to(builder)
        with contextlib.suppress(ConditionFailed):
            self._table.update(_key(handle), builder.build(), return_values="NONE")

    def rotate(
        self,
        handle: str,
        presented_hash: str,
        parent_hash: str | None,
        now: float,
        expires_at: int,
        *,
        static_key: bool | None = None,
    ) -> Session:
        """The one-call rotation (design note §4): accept the current token if none of its children was
        used (a retry), or the first use of a child of the current token (promote it to current).
        The condition *is* the check, so there is no read-then-write race. Raises
        :class:`RotationRefused` with the session as it was, read by the failed call itself."""
        builder = UpdateBuilder()
        current, used = builder.name("refreshHash"), builder.name("usedChild")
        this = builder.value({"S": presented_hash})
        retry = f"{current}={this} AND attribute_not_exists({used})"
        if parent_hash is None:
            builder.condition(retry)
        else:
            promote = (
                f"{current}={builder.value({'S': parent_hash})}"
                f" AND (attribute_not_exists({used}) OR {used}.{builder.name('c')}={this})"
            )
            builder.condition(f"({retry}) OR ({promote})")
        _Live(now).add_to(builder)
        # A retry leaves the state as it is (its parent is the stored parent); a promotion moves it on.
        builder.set(current, {"S": presented_hash})
        builder.set(builder.name("parentRefreshHash"), {"S": parent_hash or NO_PARENT})
        builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
        builder.set(builder.name("expiresAt"), {"N": str(expires_at)})
        builder.remove(used).bump_version()
        _signing_key(builder, static_key)
        return self._update_state(handle, builder)

    def join(
        self,
        handle: str,
        session: Session,
        head: str,
        *,
        promote: bool,
        now: float,
        expires_at: int,
        static_key: bool | None = None,
    ) -> Session:
        """Let a refresh token that lost a race within the reuse window join the winning branch:
        promote ``head`` if asked, extend the session; only if the state is still ``session``'s."""
        builder = UpdateBuilder()
        builder.condition(f"{builder.name('version')}={builder.value({'N': str(session.version)})}")
        _Live(now).add_to(builder)
        if promote:
            builder.set(builder.name("refreshHash"), {"S": head})
            builder.set(builder.name("parentRefreshHash"), {"S": session.refresh_hash})
            builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
            builder.remove(builder.name("usedChild"))
        builder.set(builder.name("expiresAt"), {"N": str(expires_at)}).bump_version()
        _signing_key(builder, static_key)
        return self._update_state(handle, builder)

    def _update_state(self, handle: str, builder: UpdateBuilder) -> Session:
        try:
            item = self._table.update(_key(handle), builder.build(), old_item_on_failure=True)
        except ConditionFailed as failure:
            raise RotationRefused(session_from_item(failure.item) if failure.item else None) from None
        return session_from_item(item)


def _signing_key(builder: UpdateBuilder, static_key: bool | None) -> None:
    """Switch the session to the static key or back to the rotating ones (``None``: leave it)."""
    if static_key is True:
        builder.set(builder.name("signingKey"), {"S": STATIC})
    elif static_key is False:
        builder.remove(builder.name("signingKey"))


#: Everything but the session data: what a read that does not return the data fetches.
_SESSION_ATTRIBUTES = (
    "sessionHandle",
    "userId",
    "tenantId",
    PAYLOAD,
    "createdAt",
    "expiresAt",
    "refreshHash",
    "parentRefreshHash",
    "rotatedAt",
    "usedChild",
    "antiCsrfToken",
    "version",
    "signingKey",
)
