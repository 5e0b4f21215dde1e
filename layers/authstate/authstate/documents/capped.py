"""The arithmetic of a capped document (pure: no I/O): its size counted entry by entry, the bound a
merge's write carries in its condition, and the exact decision a merge near the cap takes from the
document as it was read. ``storage.capped`` makes the calls; docs/design.md §2 says why it holds.

A non-empty document's compact JSON is ``{`` + its entries joined by ``,`` + ``}``, so its size is
``1 + sum(entry + 1)``, where an entry is ``"key":value`` in UTF-8 bytes. The *weight* of a document
is that sum (``size - 1``; 0 for ``{}``, whose size is 2), and a document fits a cap iff
``weight + 1 <= cap``. A weight is additive: a merge changes it by what it adds and removes, key by
key, which is what lets a stored count follow the document with ``ADD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authstate.documents.jsondoc import dumps
from authstate.documents.merge import merge


def entry_weight(key: str, value: Any) -> int:
    """One entry's share of a document's size: ``"key":value`` and the comma (or brace) after it."""
    return len(dumps(key).encode("utf-8")) + len(dumps(value).encode("utf-8")) + 2


def weight(document: Mapping[str, Any]) -> int:
    """``size(document) - 1`` for a non-empty document, 0 for ``{}``."""
    return sum(entry_weight(key, value) for key, value in document.items())


def size_of(document_weight: int) -> int:
    """The compact size of a document of this weight (``jsondoc.size``, without encoding it)."""
    return document_weight + 1 if document_weight else 2


def growth(update: Mapping[str, Any]) -> int:
    """The most a merge of ``update`` can add to any document's weight: the weight of what it sets
    (it may replace entries, which only makes the real change smaller; a null removes, adding 0)."""
    return sum(entry_weight(key, value) for key, value in update.items() if value is not None)


def fast_limit(cap: int, update_growth: int) -> int:
    """The merge that does not read: conditioned on ``count <= fast_limit`` and adding its growth, it
    leaves ``count <= cap - 1``, so the document (whose weight the count never under-counts) fits."""
    return cap - 1 - update_growth


@dataclass(frozen=True)
class Accepted:
    """A merge decided from the document as read (``count`` the stored count then, ``None`` if the
    item has none yet). Its write makes the stored count ``weight + (count now - count then)``:

    - ``after``: the document the merge makes of the one read (exact when nothing else wrote since);
    - ``weight``: its exact weight;
    - ``add``: what the write ADDs to the stored count (``weight - count then``); ignored when there
      was no count (the write SETs it to ``weight``, conditioned on there still being none);
    - ``limit``: the write's condition, ``count <= limit``: with it the count after the write is at
      most ``max(cap - 1, weight)``, whatever the merges that wrote without reading added meanwhile.
    """

    after: dict[str, Any]
    weight: int
    add: int
    limit: int


@dataclass(frozen=True)
class Refused:
    """The merge would leave the document over the cap: ``size`` is what it would measure."""

    size: int


def decide(
    document: Mapping[str, Any],
    count: int | None,
    update: Mapping[str, Any],
    cap: int,
    *,
    must_fit: bool,
) -> Accepted | Refused:
    """The exact decision on ``update`` merged into ``document`` (as read, with the stored ``count``).

    Refused iff the merged document is over the cap, except that a merge which does not grow a
    document already over it (a cap lowered since) is kept, unless a token must be minted from the
    result (``must_fit``). A kept over-cap document is bounded by its own weight instead of the cap,
    so it can only shrink until it fits."""
    before = weight(document)
    after = merge(document, update)
    after_weight = weight(after)
    if size_of(after_weight) > cap and (must_fit or after_weight > before):
        return Refused(size_of(after_weight))
    stored = before if count is None else count
    bound = max(cap - 1, after_weight)
    return Accepted(after, after_weight, after_weight - stored, bound - after_weight + stored)
