"""The sessions service against DynamoDB Local, with a controlled clock: what the integration tests of
sessions share (``harness`` fixture in conftest.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authstate.config import Settings
from authstate.services import session_store
from authstate.sessions.keys import KeyRing
from authstate.sessions.refresh_tokens import RefreshTokenCodec
from authstate.sessions.service import Sessions
from authstate.storage.table import Table
from localrun.dynamodb import client
from tests.settings import settings_with

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WINDOW = 10
SETTINGS = settings_with(
    ACCESS_TOKEN_TTL_SECONDS="3600",
    REFRESH_TOKEN_TTL_SECONDS="86400",
    REFRESH_REUSE_WINDOW_SECONDS=str(WINDOW),
)


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    sessions: Sessions
    clock: Clock
    make: Any  # (config=SETTINGS) -> Sessions sharing keys and MAC key, with a client of its own


def make_harness(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> Harness:
    clock = Clock()
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
        store = session_store(config, lambda name: Table(name, lambda: connection))
        return Sessions(store, keyring, lambda: codec, config, clock)

    sessions = make()
    sessions.create("warm-up", "public", {}, {})  # load/create the signing key outside any count
    return Harness(sessions, clock, lambda config=SETTINGS: make(client(dynamodb_endpoint), config))
