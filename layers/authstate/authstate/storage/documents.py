"""The one place a JSON document attribute of an item is merged or overwritten (design §2, §3).

A document is a map attribute, one entry per root key (``documents.expressions``). A *capped* document
also has, beside it, a stored count that never under-counts its weight (``documents.capped``: compact
size minus one) and an ``epoch`` that only the writes which read first (or overwrite) bump:

- **fast**: a merge of at most ``MERGE_KEYS_PER_UPDATE`` keys is one UpdateItem that SETs/REMOVEs its
  keys and, for a capped document, ADDs its growth to the count under ``count <= cap - 1 - growth``;
- **near the cap** (that condition failed): the failed call returns the item as it was; the merge is
  decided exactly on it, and one UpdateItem writes its keys, makes the count exact again and bumps the
  epoch, under ``epoch`` unchanged and ``count <= limit`` (``documents.capped.decide``);
- **big** (more keys): one consistent read, the merge in memory, and one UpdateItem of the whole
  document (its count exact) under ``version`` unchanged.

A refused merge writes nothing; every merge is one atomic write, so readers see all of it or none.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents import capped
from authstate.documents.expressions import UpdateBuilder, decode_document, encode_document
from authstate.documents.items import Cap, CapExceeded, Counted, Merged, Precondition, counted_attributes
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_CREATE_ATTEMPTS, MAX_MERGE_ATTEMPTS, MERGE_KEYS_PER_UPDATE
from authstate.storage.table import ConditionFailed, Item, ReturnValue, Table

#: First pause between two attempts of a merge that lost a race, in seconds (doubled each time, jittered).
RETRY_PAUSE = 0.004


def merge_document(
    table: Table,
    key: Item,
    attribute: str,
    update: Mapping[str, Any],
    *,
    cap: Cap | None = None,
    must_fit: bool = False,
    precondition: Precondition | None = None,
    create_if_missing: bool = False,
    created_with: Item | None = None,
    return_document: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> Merged:
    """Root-level merge of ``update`` into the document ``attribute`` of one item, all or nothing.

    - ``cap``: refused with :class:`CapExceeded` (nothing written) if the merged document would be
      over it; a merge that does not grow a document already over it (the cap was lowered) is kept
      unless ``must_fit``.
    - Item missing and ``create_if_missing``: a conditional put of the update (a first write), with
      the attributes ``created_with`` beside it.
    - ``return_document=False``: nothing is asked back (``Merged({}, None)``).
    - ``sleep``: how a write that lost a race waits before it tries again (a test's clock skips it).
    Raises :class:`ConditionFailed` (with the item as it was) if the item or the precondition does
    not hold, ``409 CONFLICT`` if concurrent writes keep winning ``MAX_MERGE_ATTEMPTS`` times."""
    merger = _Merger(
        table, key, attribute, update, cap, must_fit, precondition, return_document, created_with or {}, sleep
    )
    for _ in range(MAX_CREATE_ATTEMPTS):
        item = merger.whole(table.get(key)) if len(update) > MERGE_KEYS_PER_UPDATE else merger.fast()
        if isinstance(item, Merged):
            return item
        if not create_if_missing or (item is not None and attribute in item):
            raise ConditionFailed(item)
        created = merger.create()
        if created is not None:
            return created
        # Another first write won: the item exists now, so merge into it.
    raise _recreated()


def overwrite_document(
    table: Table,
    key: Item,
    attribute: str,
    document: Mapping[str, Any],
    *,
    counted: Counted,
    precondition: Precondition | None = None,
    created_with: Item | None = None,
) -> bool:
    """Replace a capped document whole (the caller has checked it fits): one conditional UpdateItem
    that also sets its count exactly and bumps its epoch, so no merge decided on the old one lands.
    With ``created_with``, a missing item is created instead (a conditional put of the document and
    these attributes); whether it was is returned."""
    for _ in range(MAX_CREATE_ATTEMPTS):
        builder = UpdateBuilder()
        builder.set(builder.name(attribute), encode_document(document))
        builder.set(builder.name(counted.count), {"N": str(capped.weight(document))})
        builder.add(builder.name(counted.epoch), {"N": "1"}).bump_version()
        builder.condition(f"attribute_exists({builder.name(attribute)})")
        if precondition is not None:
            precondition.add_to(builder)
        try:
            table.update(
                key, builder.build(), return_values="NONE", old_item_on_failure=created_with is not None
            )
        except ConditionFailed as failure:
            if created_with is None or failure.item is not None:
                raise
            new = {**key, **counted_attributes(attribute, document, counted), **_FIRST, **created_with}
            if _first_write(table, key, new):
                return True
            continue  # another first write won: overwrite it
        return False
    raise _recreated()


#: What every item created by a document write starts with.
_FIRST: Item = {"version": {"N": "1"}}


def _first_write(table: Table, key: Item, item: Item) -> bool:
    """A conditional put of a new item; ``False`` if another write created it first."""
    try:
        table.put(item, condition="attribute_not_exists(#k)", names={"#k": next(iter(key))})
    except ConditionFailed:
        return False
    return True


def _recreated() -> AuthstateError:
    message = "the item was deleted and created again concurrently; retry"
    return AuthstateError(ErrorCode.CONFLICT, message)


class _Merger:
    """One merge's calls: each returns the :class:`Merged` result, or the item (``None``: missing) on
    which the merge cannot go on (gone, or its precondition false) for the caller to judge."""

    def __init__(
        self,
        table: Table,
        key: Item,
        attribute: str,
        update: Mapping[str, Any],
        cap: Cap | None,
        must_fit: bool,
        precondition: Precondition | None,
        return_document: bool,
        created_with: Item,
        sleep: Callable[[float], None],
    ) -> None:
        self.table, self.key, self.attribute, self.update = table, key, attribute, update
        self.cap, self.must_fit, self.precondition, self.sleep = cap, must_fit, precondition, sleep
        self.returns: ReturnValue = "ALL_NEW" if return_document else "NONE"
        self.created_with = created_with

    def _builder(self) -> UpdateBuilder:
        builder = UpdateBuilder().bump_version()
        builder.condition(f"attribute_exists({builder.name(self.attribute)})")
        if self.precondition is not None:
            self.precondition.add_to(builder)
        return builder

    def _usable(self, item: Item | None) -> bool:
        return (
            item is not None
            and self.attribute in item
            and (self.precondition is None or self.precondition.holds(item))
        )

    def _write(self, builder: UpdateBuilder) -> Merged:
        item = self.table.update(
            self.key, builder.build(), return_values=self.returns, old_item_on_failure=True
        )
        if self.returns == "NONE":
            return Merged({}, None)
        return Merged(item, decode_document(item.get(self.attribute)))

    def fast(self) -> Merged | Item | None:
        """One UpdateItem of the keys; for a capped document, bounded by its count (no read)."""
        builder = self._builder().merge_document(self.attribute, self.update)
        grows = capped.growth(self.update) if self.cap is not None else 0
        if self.cap is not None and grows:  # a merge that only removes cannot grow the document
            count = builder.name(self.cap.count)
            builder.add(count, {"N": str(grows)})
            builder.condition(
                f"{count}<={builder.value({'N': str(capped.fast_limit(self.cap.limit, grows))})}"
            )
        try:
            return self._write(builder)
        except ConditionFailed as failure:
            if self.cap is None or not self._usable(failure.item):
                return failure.item
            return self.near_cap(self.cap, failure.item)

    def near_cap(self, cap: Cap, item: Item | None) -> Merged | Item | None:
        """Decide on the item as the failed call returned it, write under ``epoch`` and the count's
        limit; a write that lost a race returns the item as it is now, to decide on again."""

        def exact(item: Item) -> UpdateBuilder:
            count = _number(item, cap.count)
            decision = self._decide(cap, decode_document(item[self.attribute]), count)
            builder = self._builder().merge_document(self.attribute, self.update)
            _same_epoch(builder, cap, item)
            name = builder.name(cap.count)
            if count is None:  # written before counts existed: no merge without a read touches it
                builder.set(name, {"N": str(decision.weight)})
                builder.condition(f"attribute_not_exists({name})")
            else:
                builder.add(name, {"N": str(decision.add)})
                builder.condition(f"{name}<={builder.value({'N': str(decision.limit)})}")
            return builder

        return self._until_written(item, exact)

    def whole(self, item: Item | None) -> Merged | Item | None:
        """A merge too big for one expression: the whole merged document in one UpdateItem, under the
        item's ``version`` (which every write bumps) as it was read."""

        def rewrite(item: Item) -> UpdateBuilder:
            before = decode_document(item[self.attribute])
            builder = UpdateBuilder().bump_version()
            if self.cap is not None:
                decision = self._decide(self.cap, before, None)
                builder.set(builder.name(self.cap.count), {"N": str(decision.weight)})
                builder.add(builder.name(self.cap.epoch), {"N": "1"})
            builder.set(builder.name(self.attribute), encode_document(merge(before, self.update)))
            version = item.get("version")
            if version is None:
                builder.condition(f"attribute_not_exists({builder.name('version')})")
                builder.condition(f"attribute_exists({builder.name(self.attribute)})")
            else:
                builder.condition(f"{builder.name('version')}={builder.value(version)}")
            if self.precondition is not None:
                self.precondition.add_to(builder)
            return builder

        return self._until_written(item, rewrite)

    def _until_written(
        self, item: Item | None, build: Callable[[Item], UpdateBuilder]
    ) -> Merged | Item | None:
        """Write what ``build`` makes of the item in hand. A write that lost a race gets the item as it
        now is from its own failure and builds again: jittered backoff, at most ``MAX_MERGE_ATTEMPTS``."""
        for attempt in range(MAX_MERGE_ATTEMPTS):
            if item is None or not self._usable(item):
                return item
            try:
                return self._write(build(item))
            except ConditionFailed as failure:
                item = failure.item
                self.sleep(_pause(attempt))
        raise _conflict()

    def _decide(self, cap: Cap, document: Mapping[str, Any], count: int | None) -> capped.Accepted:
        """The exact decision on the document in hand; a refusal writes nothing."""
        decision = capped.decide(document, count, self.update, cap.limit, must_fit=self.must_fit)
        if isinstance(decision, capped.Refused):
            raise CapExceeded(decision.size, cap.limit)
        return decision

    def create(self) -> Merged | None:
        """A first write: a conditional put of the update; ``None`` if another first write won."""
        document = merge({}, self.update)
        item: Item = {**self.key, **_FIRST}
        if self.cap is not None:
            self._decide(self.cap, {}, None)
            item.update(counted_attributes(self.attribute, document, self.cap))
        else:
            item[self.attribute] = encode_document(document)
        item.update(self.created_with)
        if not _first_write(self.table, self.key, item):
            return None
        return Merged(item, document, True) if self.returns != "NONE" else Merged({}, None, True)


def _same_epoch(builder: UpdateBuilder, cap: Cap, item: Item) -> None:
    """Condition on the epoch as read (none yet: still none), and bump it."""
    name = builder.name(cap.epoch)
    epoch = item.get(cap.epoch)
    if epoch is None:
        builder.condition(f"attribute_not_exists({name})")
    else:
        builder.condition(f"{name}={builder.value(epoch)}")
    builder.add(name, {"N": "1"})


def _number(item: Item, attribute: str) -> int | None:
    value = item.get(attribute)
    return None if value is None else int(value["N"])


def _pause(attempt: int) -> float:
    """Full jitter: a random pause up to ``RETRY_PAUSE * 2**attempt``, so racing writers spread out."""
    return random.uniform(0, RETRY_PAUSE * 2**attempt)  # noqa: S311 - not a secret


def _conflict() -> AuthstateError:
    message = f"the document kept changing under this merge ({MAX_MERGE_ATTEMPTS} attempts); retry"
    return AuthstateError(ErrorCode.CONFLICT, message)
