"""The user-metadata table: every DynamoDB call of a user's metadata, and nothing else. One item per
user: ``userId`` (``identifiers.user_id_key``) and ``metadata``, a map of the document's root keys."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from authstate.documents.expressions import decode_document
from authstate.identifiers import user_id_key
from authstate.recipe.usermetadata.model import Metadata
from authstate.storage.documents import merge_document
from authstate.storage.table import Item, Table

DOCUMENT = "metadata"


def _key(user_id: str) -> Item:
    return {"userId": {"S": user_id_key(user_id)}}


class MetadataStore:
    def __init__(self, table: Table, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """``sleep``: how a merge that lost a race waits before it tries again."""
        self._table = table
        self._sleep = sleep

    def get(self, user_id: str) -> Metadata:
        """One GetItem of the document alone; no item reads as ``{}``."""
        item = self._table.get(_key(user_id), projection=[DOCUMENT])
        return decode_document(item.get(DOCUMENT) if item else None)

    def merge(self, user_id: str, update: Mapping[str, Any], *, return_document: bool) -> Metadata | None:
        """One UpdateItem in the steady state (a big merge: a read and one write of the whole document;
        a first write: one conditional PutItem): ``storage.documents.merge_document``."""
        merged = merge_document(
            self._table,
            _key(user_id),
            DOCUMENT,
            update,
            create_if_missing=True,
            return_document=return_document,
            sleep=self._sleep,
        )
        return merged.document

    def delete(self, user_id: str) -> None:
        self._table.delete(_key(user_id))
