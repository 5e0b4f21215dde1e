"""The sessions table: every read, UpdateItem and condition expression of a session's own item (its
data's item: ``session.data_store``; the items both ways: ``session.items``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from authstate.documents.expressions import UpdateBuilder
from authstate.identifiers import user_id_key
from authstate.recipe.session.data_store import DataStore, put_new
from authstate.recipe.session.items import (
    DATA,
    DATA_UNTIL,
    EXPIRES,
    NO_PARENT,
    PAYLOAD,
    PAYLOAD_COUNTED,
    SESSION_ATTRIBUTES,
    USER_INDEX,
    Live,
    data_expires_first,
    session_attributes,
    session_from_item,
    session_key,
    signing_key,
)
from authstate.recipe.session.model import Session
from authstate.storage.documents import merge_document, overwrite_document
from authstate.storage.table import ConditionFailed, Table

#: Deletions under way at once when many sessions are revoked: DynamoDB answers each in milliseconds,
#: so one after another, a user's 3 000 sessions (two items each) outlasted the function's 10 s timeout.
#: Below botocore's connection pool (10), so no connection is opened and thrown away.
DELETE_CONCURRENCY = 8


class RotationRefused(Exception):
    """The one-call rotation's condition did not hold; ``session`` is the session as it was then
    (``None`` if there was none), so the refusal can be judged without reading it again."""

    def __init__(self, session: Session | None) -> None:
        super().__init__("rotation refused")
        self.session = session


class SessionStore:
    """``data``: the session-data table's store, which writes its items. ``sleep``: how a merge that
    lost a race waits before it tries again."""

    def __init__(self, table: Table, data: DataStore, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._table = table
        self._data_store = data
        self._sleep = sleep

    # -- reads and lifecycle -------------------------------------------------------------------

    def create(self, session: Session, data: Mapping[str, Any]) -> None:
        """One PutItem; with session data, its item is put first, so that whoever finds the session
        finds its data."""
        item = session_attributes(session)
        if data:
            item[DATA_UNTIL] = self._data_store.create(session, data)
        put_new(self._table, item)

    def get(
        self, handle: str, now: float, *, with_data: bool = False
    ) -> tuple[Session, dict[str, Any]] | None:
        """The live session (and its data, if asked) from one consistent GetItem (two with session data
        in its own item); ``None`` if missing or expired."""
        projection = None if with_data else list(SESSION_ATTRIBUTES)
        item = self._table.get(session_key(handle), projection=projection)
        if item is None:
            return None
        session = session_from_item(item)
        if not session.is_live(now):
            return None
        if not with_data:
            return session, {}
        data = self._data_store.data_of(handle, item)
        return None if data is None else (session, data)

    def delete(self, handle: str) -> bool:
        """Revoke: the session's item (from then on the session reads as missing, its data too), then
        its data's. Whether there was a session to delete."""
        old = self._table.delete(session_key(handle), return_old=True)
        if old is None:
            return False
        if DATA_UNTIL in old:
            self._data_store.delete(handle)
        return True

    def delete_many(self, handles: Sequence[str]) -> list[str]:
        """Revoke many sessions (all of a user's, a list of handles), :data:`DELETE_CONCURRENCY` at a
        time: each as :meth:`delete` does (its session's item, then its data's), so a revocation
        changes nothing a reader may see but its speed. The handles that were sessions, in order, once
        each. A failure (DynamoDB unavailable) is raised after every other deletion has been tried."""
        unique = list(dict.fromkeys(handles))
        if len(unique) <= 1:
            return [handle for handle in unique if self.delete(handle)]
        # Imported here: its thread pool is a rare need, and every session function's cold start would pay.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(DELETE_CONCURRENCY, len(unique))) as pool:
            deletions = [pool.submit(self.delete, handle) for handle in unique]
        # All have ended (the pool waited for them): the first failure, if any, is raised now.
        return [handle for handle, deletion in zip(unique, deletions, strict=True) if deletion.result()]

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
            self._table,
            session_key(handle),
            PAYLOAD,
            update,
            cap=cap,
            must_fit=must_fit,
            precondition=Live(now),
            sleep=self._sleep,
        )
        return session_from_item(merged.item)

    def merge_data(
        self, handle: str, update: Mapping[str, Any], now: float, *, return_document: bool = True
    ) -> dict[str, Any] | None:
        """Merge into the session data of a live session, within its limit (``DataStore.merge_data``)."""
        return self._data_store.merge_data(handle, update, now, return_document=return_document)

    def put_data(self, handle: str, data: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole session data of a live session (``DataStore.put_data``)."""
        self._data_store.put_data(handle, data, now)

    def put_payload(self, handle: str, payload: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole custom claims of a live session (what a SuperTokens SDK's offline
        merge asks for: it has read the claims and sends them back merged; last writer wins)."""
        overwrite_document(
            self._table,
            session_key(handle),
            PAYLOAD,
            payload,
            counted=PAYLOAD_COUNTED,
            precondition=Live(now),
        )

    def record_child_use(self, handle: str, parent_hash: str, child_hash: str, now: float) -> None:
        """Note the first use of an access token minted from a child of the current refresh token, so
        that presenting the current token again later is theft. Once per rotation; a no-op if the
        parent is no longer current or a child was recorded first."""
        builder = UpdateBuilder()
        used = builder.name("usedChild")
        builder.set(used, {"M": {"c": {"S": child_hash}, "t": {"N": str(int(now))}}}).bump_version()
        builder.condition(f"{builder.name('refreshHash')}={builder.value({'S': parent_hash})}")
        builder.condition(f"attribute_not_exists({used})")
        Live(now).add_to(builder)
        with contextlib.suppress(ConditionFailed):
            self._table.update(session_key(handle), builder.build(), return_values="NONE")

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
            Live(now).add_to(builder)
            # A retry leaves the state as it is (its parent is the stored parent); a promotion moves it on.
            builder.set(current, {"S": presented_hash})
            builder.set(builder.name("parentRefreshHash"), {"S": parent_hash or NO_PARENT})
            builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
            builder.remove(used)
            signing_key(builder, static_key)

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
            Live(now).add_to(builder)
            if promote:
                builder.set(builder.name("refreshHash"), {"S": head})
                builder.set(builder.name("parentRefreshHash"), {"S": session.refresh_hash})
                builder.set(builder.name("rotatedAt"), {"N": str(int(now))})
                builder.remove(builder.name("usedChild"))
            signing_key(builder, static_key)

        return self._update_state(handle, build, now, expires_at)

    def _update_state(
        self, handle: str, build: Callable[[UpdateBuilder], None], now: float, expires_at: int
    ) -> Session:
        """The refresh state ``build`` writes, the session extended to ``expires_at``: never past its
        data item's expiry. If the data would expire first, the failed call (which returned the
        session as it was) is followed by the data item's extension and the same write, noting it."""
        key = session_key(handle)
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
                if extended is None and old is not None and data_expires_first(old, now, expires_at):
                    extended = self._data_store.until(expires_at)
                    self._data_store.extend(handle, extended)
                    continue
                if old is None and extended is not None:  # revoked meanwhile: the extension may have
                    self._data_store.delete(handle)  # made a data item again
                raise RotationRefused(session_from_item(old) if old else None) from None
            if item.get(DATA, {}).get("M"):  # session data still in the session's item: moved out now,
                self._data_store.move_out(handle, item, now)  # once, rather than paid for by every refresh
            return session_from_item(item)
