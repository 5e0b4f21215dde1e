"""How a JSON document sits in an item, as plain values (no I/O): its map, the count and epoch a capped
document keeps beside it (``Counted``, ``Cap``), the extra condition of a write (``Precondition``), what
a merge gives back (``Merged``) and its refusal (``CapExceeded``). ``storage.documents`` writes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authstate.documents import capped
from authstate.documents.expressions import Item, UpdateBuilder, encode_document


class Precondition:
    """An extra condition on a document write (e.g. "the session is live"): ConditionExpression
    clauses added to its UpdateItem, and the same test on an item in hand (a merge that reads first
    decides on it)."""

    def add_to(self, builder: UpdateBuilder) -> None:
        raise NotImplementedError

    def holds(self, item: Item) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Counted:
    """Where a capped document keeps its bookkeeping, beside it in the same item: ``count`` (never
    below the document's weight) and ``epoch`` (bumped by every write that reads first or overwrites).
    Generic: any item's document can have them."""

    count: str
    epoch: str

    @classmethod
    def beside(cls, attribute: str) -> Counted:
        """The attributes named after the document's (``payloadBytes``, ``payloadEpoch``)."""
        return cls(f"{attribute}Bytes", f"{attribute}Epoch")

    def capped_at(self, limit: int) -> Cap:
        return Cap(self.count, self.epoch, limit)


@dataclass(frozen=True)
class Cap(Counted):
    """A counted document's cap, in bytes of compact JSON."""

    limit: int


class CapExceeded(Exception):
    """The merge would take its document past the cap; nothing was written. ``size``: what it would be."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes; the limit is {limit}")
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class Merged:
    """A merge as written: ``item`` the whole item right after it, ``document`` the merged document
    (both empty/``None`` when the merge was asked to return nothing); ``created``: it was the item's
    first write."""

    item: Item
    document: dict[str, Any] | None
    created: bool = False


def counted_attributes(attribute: str, document: Mapping[str, Any], counted: Counted) -> Item:
    """A new item's counted document: the map, its exact count, the first epoch."""
    return {
        attribute: encode_document(document),
        counted.count: {"N": str(capped.weight(document))},
        counted.epoch: {"N": "1"},
    }
