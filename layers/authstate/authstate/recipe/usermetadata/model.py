"""What user metadata is, as plain values (no I/O): one JSON object per user, root keys sorted; a user
nothing was stored for has the empty one."""

from __future__ import annotations

from typing import Final

from authstate.documents.jsondoc import JsonObject

type Metadata = JsonObject
#: The metadata of a user nothing was stored for (and of one just cleared).
EMPTY: Final[Metadata] = {}
