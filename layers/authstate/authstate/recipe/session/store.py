"""The sessions table: every read, UpdateItem and condition expression of a session, and nothing else
(the item itself, both ways: ``session.items``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents.expressions import UpdateBuilder, decode_document
from authstate.identifiers import user_id_key
from authstate.recipe.session.items import (
    DATA,
    DATA_CAP,
    DATA_COUNTED,
    NO_PARENT,
    PAYLOAD,
    PAYLOAD_COUNTED,
    SESSION_ATTRIBUTES,
    STATIC,
    USER_INDEX,
    Live,
    session_from_item,
    session_item,
    session_key,
)
from authstate.recipe.session.model import Session
from authstate.storage.documents import merge_document, overwrite_document
from authstate.storage.table import ConditionFailed, Table


class RotationRefused(Exception):
    """The one-call rotation's condition did not hold; ``session`` is the session as it was then
    (``None`` if there was none), so the refusal can be judged without reading it again."""

    def __init__(self, session: Session | None) -> None:
        super().__init__("rotation refused")
        self.session = session


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
        projection = None if with_data else list(SESSION_ATTRIBUTES)
        item = self._table.get(session_key(handle), projection=projection)
        if item is None:
            return None
        session = session_from_item(item)
        if not session.is_live(now):
            return None
        return session, decode_document(item.get(DATA)) if with_data else {}

    def delete(self, handle: str) -> bool:
        """Revoke: whether there was a session to delete."""
        return self._table.delete(session_key(handle), return_old=True) is not None

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
        """Merge into the session data of a live session, within its limit: the data after it (``None``
        without asking for it). Raises as :meth:`merge_payload`."""
        merged = merge_document(
            self._table,
            session_key(handle),
            DATA,
            update,
            cap=DATA_CAP,
            precondition=Live(now),
            return_document=return_document,
            sleep=self._sleep,
        )
        return merged.document

    def put_data(self, handle: str, data: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole session data of a live session (checked to fit): one conditional UpdateItem."""
        overwrite_document(
            self._table, session_key(handle), DATA, data, counted=DATA_COUNTED, precondition=Live(now)
        )

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
        Live(now).add_to(builder)
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
        Live(now).add_to(builder)
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
            item = self._table.update(session_key(handle), builder.build(), old_item_on_failure=True)
        except ConditionFailed as failure:
            raise RotationRefused(session_from_item(failure.item) if failure.item else None) from None
        return session_from_item(item)


def _signing_key(builder: UpdateBuilder, static_key: bool | None) -> None:
    """Switch the session to the static key or back to the rotating ones (``None``: leave it)."""
    if static_key is True:
        builder.set(builder.name("signingKey"), {"S": STATIC})
    elif static_key is False:
        builder.remove(builder.name("signingKey"))
