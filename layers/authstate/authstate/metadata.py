"""User metadata: one JSON document per user, shared by all tenants and sessions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authstate.aws import dynamodb_client
from authstate.expressions import decode_document
from authstate.jsondoc import JsonObject, check_document_keys
from authstate.settings import settings
from authstate.store import Table, merge_document

DOCUMENT = "metadata"


class UserMetadata:
    def __init__(self, table: Table) -> None:
        self._table = table

    @classmethod
    def from_settings(cls) -> UserMetadata:
        return cls(Table(settings().user_metadata_table, dynamodb_client))

    @staticmethod
    def _key(user_id: str) -> dict[str, Any]:
        return {"userId": {"S": user_id}}

    def get(self, user_id: str) -> JsonObject:
        item = self._table.get(self._key(user_id), projection=[DOCUMENT])
        return decode_document(item.get(DOCUMENT) if item else None)

    def update(self, user_id: str, update: Mapping[str, Any]) -> JsonObject:
        """Root-level merge; one UpdateItem in the steady state. Returns the merged document."""
        check_document_keys(update, field="metadataUpdate")
        return merge_document(self._table, self._key(user_id), DOCUMENT, update, create_if_missing=True).after

    def clear(self, user_id: str) -> None:
        self._table.delete(self._key(user_id))
