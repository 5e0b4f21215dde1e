"""User metadata: what the API and the CDI call. The rules are in ``usermetadata.rules``, every DynamoDB
call in ``usermetadata.store``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authstate.recipe.usermetadata import rules
from authstate.recipe.usermetadata.model import Metadata
from authstate.recipe.usermetadata.store import MetadataStore


class UserMetadata:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    def get(self, user_id: str) -> Metadata:
        """The user's metadata; an unknown user reads as ``{}``."""
        return self._store.get(user_id)

    def update(
        self, user_id: str, update: Mapping[str, Any], *, return_document: bool = True
    ) -> Metadata | None:
        """Root-level merge, all or nothing. Returns the merged document, or ``None`` without asking
        DynamoDB for it (``return_document=False``)."""
        rules.check_update(update)
        return self._store.merge(user_id, update, return_document=return_document)

    def clear(self, user_id: str) -> None:
        """Deletes the user's item: the metadata reads ``{}`` (``model.EMPTY``) from now on."""
        self._store.delete(user_id)
