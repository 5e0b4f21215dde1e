"""Pure properties of a capped document (``documents.capped``): the additive size, the bound a merge's
growth puts on its change, the exact decision, and a model of random interleavings of merges that do
not read, merges that read first, whole-document merges and overwrites against an in-memory store
with DynamoDB's conditional writes: the document never exceeds the cap and the stored count never
under-counts it, after every single write (design §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from authstate.documents import capped
from authstate.documents.jsondoc import size
from authstate.documents.merge import merge
from authstate.limits import MAX_MERGE_ATTEMPTS
from tests.property.strategies import documents, root_keys, small_values, updates

PURE = settings(max_examples=300, deadline=None, derandomize=True, database=None)
MODEL = settings(max_examples=400, deadline=None, derandomize=True, database=None)


@PURE
@given(documents)
def test_the_weight_is_the_compact_size_counted_entry_by_entry(document: dict[str, Any]) -> None:
    assert capped.size_of(capped.weight(document)) == size(document)


@PURE
@given(st.data())
def test_a_merge_never_grows_a_document_by_more_than_its_growth(data: st.DataObject) -> None:
    document = data.draw(documents)
    update = data.draw(updates(list(document)))
    change = capped.weight(merge(document, update)) - capped.weight(document)
    assert change <= capped.growth(update)


@PURE
@given(st.data(), st.integers(256, 2048), st.booleans())
def test_the_decision_is_exact(data: st.DataObject, cap: int, must_fit: bool) -> None:
    document = data.draw(documents)
    update = data.draw(updates(list(document)))
    after = merge(document, update)
    decision = capped.decide(document, capped.weight(document), update, cap, must_fit=must_fit)
    grows = size(after) > size(document)
    if size(after) > cap and (must_fit or grows):
        assert decision == capped.Refused(size(after))
    else:
        assert isinstance(decision, capped.Accepted)
        assert decision.after == after
        assert decision.weight == capped.weight(after)


def test_the_empty_document_and_one_entry_measure_as_dumps_does() -> None:
    assert capped.size_of(capped.weight({})) == size({}) == 2
    assert capped.entry_weight("é", "x") == len('"é":"x",'.encode())
    assert capped.fast_limit(100, 10) == 89  # count + 10 <= 99: the document then fits in 100


# -- a model: the storage's conditional writes, interleaved at random --------------------------------


@dataclass
class Store:
    """One item: the document, its count and epoch (``None``: written before they existed), version."""

    document: dict[str, Any]
    count: int | None
    epoch: int | None
    version: int = 1

    def snapshot(self) -> Store:
        return Store(dict(self.document), self.count, self.epoch, self.version)


@dataclass
class Writer:
    """One request's merge as ``storage.documents`` makes it, one DynamoDB call per step."""

    kind: str  # "merge" (fast, then near the cap), "whole" (a big merge), "overwrite"
    update: dict[str, Any]
    must_fit: bool
    read: Store | None = None  # what its last failed call (or read) returned
    attempts: int = 0
    outcome: str | None = None  # "written", "refused", "conflict"
    log: list[str] = field(default_factory=list)

    def step(self, store: Store, cap: int) -> None:
        if self.kind == "overwrite":
            store.document = merge({}, self.update)
            store.count, store.epoch = capped.weight(store.document), (store.epoch or 0) + 1
            store.version += 1
            self.outcome = "written"
        elif self.kind == "whole":
            self._whole(store, cap)
        elif self.read is None:
            self._fast(store, cap)
        else:
            self._near_cap(store, cap)

    def _fast(self, store: Store, cap: int) -> None:
        grows = capped.growth(self.update)
        if grows and (store.count is None or store.count > capped.fast_limit(cap, grows)):
            self.read = store.snapshot()  # ReturnValuesOnConditionCheckFailure
            return
        store.document = merge(store.document, self.update)
        if grows:
            assert store.count is not None
            store.count += grows
        store.version += 1
        self.outcome = "written"

    def _near_cap(self, store: Store, cap: int) -> None:
        assert self.read is not None
        read = self.read
        decision = capped.decide(read.document, read.count, self.update, cap, must_fit=self.must_fit)
        if isinstance(decision, capped.Refused):
            # Refused on what it read: that state, merged with the update, was over the cap.
            assert size(merge(read.document, self.update)) == decision.size > cap
            self.outcome = "refused"
            return
        if read.count is None:  # SET count, under attribute_not_exists(count)
            count, written = (decision.weight, True) if store.count is None else (None, False)
        else:  # ADD to the count, under count <= limit
            written = store.count is not None and store.count <= decision.limit
            count = store.count + decision.add if store.count is not None else None
        if written and store.epoch == read.epoch:
            store.document = merge(store.document, self.update)
            store.count = count
            store.epoch = (store.epoch or 0) + 1
            store.version += 1
            self.outcome = "written"
            return
        self._lost(store)

    def _lost(self, store: Store) -> None:
        """The write's condition failed: it returns the item as it is now, to decide on again."""
        self.attempts += 1
        self.read = store.snapshot()
        if self.attempts >= MAX_MERGE_ATTEMPTS:
            self.outcome = "conflict"

    def _whole(self, store: Store, cap: int) -> None:
        if self.read is None:
            self.read = store.snapshot()  # the consistent GetItem
            return
        decision = capped.decide(self.read.document, None, self.update, cap, must_fit=self.must_fit)
        if isinstance(decision, capped.Refused):
            self.outcome = "refused"
            return
        if store.version == self.read.version:
            store.document, store.count = decision.after, decision.weight
            store.epoch, store.version = (store.epoch or 0) + 1, store.version + 1
            self.outcome = "written"
            return
        self._lost(store)


