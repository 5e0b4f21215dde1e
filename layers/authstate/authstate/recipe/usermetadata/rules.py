"""The user-metadata rules that need no I/O: an update is a root-level merge of a bounded number of keys
DynamoDB can store (``documents.jsondoc``); there is no cap of its own: DynamoDB refuses a write that
would take the user's item past 400 KB, as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authstate.documents.jsondoc import check_update_keys


def check_update(update: Mapping[str, Any]) -> None:
    check_update_keys(update, field="metadataUpdate")
