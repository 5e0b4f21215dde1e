"""The root-level merge rule, as a pure function (no I/O).

Each key of the update overwrites the stored key; a key whose value is ``None`` (JSON null) is
removed; nested values are replaced whole, never deep-merged, and nulls inside them are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from authstate.documents.jsondoc import StoredJson, dumps

#: JSON null as a value the merge keeps (stored and returned as ``null``), where ``None`` removes the key.
KEPT_NULL: Final = StoredJson("null")


def merge(old: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new document: ``old`` with ``update`` applied by the root-level rule, root keys sorted
    (every document the service returns has its root keys sorted, however it was built)."""
    result = dict(old)
    for key, value in update.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return dict(sorted(result.items()))


def difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The update that turns ``old`` into ``new`` by the root-level rule: the keys whose value changed
    or appeared, and ``None`` for each key that is gone (``merge(old, difference(old, new))`` is
    ``new`` without its null values). Values are compared as canonical JSON, so equal numbers written
    differently count as changed."""

    changed: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        if key not in old or dumps(old[key]) != dumps(value):
            changed[key] = value
    return changed


def with_nulls_kept(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with its root-level nulls as values to keep, not keys to remove: SuperTokens' core
    stores an access-token payload as it is sent, ``{"k": null}`` included."""
    return {key: KEPT_NULL if value is None else value for key, value in document.items()}
