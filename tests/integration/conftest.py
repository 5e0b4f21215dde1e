"""Fixtures of the integration tests: the sessions service (``harness``), and a SuperTokens core app
(tests/coreworld.py) imported into DynamoDB Local by the importer itself with authstate's sessions
service over the same tables (``moved``): what tests of the move from a core need."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from authstate.config import Settings
from authstate.recipe.session.core_sessions import CoreSessions
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.providers import session_store
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.service import Sessions
from authstate.storage.table import Table
from tests.clock import ManualClock
from tests.coregen import CoreGen
from tests.coreworld import CoreApp, MemoryCore
from tests.integration.harness import Harness, Items, make_harness
from tests.settings import settings_with
from tools.migrate.importer import Importer, Options, Outcome
from tools.migrate.ledger import Ledger
from tools.migrate.target import Target

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def harness(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> Harness:
    return make_harness(dynamodb, dynamodb_endpoint, table_names, unique_id)


@pytest.fixture
def items(dynamodb: DynamoDBClient, table_names: dict[str, str]) -> Items:
    return Items(dynamodb, table_names)


#: SuperTokens' own rule for a replayed refresh token: theft at once (no reuse window).
CORE_SETTINGS = settings_with(ACCESS_TOKEN_TTL_SECONDS="3600", REFRESH_REUSE_WINDOW_SECONDS="0")


@dataclass
class Moved:
    """One core app, its import, and authstate over the same tables (partitions of this test only)."""

    app: CoreApp
    clock: ManualClock
    target: Target
    ledger: Ledger
    keyring: KeyRing
    sessions_table: Table
    make_sessions: Callable[[Settings], Sessions]
    source: MemoryCore
    sessions: Sessions = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = self.make_sessions(CORE_SETTINGS)

    def run_import(self, **options: Any) -> Outcome:
        return Importer(self.source, self.target, self.ledger, Options(**options), clock=self.clock).run()

    def item(self, handle: str) -> dict[str, Any] | None:
        return self.sessions_table.get({"sessionHandle": {"S": handle}})


@pytest.fixture
def moved(
    dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str, coregen: CoreGen
) -> Iterator[Moved]:
    clock = ManualClock()
    app = CoreApp(coregen, now=clock.now)
    keys_partition, key_partition = f"keys-{unique_id}", f"core-key-{unique_id}"
    sessions_table = Table(table_names["SessionsTable"], lambda: dynamodb)
    keys_table = Table(table_names["SigningKeysTable"], lambda: dynamodb)
    metadata_table = Table(table_names["UserMetadataTable"], lambda: dynamodb)
    target = Target(
        sessions_table, metadata_table, keys_table, key_partition=key_partition, keys_partition=keys_partition
    )
    keyring = KeyRing(
        keys_table,
        rotation_seconds=CORE_SETTINGS.signing_key_rotation_seconds,
        access_token_ttl_seconds=CORE_SETTINGS.access_token_ttl_seconds,
        partition=keys_partition,
        unknown_kid_reload_interval=0,
    )
    codec = RefreshTokenCodec(b"k" * 32)

    def make_sessions(config: Settings) -> Sessions:
        store = session_store(config, lambda name: Table(name, lambda: dynamodb), clock.sleep)
        core = CoreSessions(store, sessions_table, keys_table, clock, key_partition=key_partition)
        return Sessions(store, keyring, lambda: codec, config, clock, core=core)

    ledger = Ledger(sqlite3.connect(":memory:", isolation_level=None))
    yield Moved(app, clock, target, ledger, keyring, sessions_table, make_sessions, MemoryCore(app))
    ledger.close()
