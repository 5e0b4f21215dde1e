"""``SessionStore.delete_many`` on a store whose single deletion is a small fake (no DynamoDB): each
handle once, in order, the ones that were sessions; a failure raised only after every other
deletion has been tried, so a revocation of all of a user's sessions revokes all it can."""

from __future__ import annotations

import threading

import pytest

from authstate.errors import StorageUnavailable
from authstate.recipe.session.store import SessionStore


class FakeDeletions(SessionStore):
    """A store whose ``delete`` records its handle: ``gone`` was no session, ``broken`` fails."""

    def __init__(self) -> None:  # no tables: delete_many reaches them only through delete
        self.deleted: list[str] = []
        self._lock = threading.Lock()

    def delete(self, handle: str) -> bool:
        with self._lock:
            self.deleted.append(handle)
        if handle == "broken":
            raise StorageUnavailable("DynamoDB did not answer")
        return handle != "gone"


def test_each_handle_is_deleted_once_and_the_sessions_are_answered_in_order() -> None:
    store = FakeDeletions()
    handles = ["c", "a", "gone", "c", "b", "a"] + [f"s{i}" for i in range(20)]
    assert store.delete_many(handles) == ["c", "a", "b", *(f"s{i}" for i in range(20))]
    assert sorted(store.deleted) == sorted(set(handles))


def test_a_failure_is_raised_after_every_other_deletion_was_tried() -> None:
    store = FakeDeletions()
    others = [f"s{i}" for i in range(40)]
    with pytest.raises(StorageUnavailable):
        store.delete_many(["broken", *others])
    assert sorted(store.deleted) == sorted(["broken", *others])


def test_one_handle_or_none_needs_no_threads() -> None:
    store = FakeDeletions()
    before = threading.active_count()
    assert store.delete_many(["a", "a"]) == ["a"]
    assert store.delete_many([]) == []
    assert threading.active_count() == before
    assert store.deleted == ["a"]
