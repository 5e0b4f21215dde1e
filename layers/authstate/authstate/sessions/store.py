"""The sessions' two tables: every read, write and condition expression of a session, and nothing else.

One item per session in the sessions table, its claims and refresh-token state (small, whatever its
session data)::

    sessionHandle  userId  tenantId  createdAt(ms)  expiresAt(s, also the TTL)  version
    payload            map of custom claims (JSON texts)
    payloadBytes, payloadEpoch   its cap bookkeeping (``storage.documents.Counted``: a count that never
                       under-counts its size, and an epoch bumped by the writes that read first or overwrite)
    refreshHash        hash of the current refresh token
    parentRefreshHash  hash of the token the current one was rotated from ("-" for none)
    rotatedAt          when the current refresh token became current (s)
    usedChild          {c: hash, t: s}: the first child of the current token seen in use, and when
    antiCsrfToken      only when the session was created with anti-CSRF
    dataExpiresAt      once the session has session data: its data item lives at least until then (s)

and, for a session with session data, one item in the session-data table (docs/design.md §4)::

    sessionHandle  data (map of JSON texts)  dataBytes, dataEpoch  version  expiresAt (s, the TTL)

A session stored before its data had an item of its own (or imported by ``tools/migrate``) keeps
``data``, ``dataBytes`` and ``dataEpoch`` on its item: they are read from there, and moved out by the
session's next data write or refresh.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents.expressions import UpdateBuilder, decode_document
from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import user_id_key, user_id_of_key
from authstate.limits import MAX_MERGE_ATTEMPTS, MAX_SESSION_DATA_BYTES
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
EXPIRES = "expiresAt"
#: On a data item moved out of its session's item: the session's ``version`` it was copied from.
MOVED_FROM = "movedFrom"
#: On a session's item, once it has session data: the data item lives at least until then. No write
#: sets the session's ``expiresAt`` past it (design §4), so the TTL never deletes a live session's data.
DATA_UNTIL = "dataExpiresAt"
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


def _seconds(item: Item, attribute: str) -> int | None:
    value = item.get(attribute)
    return None if value is None else int(value["N"])


def _data_expires_first(item: Item, now: float, expires_at: int) -> bool:
    """A live session whose data item would expire before ``expires_at``."""
    data_until = _seconds(item, DATA_UNTIL)
    return data_until is not None and data_until < expires_at and _Live(now).holds(item)


def _put_new(table: Table, item: Item) -> None:
    """A conditional PutItem of a new item. Its handle is a fresh uuid4, so if the condition fails the
    item under it can only be this very put, applied by an attempt whose response was lost before
    botocore retried it: that is success."""
    with contextlib.suppress(ConditionFailed):
        table.put(item, condition="attribute_not_exists(#h)", names={"#h": "sessionHandle"})


def _session_attributes(session: Session) -> Item:
    """A session's own attributes: everything its item holds but session data."""
    item: Item = {
        **_key(session.handle),
        "userId": {"S": user_id_key(session.user_id)},
        "tenantId": {"S": session.tenant_id},
        **counted_attributes(PAYLOAD, session.payload, PAYLOAD_COUNTED),
        "createdAt": {"N": str(session.created_ms)},
        EXPIRES: {"N": str(session.expires_at)},
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


def session_item(session: Session, data: Mapping[str, Any]) -> Item:
    """The item of a session with its data in it: as sessions were stored before their data had an item
    of its own, and as the importer (``tools/migrate``) stores them. Read as such; the data is moved
    out by the session's next data write or refresh."""
    return {**_session_attributes(session), **counted_attributes(DATA, data, DATA_COUNTED)}


class SessionStore:
    """``data_table``: the session-data table. ``data_margin``: how long a data item is kept past the
    session's expiry when its own is set, so a refresh extends it at most once every ``data_margin``
    seconds of the session's life, and data outlives an expired session by at most that (design §4)."""

    def __init__(self, table: Table, data_table: Table, *, data_margin: int) -> None:
        self._table = table
        self._data = data_table
        self._data_margin = data_margin

    # -- reads and lifecycle -------------------------------------------------------------------

    def create(self, session: Session, data: Mapping[str, Any]) -> None:
        """One PutItem; with session data, its item is put first, so that whoever finds the session
        finds its data."""
        item = _session_attributes(session)
        if data:
            until = {"N": str(session.expires_at + self._data_margin)}
            _put_new(
                self._data,
                {
                    **_key(session.handle),
                    **counted_attributes(DATA, data, DATA_COUNTED),
                    "version": {"N": "1"},
                    EXPIRES: until,
                },
            )
            item[DATA_UNTIL] = until
        _put_new(self._table, item)

    def get(
        self, handle: str, now: float, *, with_data: bool = False
    ) -> tuple[Session, dict[str, Any]] | None:
        """The live session (and its data, if asked) from one consistent GetItem (two with session data
        in its own item); ``None`` if missing or expired."""
        projection = None if with_data else list(_SESSION_ATTRIBUTES)
        item = self._table.get(_key(handle), projection=projection)
        if item is None:
            return None
        session = session_from_item(item)
        if not session.is_live(now):
            return None
        if not with_data:
            return session, {}
        data = self._data_of(handle, item)
        return None if data is None else (session, data)

    def _data_of(self, handle: str, item: Item) -> dict[str, Any] | None:
        """The data of the session ``item`` (just read, live); ``None`` if it was revoked since."""
        if DATA in item:  # stored before session data had an item of its own
            return decode_document(item[DATA])
        if DATA_UNTIL not in item:
            return {}
        stored = self._data.get(_key(handle))
        if stored is not None:
            return decode_document(stored.get(DATA))
        # No data item: its first write has not landed yet, or a revocation deleted both items since
        # the session's was read (then no data may be shown).
        return {} if self._table.get(_key(handle), projection=[EXPIRES]) is not None else None

    def delete(self, handle: str) -> bool:
        """Revoke: the session's item (from then on the session reads as missing, its data too), then
        its data's. Whether there was a session to delete."""
        old = self._table.delete(_key(handle), return_old=True)
        if old is None:
            return False
        if DATA_UNTIL in old:
            self._data.delete(_key(handle))
        return True

    def handles_of_user(self, user_id: str, tenant_id: str | None, now: float) -> list[str]:
        """Live sessions of a user (all tenants, or one), from the ``byUser`` index, not a scan."""
        names = {"#u": "userId", "#e": EXPIRES}
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
            self._table, _key(handle), PAYLOAD, update, cap=cap, must_fit=must_fit, precondition=_Live(now)
        )
        return session_from_item(merged.item)

    def merge_data(
        self, handle: str, update: Mapping[str, Any], now: float, *, return_document: bool = True
    ) -> dict[str, Any] | None:
        """Merge into the session data of a live session, within its limit: the data after it (``None``
        without asking for it). Raises as :meth:`merge_payload`."""

        def written(created_with: Item) -> tuple[dict[str, Any] | None, bool]:
            merged = merge_document(
                self._data,
                _key(handle),
                DATA,
                update,
                cap=DATA_CAP,
                create_if_missing=True,
                created_with=created_with,
                return_document=return_document,
            )
            return merged.document, merged.created

        return self._write_data(handle, now, written)

    def put_data(self, handle: str, data: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole session data of a live session (checked to fit): one conditional
        UpdateItem of its item (after the session's read, as every data write)."""

        def written(created_with: Item) -> tuple[None, bool]:
            key = _key(handle)
            return None, overwrite_document(
                self._data, key, DATA, data, counted=DATA_COUNTED, created_with=created_with
            )

        self._write_data(handle, now, written)

    def _write_data(
        self, handle: str, now: float, written: Callable[[Item], tuple[dict[str, Any] | None, bool]]
    ) -> dict[str, Any] | None:
        """Every data write (design §4): a consistent read of the session's item (live? where is its
        data?), then

        - data still in the session's item (stored before it had one of its own): moved out first
          (:meth:`_move_out`), then read again;
        - no data item yet: its expiry is noted on the session's item first (:meth:`_note_data`);
        - ``written`` writes the data item (creating it with that expiry if missing) and says whether it
          created it. A write that created it while a revocation deleted the session (between the read
          and the write) deletes it again and is refused: a revoked session leaves no data behind.

        Raises ``ConditionFailed`` if the session is gone or expired, ``409 CONFLICT`` if it kept
        changing under the first steps ``MAX_MERGE_ATTEMPTS`` times."""
        key = _key(handle)
        copied = False  # this write put a copy of data moved out of the session's item
        for _ in range(MAX_MERGE_ATTEMPTS):
            item = self._table.get(key, projection=list(_DATA_HOME))
            if item is None and copied:
                self._data.delete(key)  # revoked while its data was being moved out
            if item is None or not _Live(now).holds(item):
                raise ConditionFailed(None)
            if DATA in item:
                copied = self._move_out(handle, item, now) or copied
                continue
            until = _seconds(item, DATA_UNTIL)
            if until is None:
                until = self._note_data(handle, item, now)
            if until is None:
                continue
            result, created = written({EXPIRES: {"N": str(until)}})
            if created and self._table.get(key, projection=[EXPIRES]) is None:
                self._data.delete(key)
                raise ConditionFailed(None)
            return result
        raise AuthstateError(ErrorCode.CONFLICT, "the session kept changing under this data write; retry")

    def _note_data(self, handle: str, item: Item, now: float) -> int | None:
        """Before a session's first data item: note its expiry on the session's item, so that no refresh
        extends the session past it. ``None`` if the session changed since ``item`` was read."""
        until = int(item[EXPIRES]["N"]) + self._data_margin
        builder = UpdateBuilder()
        name = builder.name(DATA_UNTIL)
        builder.set(name, {"N": str(until)}).bump_version()
        builder.condition(f"attribute_not_exists({name})")
        builder.condition(f"attribute_not_exists({builder.name(DATA)})")
        builder.condition(f"{builder.name(EXPIRES)}<={builder.value({'N': str(until)})}")
        _Live(now).add_to(builder)
        try:
            self._table.update(_key(handle), builder.build(), return_values="NONE")
        except ConditionFailed:
            return None
        return until

    def _move_out(self, handle: str, item: Item, now: float) -> bool:
        """A session stored with its data in its item (read as ``item``): put a copy of the data in a
        data item, then remove it from the session's item under its ``version`` as read (no
        transaction: MRSC global tables have none). Readers follow the session's item, so they see the
        data in it until that second write, in the data item from then on: the same data. Whether the
        copy was put.

        The copy is marked with the version it was taken from, and put only over an older one: a
        later attempt (the session changed meanwhile) replaces it, a stale one (read before another
        write moved the data out and wrote into the data item since) cannot."""
        key = _key(handle)
        until = {"N": str(int(item[EXPIRES]["N"]) + self._data_margin)}
        version = item["version"]
        copy = {
            **key,
            **counted_attributes(DATA, decode_document(item[DATA]), DATA_COUNTED),
            "version": {"N": "1"},
            EXPIRES: until,
            MOVED_FROM: version,
        }
        condition = "attribute_not_exists(#h) OR #m < :v"
        try:
            self._data.put(
                copy,
                condition=condition,
                names={"#h": "sessionHandle", "#m": MOVED_FROM},
                values={":v": version},
            )
        except ConditionFailed:
            return False
        builder = UpdateBuilder()
        for attribute in (DATA, DATA_COUNTED.count, DATA_COUNTED.epoch):
            builder.remove(builder.name(attribute))
        builder.set(builder.name(DATA_UNTIL), until).bump_version()
        builder.condition(f"{builder.name('version')}={builder.value(version)}")
        _Live(now).add_to(builder)
        with contextlib.suppress(ConditionFailed):  # the session changed: read it again
            self._table.update(key, builder.build(), return_values="NONE")
        return True

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

        def build(builder: UpdateBuilder) -> None:
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
            builder.remove(used)
            _signing_key(builder, static_key)

        return self._update_state(handle, build, now, expires_at)

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

        def build(builder: UpdateBuilder) -> None:
            builder.condition(f"{builder.name('version')}={builder.value({'N': str(session.version)})}")
            _Live(now).add_to(builder)
            if promote:
                builder.set(builder.name("refreshHash"), {"S": head})
                builder.set(builder.name("parentRefreshHash"), {"S": session.refresh_hash})
                builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
                builder.remove(builder.name("usedChild"))
            _signing_key(builder, static_key)

        return self._update_state(handle, build, now, expires_at)

    def _update_state(
        self, handle: str, build: Callable[[UpdateBuilder], None], now: float, expires_at: int
    ) -> Session:
        """The refresh state ``build`` writes, the session extended to ``expires_at``: never past its
        data item's expiry. If the data would expire first, the failed call (which returned the
        session as it was) is followed by the data item's extension and the same write, noting it."""
        key = _key(handle)
        extended: int | None = None
        while True:
            builder = UpdateBuilder()
            build(builder)
            builder.set(builder.name(EXPIRES), {"N": str(expires_at)}).bump_version()
            until = builder.name(DATA_UNTIL)
            if extended is None:
                builder.condition(
                    f"attribute_not_exists({until}) OR {until}>={builder.value({'N': str(expires_at)})}"
                )
            else:
                builder.set(until, {"N": str(extended)})
            try:
                item = self._table.update(key, builder.build(), old_item_on_failure=True)
            except ConditionFailed as failure:
                old = failure.item
                if extended is None and old is not None and _data_expires_first(old, now, expires_at):
                    extended = expires_at + self._data_margin
                    self._extend_data(handle, extended)
                    continue
                if old is None and extended is not None:
                    self._data.delete(key)  # revoked meanwhile: the extension may have made an item again
                raise RotationRefused(session_from_item(old) if old else None) from None
            if item.get(DATA, {}).get("M"):  # session data still in the session's item: moved out now,
                self._move_out(handle, item, now)  # once, rather than paid for by every refresh
            return session_from_item(item)

    def _extend_data(self, handle: str, until: int) -> None:
        """Keep the session's data item at least until ``until`` (never shortened). A missing one is
        created empty: its first write, which noted the expiry it read, may still be on its way, and
        then merges into this one."""
        builder = UpdateBuilder()
        expires, document, count = builder.name(EXPIRES), builder.name(DATA), builder.name(DATA_COUNTED.count)
        later = builder.value({"N": str(until)})
        builder.set_expression(expires, later)
        builder.set_expression(document, f"if_not_exists({document},{builder.value({'M': {}})})")
        builder.set_expression(count, f"if_not_exists({count},{builder.value({'N': '0'})})")
        builder.condition(f"attribute_not_exists({expires}) OR {expires}<{later}")
        with contextlib.suppress(ConditionFailed):
            self._data.update(_key(handle), builder.build(), return_values="NONE")


def _signing_key(builder: UpdateBuilder, static_key: bool | None) -> None:
    """Switch the session to the static key or back to the rotating ones (``None``: leave it)."""
    if static_key is True:
        builder.set(builder.name("signingKey"), {"S": STATIC})
    elif static_key is False:
        builder.remove(builder.name("signingKey"))


#: What a data write reads first: is the session live, and where is its data.
_DATA_HOME = (EXPIRES, DATA_UNTIL, DATA, DATA_COUNTED.count, "version")

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
