"""The root-level merge rule, vector by vector."""

from typing import Any

import pytest

from authstate.documents.merge import merge

VECTORS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "docs example: nested replaced whole, null removes",
        {"preferences": {"theme": "dark"}, "notifications": {"email": True}, "todos": ["use-text-notifs"]},
        {"notifications": {"sms": True}, "todos": None},
        {"preferences": {"theme": "dark"}, "notifications": {"sms": True}},
    ),
    ("null on an empty document is dropped", {}, {"test": "123", "testNull": None}, {"test": "123"}),
    (
        "nested replaced, unmodified kept, cleared removed",
        {"testUpdate": {"subsub": "123"}, "unmodified": "123", "cleared": 123},
        {"testUpdate": {"subsubupdate": "subnew!"}, "testNew": "new!", "cleared": None},
        {"testUpdate": {"subsubupdate": "subnew!"}, "unmodified": "123", "testNew": "new!"},
    ),
    (
        "nulls inside nested values are kept",
        {},
        {"a": {"b": None, "c": [None, 1]}},
        {"a": {"b": None, "c": [None, 1]}},
    ),
    ("removing a missing key is a no-op", {"a": 1}, {"zzz": None}, {"a": 1}),
    ("empty update changes nothing", {"a": 1}, {}, {"a": 1}),
    (
        "falsy values are values, not removals",
        {"a": 1},
        {"a": 0, "b": False, "c": "", "d": [], "e": {}},
        {"a": 0, "b": False, "c": "", "d": [], "e": {}},
    ),
    ("unicode keys and values", {"ключ": "значение"}, {"键": "值", "ключ": None}, {"键": "值"}),
]


@pytest.mark.parametrize(("old", "update", "expected"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_merge(old: dict[str, Any], update: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merge(old, update) == expected


def test_merged_root_keys_are_sorted() -> None:
    assert list(merge({"b": 1, "d": 2}, {"c": 3, "a": 4, "d": None})) == ["a", "b", "c"]


def test_merge_does_not_mutate_its_inputs() -> None:
    old = {"a": {"x": 1}, "b": 2}
    update = {"a": None, "c": 3}
    merge(old, update)
    assert old == {"a": {"x": 1}, "b": 2}
    assert update == {"a": None, "c": 3}
