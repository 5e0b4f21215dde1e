"""The session-data table: every call on a session's data item, and the writes on the session's item
that keep it and its data in step (design §4; the items themselves: ``session.items``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents.expressions import UpdateBuilder, decode_document
from authstate.documents.items import counted_attributes
from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_MERGE_ATTEMPTS
from authstate.recipe.session.items import (
    DATA,
    DATA_CAP,
    DATA_COUNTED,
    DATA_HOME,
    DATA_UNTIL,
    EXPIRES,
    MOVED_FROM,
    Live,
    seconds,
    session_key,
)
from authstate.recipe.session.model import Session
from authstate.storage.documents import merge_document, overwrite_document
from authstate.storage.table import ConditionFailed, Item, Table


def put_new(table: Table, item: Item) -> None:
    """A conditional PutItem of a new item. Its handle is a fresh uuid4, so if the condition fails the
    item under it can only be this very put, applied by an attempt whose response was lost before
    botocore retried it: that is success."""
    with contextlib.suppress(ConditionFailed):
        table.put(item, condition="attribute_not_exists(#h)", names={"#h": "sessionHandle"})


class DataStore:
    """A session's data in its own item. ``data_margin``: how long a data item is kept past the
    session's expiry when its own is set, so a refresh extends it at most once every ``data_margin``
    seconds of the session's life, and data outlives an expired session by at most that (design §4).
    ``sleep``: how a merge that lost a race waits before it tries again."""

    def __init__(
        self,
        table: Table,
        data_table: Table,
        *,
        data_margin: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self._data = data_table
        self._data_margin = data_margin
        self._sleep = sleep

    def until(self, expires_at: int) -> int:
        """When a data item expires, for a session that expires at ``expires_at``."""
        return expires_at + self._data_margin

    def create(self, session: Session, data: Mapping[str, Any]) -> Item:
        """A new session's data item (put before the session's); the session item's ``dataExpiresAt``."""
        until = {"N": str(self.until(session.expires_at))}
        item = {**session_key(session.handle), **counted_attributes(DATA, data, DATA_COUNTED)}
        put_new(self._data, {**item, "version": {"N": "1"}, EXPIRES: until})
        return until

    def delete(self, handle: str) -> None:
        self._data.delete(session_key(handle))

    def data_of(self, handle: str, item: Item) -> dict[str, Any] | None:
        """The data of the session ``item`` (just read, live); ``None`` if it was revoked since."""
        if DATA in item:  # stored before session data had an item of its own
            return decode_document(item[DATA])
        if DATA_UNTIL not in item:
            return {}
        stored = self._data.get(session_key(handle))
        if stored is not None:
            return decode_document(stored.get(DATA))
        # No data item: its first write has not landed yet, or a revocation deleted both items since
        # the session's was read (then no data may be shown).
        return {} if self._table.get(session_key(handle), projection=[EXPIRES]) is not None else None

    def merge_data(
        self, handle: str, update: Mapping[str, Any], now: float, *, return_document: bool = True
    ) -> dict[str, Any] | None:
        """Merge into the session data of a live session, within its limit: the data after it (``None``
        without asking for it). Raises as :meth:`merge_payload`."""

        def written(created_with: Item) -> tuple[dict[str, Any] | None, bool]:
            merged = merge_document(
                self._data,
                session_key(handle),
                DATA,
                update,
                cap=DATA_CAP,
                create_if_missing=True,
                created_with=created_with,
                return_document=return_document,
                sleep=self._sleep,
            )
            return merged.document, merged.created

        return self._write_data(handle, now, written)

    def put_data(self, handle: str, data: Mapping[str, Any], now: float) -> None:
        """Overwrite the whole session data of a live session (checked to fit): one conditional
        UpdateItem of its item (after the session's read, as every data write)."""

        def written(created_with: Item) -> tuple[None, bool]:
            key = session_key(handle)
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
        key = session_key(handle)
        copied = False  # this write put a copy of data moved out of the session's item
        for _ in range(MAX_MERGE_ATTEMPTS):
            item = self._table.get(key, projection=list(DATA_HOME))
            if item is None and copied:
                self._data.delete(key)  # revoked while its data was being moved out
            if item is None or not Live(now).holds(item):
                raise ConditionFailed(None)
            if DATA in item:
                copied = self.move_out(handle, item, now) or copied
                continue
            until = seconds(item, DATA_UNTIL)
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
        Live(now).add_to(builder)
        try:
            self._table.update(session_key(handle), builder.build(), return_values="NONE")
        except ConditionFailed:
            return None
        return until

    def move_out(self, handle: str, item: Item, now: float) -> bool:
        """A session stored with its data in its item (read as ``item``): put a copy of the data in a
        data item, then remove it from the session's item under its ``version`` as read (no
        transaction: MRSC global tables have none). Readers follow the session's item, so they see the
        data in it until that second write, in the data item from then on: the same data. Whether the
        copy was put.

        The copy is marked with the version it was taken from, and put only over an older one: a
        later attempt (the session changed meanwhile) replaces it, a stale one (read before another
        write moved the data out and wrote into the data item since) cannot. If the session was
        revoked meanwhile, the copy is deleted again."""
        key = session_key(handle)
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
        Live(now).add_to(builder)
        try:
            self._table.update(key, builder.build(), return_values="NONE", old_item_on_failure=True)
        except ConditionFailed as failure:
            if failure.item is None:  # revoked since it was read (its deletion saw no data item to
                self._data.delete(key)  # delete): a revoked session leaves no data behind
            # otherwise the session changed: whoever moves it out next reads it again
        return True

    def extend(self, handle: str, until: int) -> None:
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
            self._data.update(session_key(handle), builder.build(), return_values="NONE")
