"""The sessions service against DynamoDB Local, with a controlled clock: what the integration tests of
sessions share (``harness`` fixture in conftest.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authstate.config import Settings
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.service import Sessions
from authstate.recipe.session.store import SessionStore
from authstate.storage.table import Table
from tests.clock import ManualClock
from tests.settings import settings_with
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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
        store = SessionStore(Table(table_names["SessionsTable"], lambda: connection), sleep=clock.sleep)
        return Sessions(store, keyring, lambda: codec, config, clock)

    sessions = make()
    sessions.create("warm-up", "public", {}, {})  # load/create the signing key outside any count
    return Harness(sessions, clock, lambda config=SETTINGS: make(client(dynamodb_endpoint), config))
