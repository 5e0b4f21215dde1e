"""Moving from a SuperTokens core, end to end (``make test-migration``): PostgreSQL and MariaDB from Debian
with the core's documented schema, the ``authstate-migrate`` command installed by ``make setup``,
authstate's local server, and the unmodified SDKs (and, in test_browser_switch.py, supertokens-web-js in
Chromium). No running SuperTokens core exists here: the core's side is the JDK-only generator's tokens
and rows in the core's schema (tests/coreworld.py, tests/migration/core_schema.py), and, for signing in
through an unmodified SDK before the switch, a stand-in (tests/migration/standin.py)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from authstate.storage.table import Table
from tests.coregen import CoreGen
from tests.coreworld import CoreApp
from tests.migration import databases
from tests.migration.core_schema import CoreDb
from tools.localrun.process import local_server
from tools.localrun.template import Template
from tools.migrate.target import Target

API_KEY = "migration-test-key"
COMMAND = Path(sys.executable).parent / "authstate-migrate"
_databases = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.migration)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with databases.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[dict[str, Any]]:
    with databases.mariadb() as server:
        yield server


@dataclass
class CoreDatabase:
    """A fresh database of the core's: its writer, and the URL of a role that may only read it."""

    db: CoreDb
    reader_url: str
    name: str


def postgres_database(admin_url: str, *, schema: str | None, names: dict[str, str]) -> CoreDatabase:
    import psycopg

    name = f"core_{next(_databases)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    if schema:
        with psycopg.connect(url, autocommit=True) as owner:
            owner.execute(f"CREATE SCHEMA {schema}")
    db = CoreDb("postgresql", lambda: psycopg.connect(url), names, f"{schema}." if schema else "")
    reader = f"reader_{name}"
    db.create(apps=("public", "app2"))
    db.grant_reader(reader, "reader-pw", name)
    return CoreDatabase(db, url.replace("postgres@", f"{reader}:reader-pw@"), name)


def mariadb_database(server: dict[str, Any], *, names: dict[str, str]) -> CoreDatabase:
    import pymysql

    name = f"core_{next(_databases)}"
    admin = pymysql.connect(unix_socket=server["socket"], user="root", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    admin.close()
    db = CoreDb(
        "mysql", lambda: pymysql.connect(unix_socket=server["socket"], user="root", database=name), names
    )
    db.create(apps=("public", "app2"))
    reader = f"reader_{name}"
    db.grant_reader(reader, "reader-pw", name)
    return CoreDatabase(db, f"mysql://{reader}:reader-pw@127.0.0.1:{server['port']}/{name}", name)


@pytest.fixture(scope="session")
def core_keys(coregen: CoreGen) -> CoreApp:
    """The core's keys, one set for the whole run (authstate holds one core app's key at a time)."""
    return CoreApp(coregen)


@pytest.fixture
def core_app(core_keys: CoreApp, coregen: CoreGen) -> CoreApp:
    """A fresh view of that app: its keys, no sessions yet."""
    return CoreApp(
        coregen, key=core_keys.key, pair=core_keys.pair, kid=core_keys.kid, static_pair=core_keys.static_pair,
        static_kid=core_keys.static_kid,
    )  # fmt: skip


@pytest.fixture(scope="session")
def table_names_all() -> dict[str, str]:
    template = Template.load()
    return {logical: template.table_name(logical) for logical in template.resources("AWS::DynamoDB::Table")}


@pytest.fixture(scope="session")
def authstate_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("authstate") / "server.log"


@pytest.fixture(scope="session")
def authstate_url(dynamodb_endpoint: str, authstate_log: Path) -> Iterator[str]:
    """authstate's local server; no reuse window (a replayed refresh token is theft at once, as in the
    core), 60 s access tokens."""
    log = authstate_log
    overrides = {"RefreshReuseWindowSeconds": "0", "AccessTokenTtlSeconds": "60"}
    with local_server(dynamodb_endpoint, API_KEY, log, parameter_overrides=overrides) as url:
        yield url


@pytest.fixture
def target(dynamodb: Any, table_names_all: dict[str, str]) -> Target:
    tables = (table_names_all[name] for name in ("SessionsTable", "UserMetadataTable", "SigningKeysTable"))
    return Target(*(Table(name, lambda: dynamodb) for name in tables))


@dataclass
class Migrate:
    """``authstate-migrate`` as an operator runs it: the installed command, its output and exit status."""

    endpoint: str
    tables: dict[str, str]
    directory: Path

    def __call__(self, command: str, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(COMMAND), command, *arguments]
        if command != "--help":
            argv += [
                "--dynamodb-endpoint", self.endpoint, "--sessions-table", self.tables["SessionsTable"],
                "--metadata-table", self.tables["UserMetadataTable"],
                "--signing-keys-table", self.tables["SigningKeysTable"],
            ]  # fmt: skip
        if command == "import":
            argv += [
                "--state",
                str(self.directory / "state.sqlite"),
                "--report",
                str(self.directory / "report.json"),
            ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def report(self) -> dict[str, Any]:
        import json

        loaded: dict[str, Any] = json.loads((self.directory / "report.json").read_text())
        return loaded


@pytest.fixture
def migrate(dynamodb_endpoint: str, table_names_all: dict[str, str], tmp_path: Path) -> Migrate:
    if not COMMAND.exists():
        pytest.fail(f"{COMMAND} is missing: make setup installs it (pip install --editable .)")
    return Migrate(dynamodb_endpoint, table_names_all, tmp_path)


Cdi = Callable[..., dict[str, Any]]


@pytest.fixture
def cdi(authstate_url: str) -> Cdi:
    """A POST to authstate's CDI, as an SDK makes it; the JSON answer (status 200 asserted)."""
    import httpx

    def call(path: str, **body: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{authstate_url}/cdi{path}", json=body, headers={"api-key": API_KEY}, timeout=30
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return call