#: Few keys, so that writers collide on them; values of every size up to about a third of the cap.
_keys = st.sampled_from(["a", "b", "c", "d", "é", "😀"]) | root_keys
_values = st.one_of(st.none(), small_values, st.integers(1, 120).map(lambda n: "x" * n))
_update = st.dictionaries(_keys, _values, min_size=1, max_size=4)


@st.composite
def writers(draw: st.DrawFn) -> Writer:
    kind = draw(st.sampled_from(["merge"] * 6 + ["whole", "overwrite"]))
    update = draw(_update)
    if kind == "overwrite":
        update = {key: value for key, value in update.items() if value is not None}
    return Writer(kind, update, must_fit=draw(st.booleans()))


@MODEL
@given(st.data(), st.integers(150, 400), st.booleans())
def test_interleaved_writers_never_pass_the_cap_and_the_count_never_under_counts(
    data: st.DataObject, cap: int, legacy: bool
) -> None:
    start = data.draw(st.dictionaries(_keys, st.integers(1, 150).map(lambda n: "y" * n), max_size=3))
    while start and size(start) > cap:
        start.pop(next(iter(start)))
    store = Store(start, None if legacy else capped.weight(start), None if legacy else 1)
    team = data.draw(st.lists(writers(), min_size=2, max_size=8))
    team = [w for w in team if w.kind != "overwrite" or size(merge({}, w.update)) <= cap] or team[:0]
    steps = 0
    while (pending := [w for w in team if w.outcome is None]) and steps < 200:
        writer = pending[data.draw(st.integers(0, len(pending) - 1))]
        writer.step(store, cap)
        steps += 1
        assert size(store.document) <= cap, f"over the cap after {writer.kind} {writer.update}"
        if store.count is not None:
            assert store.count >= capped.weight(store.document), "the count under-counts"
    note(f"outcomes {[w.outcome for w in team]}")
    assert all(w.outcome is not None for w in team)


@MODEL
@given(st.data())
def test_a_merge_that_fits_alone_is_only_refused_by_what_was_written_before_its_decision(
    data: st.DataObject,
) -> None:
    """Every refusal is decided on a state some write actually left (never on a pending one): with
    writers that never make the document over the cap, a refused merge's update over the state it
    read is over the cap, which ``Writer._near_cap`` asserts; here the team is only good merges of
    one key each, against a document with room for all of them at once: none is refused."""
    cap = 2000
    team = [Writer("merge", {f"k{i}": "v" * data.draw(st.integers(1, 150))}, must_fit=True) for i in range(8)]
    team += [Writer("merge", {f"k{i}": None}, must_fit=False) for i in range(data.draw(st.integers(0, 3)))]
    store = Store({"pad": "p" * 400}, capped.weight({"pad": "p" * 400}) + data.draw(st.integers(0, 900)), 1)
    while pending := [w for w in team if w.outcome is None]:
        pending[data.draw(st.integers(0, len(pending) - 1))].step(store, cap)
    assert [w.outcome for w in team if w.outcome != "written"] == []


@pytest.mark.parametrize("count", [None, 5])
def test_a_kept_merge_over_a_lowered_cap_bounds_the_count_by_its_own_weight(count: int | None) -> None:
    document = {"a": "x" * 100, "b": "y" * 100}
    decision = capped.decide(document, count, {"a": "x"}, 50, must_fit=False)
    assert isinstance(decision, capped.Accepted)
    assert decision.weight == capped.weight({"a": "x", "b": "y" * 100})
    stored = capped.weight(document) if count is None else count
    assert decision.limit == stored  # no merge that does not read may have added anything meanwhile
