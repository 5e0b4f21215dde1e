"""The error groups of the user-metadata recipe's routes (``edge.responses``: the groups every route
shares)."""

from __future__ import annotations

from authstate.edge.responses import ErrorGroup
from authstate.errors import ErrorCode as E

#: A user's metadata, all of which lives in one item.
METADATA_WRITE: ErrorGroup = (E.ITEM_TOO_LARGE,)
