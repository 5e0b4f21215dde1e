"""User metadata: one JSON document per user, shared by all tenants and sessions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authstate.documents.expressions import decode_document
from authstate.documents.jsondoc import JsonObject, check_update_keys
from authstate.identifiers import user_id_key
from authstate.storage.documents import merge_document
from authstate.storage.table import Table

DOCUMENT = "metadata"


def _key(user_id: str) -> dict[str, Any]:
    return {"userId": {"S": user_id_key(user_id)}}


class UserMetadata:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, user_id: str) -> JsonObject:
        """The user's metadata; an unknown user reads as ``{}``."""
        item = self._table.get(_key(user_id), projection=[DOCUMENT])
        return decode_document(item.get(DOCUMENT) if item else None)

    def update(
        self, user_id: str, update: Mapping[str, Any], *, return_document: bool = True
    ) -> JsonObject | None:
        """Root-level merge, all or nothing: one UpdateItem in the steady state (a big merge: a read and
        one write of the whole document). Returns the merged document, or ``None`` without asking
        DynamoDB for it (``return_document=False``). No cap of its own: DynamoDB refuses a write that
        would take the item past 400 KB, as a whole."""
        check_update_keys(update, field="metadataUpdate")
        result = merge_document(
            self._table,
            _key(user_id),
            DOCUMENT,
            update,
            create_if_missing=True,
            return_document=return_document,
        )
        return result.document

    def clear(self, user_id: str) -> None:
        self._table.delete(_key(user_id))
