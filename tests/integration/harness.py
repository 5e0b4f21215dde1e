"""The sessions service against DynamoDB Local, with a controlled clock: what the integration tests of
sessions share (``harness`` fixture in conftest.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from authstate.config import Settings
from authstate.documents.capped import weight
from authstate.documents.expressions import encode_document
from authstate.errors import AuthstateError
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.model import IssuedTokens
from authstate.recipe.session.providers import session_store
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.service import Sessions
from authstate.storage.table import Table
from tests.clock import ManualClock
from tests.settings import settings_with
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "sessionHandle"
WINDOW = 10
SETTINGS = settings_with(
    ACCESS_TOKEN_TTL_SECONDS="3600",
    REFRESH_TOKEN_TTL_SECONDS="86400",
    REFRESH_REUSE_WINDOW_SECONDS=str(WINDOW),
)


@dataclass
class Harness:
    sessions: Sessions
    clock: ManualClock
    make: Any  # (config=SETTINGS) -> Sessions sharing keys and MAC key, with a client of its own


def make_harness(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> Harness:
    clock = ManualClock(1_800_000_000.0)
    mac_key = secrets.token_bytes(32)

    def make(connection: DynamoDBClient = dynamodb, config: Settings = SETTINGS) -> Sessions:
        keys_table = Table(table_names["SigningKeysTable"], lambda: connection)
        keyring = KeyRing(
            keys_table,
            rotation_seconds=SETTINGS.signing_key_rotation_seconds,
            access_token_ttl_seconds=SETTINGS.access_token_ttl_seconds,
            partition=f"keys-{unique_id}",
        )
        codec = RefreshTokenCodec(mac_key)
        store = session_store(config, lambda name: Table(name, lambda: connection), clock.sleep)
        return Sessions(store, keyring, lambda: codec, config, clock)

    sessions = make()
    sessions.create("warm-up", "public", {}, {})  # load/create the signing key outside any count
    return Harness(sessions, clock, lambda config=SETTINGS: make(client(dynamodb_endpoint), config))


class Items:
    """A session's two items as stored (raw, read around the service)."""

    def __init__(self, dynamodb: DynamoDBClient, table_names: Mapping[str, str]) -> None:
        self.dynamodb = dynamodb
        self.sessions, self.data = table_names["SessionsTable"], table_names["SessionDataTable"]

    def session(self, handle: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(
            TableName=self.sessions, Key={KEY: {"S": handle}}, ConsistentRead=True
        ).get("Item")

    def data_item(self, handle: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(TableName=self.data, Key={KEY: {"S": handle}}, ConsistentRead=True).get(
            "Item"
        )

    def expiries(self, handle: str) -> tuple[int | None, int | None, int | None]:
        """(the session's expiresAt, its dataExpiresAt, the data item's expiresAt)."""
        session, data = self.session(handle), self.data_item(handle)

        def number(item: Mapping[str, Any] | None, name: str) -> int | None:
            return int(item[name]["N"]) if item is not None and name in item else None

        return number(session, "expiresAt"), number(session, "dataExpiresAt"), number(data, "expiresAt")

    def make_legacy(self, handle: str, data: Mapping[str, Any]) -> None:
        """Store ``data`` as sessions were stored before issue 22: in the session's own item, with its
        count and epoch (what ``SessionStore.create`` wrote then)."""
        self.dynamodb.update_item(
            TableName=self.sessions,
            Key={KEY: {"S": handle}},
            UpdateExpression="SET #d = :d, dataBytes = :c, dataEpoch = :e",
            ExpressionAttributeNames={"#d": "data"},
            ExpressionAttributeValues={
                ":d": encode_document(data),
                ":c": {"N": str(weight(data))},
                ":e": {"N": "1"},
            },
        )


def error_of(call: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[int, str]:
    """The status and code of the error ``call(*args, **kwargs)`` must raise."""
    with pytest.raises(AuthstateError) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


def error_code(call: Callable[[], object]) -> str | None:
    """The code of the error ``call`` raised, ``None`` if it raised none."""
    try:
        call()
    except AuthstateError as error:
        return str(error.code)
    return None


def legacy_session(harness: Harness, items: Items, user: str, data: Mapping[str, Any]) -> IssuedTokens:
    """A session stored as before issue 22: its data in its own item."""
    issued = harness.sessions.create(user, "public", {"a": 1}, {})
    items.make_legacy(issued.session.handle, data)
    return issued


#: The three places a session's data can be in.
KINDS = ("data item", "no data yet", "stored before")


def session_of_kind(
    harness: Harness,
    items: Items,
    user: str,
    kind: str,
    data: Mapping[str, Any],
    payload: Mapping[str, Any] | None = None,
) -> IssuedTokens:
    """A session of ``user`` whose data (``data``) is in the place ``kind`` of :data:`KINDS` names:
    its own item, none yet (``data`` unused), or the session's item (``payload`` unused)."""
    if kind == "data item":
        return harness.sessions.create(user, "public", payload or {}, data)
    if kind == "no data yet":
        return harness.sessions.create(user, "public", payload or {}, {})
    return legacy_session(harness, items, user, data)
