"""Hypothesis strategies for JSON documents and root-level updates, and an exact comparison.

Root keys are the hostile part: any Unicode (no lone surrogates, which ``jsondoc`` rejects before
anything is stored), biased towards characters that mean something in DynamoDB expressions or
document paths (``.``, ``[0]``, ``#``, ``:``), reserved words, our own attribute names, emoji and
keys at exactly ``MAX_KEY_BYTES``. Empty and over-long root keys are not generated here: they are
rejected by design (``INVALID_KEY``) and tested on their own.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from hypothesis import strategies as st

from authstate.documents.jsondoc import LARGEST_INTEGER, dumps
from authstate.limits import MAX_KEY_BYTES

#: Fragments that are syntax somewhere: expression paths and placeholders, JSON, our attribute names.
HOSTILE_FRAGMENTS = [
    ".",
    "..",
    "[0]",
    "[",
    "]",
    "#",
    "#0",
    ":",
    ":0",
    "a.b",
    "a[1].b",
    "#k.#v",
    " ",
    "\t",
    "\n",
    "\x00",
    '"',
    "\\",
    "{}",
    "null",
    "SET",
    "REMOVE",
    "version",
    "metadata",
    "userId",
    "attribute_exists(#0)",
    "😀",
    "👩‍👩‍👧",
    "🏳️‍🌈",
    "ключ",
    "日本語",
    "\u200b",
    "\ufeff",
    "é",
    "e\u0301",
]


def _longest_key(character: str) -> str:
    """A root key of exactly MAX_KEY_BYTES, made of ``character`` (padded with ``k``)."""
    size = len(character.encode("utf-8"))
    return character * (MAX_KEY_BYTES // size) + "k" * (MAX_KEY_BYTES % size)


#: Root keys of exactly the largest allowed size, in 1-, 2-, 3- and 4-byte characters.
edge_keys = st.sampled_from(["k", "é", "€", "😀"]).map(_longest_key)


def key_bytes(key: str) -> int:
    return len(key.encode("utf-8"))


def document_bytes(document: dict[str, Any]) -> int:
    """Roughly what the document weighs in a DynamoDB item: its keys and JSON texts."""
    return sum(key_bytes(key) + len(dumps(value).encode()) for key, value in document.items())


def valid_root_key(key: str) -> bool:
    return key != "" and key_bytes(key) <= MAX_KEY_BYTES


_characters = st.characters(codec="utf-8")  # every code point but surrogates
_key_pieces = st.one_of(st.text(_characters, min_size=1, max_size=6), st.sampled_from(HOSTILE_FRAGMENTS))

#: A valid root-level key (non-empty, at most MAX_KEY_BYTES of UTF-8).
root_keys = st.one_of(
    st.lists(_key_pieces, min_size=1, max_size=4).map("".join),
    st.text(_characters, min_size=1, max_size=12),
    edge_keys,
).filter(valid_root_key)

#: Keys below the root: anything, the empty key included (it lives inside JSON text).
nested_keys = st.one_of(st.text(_characters, max_size=8), st.sampled_from(["", *HOSTILE_FRAGMENTS[:12]]))


def _long_integer(digits: int) -> int:
    """An integer of exactly ``abs(digits)`` digits, negative for negative ``digits``."""
    value = int("9" + "1" * (abs(digits) - 1))
    return value if digits > 0 else -value


integers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64),
    st.integers(min_value=-(10**40), max_value=10**40),
    # 38 digits is DynamoDB's number ceiling; 2**53 + 1 is not a double; LARGEST_INTEGER is the
    # largest a double reads as finite (309 digits).
    st.sampled_from([38, -38, 39, -39, 100, 300, -300]).map(_long_integer),
    st.sampled_from([2**53 + 1, LARGEST_INTEGER, -LARGEST_INTEGER]),
)
floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308]),
)
scalars = st.one_of(st.booleans(), integers, floats, st.text(_characters, max_size=10))


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(nested_keys, children, max_size=4))


#: Any JSON value, nulls included at every level below the root.
json_values = st.recursive(st.none() | scalars, _containers, max_leaves=12)
#: A JSON value that is not null itself (a root value; nulls may still be nested inside).
non_null_values = st.one_of(scalars, _containers(json_values))

#: A value (or null) of at most 200 bytes of JSON: ~300 of them stay far below DynamoDB's 400 KB.
small_values = json_values.filter(lambda v: len(dumps(v).encode()) <= 200)

#: A stored document: no nulls at the root (a null root key is never stored).
documents = st.dictionaries(root_keys, non_null_values, max_size=8)


@st.composite
def updates(draw: st.DrawFn, existing: list[str] | None = None) -> dict[str, Any]:
    """A root-level update: new keys and (when given) keys of the stored document, about half of them null."""
    keys = st.sampled_from(existing) | root_keys if existing else root_keys
    values = st.one_of(st.none(), json_values)
    return draw(st.dictionaries(keys, values, max_size=8))


@st.composite
def bulk_updates(draw: st.DrawFn, existing: list[str] | None = None) -> dict[str, Any]:
    """An update with more root keys than one UpdateItem writes (a merge in parts).

    Drawing hundreds of independent keys would overflow Hypothesis' data budget, so a few drawn
    stems and values are spread over 251-320 keys; the drawn small update is merged on top."""
    count = draw(st.integers(min_value=251, max_value=320))
    stems = draw(st.lists(root_keys.map(lambda k: k[:16]), min_size=1, max_size=3))
    pool = draw(st.lists(small_values, min_size=1, max_size=4))
    update: dict[str, Any] = {f"{stems[i % len(stems)]}#{i}": pool[i % len(pool)] for i in range(count)}
    update.update(draw(updates(existing)))
    return update


def assert_exactly_equal(actual: Any, expected: Any, path: str = "$") -> None:
    """Equal as JSON with exact types: bool is not int, int is not float, -0.0 is not 0.0."""
    assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert set(actual) == set(expected), f"{path}: keys differ"
        for key, value in expected.items():
            assert_exactly_equal(actual[key], value, f"{path}[{key!r}]")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: lengths differ"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_exactly_equal(a, e, f"{path}[{index}]")
    elif isinstance(expected, float):
        assert struct.pack(">d", actual) == struct.pack(">d", expected), f"{path}: {actual!r} != {expected!r}"
        assert not math.isnan(actual)
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
