"""The root-level merge rule, as a pure function (no I/O).

Each key of the update overwrites the stored key; a key whose value is ``None`` (JSON null) is
removed; nested values are replaced whole, never deep-merged, and nulls inside them are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
