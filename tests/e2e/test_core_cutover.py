"""Moving from a SuperTokens core, over real HTTP: the core's tokens against the native API and the CDI,
the JWKS listing the imported keys, the cutover hold, and the ``authstate-migrate`` commands (hold,
check, retire) against the staged import.

A DynamoDB Local and a local server of this module's own: the import writes the real partitions (the
refresh-token key, verify-only keys in ``signing-keys``), which other tests must not see. The core app
and its tokens come from the JDK-only generator (tests/coreworld.py); the import is the importer's own,
from that app served in memory (PostgreSQL and MariaDB: tests/migration)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from authstate.storage.table import Table
from tests.coregen import CoreGen
from tests.coreworld import CoreApp, CoreSession, MemoryCore
from tools.localrun.dynamodb import DynamoDBLocal, client, create_tables
from tools.localrun.process import local_server
from tools.localrun.template import Template
from tools.migrate import cli
from tools.migrate.importer import Importer, Options
from tools.migrate.ledger import Ledger
from tools.migrate.target import Target

API_KEY = "core-cutover-key"
REAL = json.loads((Path(__file__).parents[1] / "data" / "real-core-tokens.json").read_text())["tokens"]


@dataclass
class World:
    url: str
    endpoint: str
    app: CoreApp
    target: Target
    ledger: Ledger
    tables: dict[str, str]

    def stage(self, **options: Any) -> None:
        Importer(MemoryCore(self.app), self.target, self.ledger, Options(**options)).run()

    def post(self, path: str, body: dict[str, Any], *, key: str | None = API_KEY) -> requests.Response:
        headers = {} if key is None else {"api-key": key}
        return requests.post(self.url + path, json=body, headers=headers, timeout=30)

    def command(self, *arguments: str) -> int:
        return cli.main([
            *arguments, "--dynamodb-endpoint", self.endpoint,
            "--sessions-table", self.tables["SessionsTable"],
            "--metadata-table", self.tables["UserMetadataTable"],
            "--signing-keys-table", self.tables["SigningKeysTable"],
        ])  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    template = Template.load()
    tables = {logical: template.table_name(logical) for logical in template.resources("AWS::DynamoDB::Table")}
    log = tmp_path_factory.mktemp("core-cutover") / "server.log"
    with CoreGen() as gen, DynamoDBLocal() as dynamodb:
        create_tables(dynamodb.endpoint, template)
        connection = client(dynamodb.endpoint)
        target = Target(*(Table(tables[name], lambda: connection) for name in
                          ("SessionsTable", "UserMetadataTable", "SigningKeysTable")))  # fmt: skip
        ledger = Ledger(sqlite3.connect(":memory:", isolation_level=None))
        overrides = {"RefreshReuseWindowSeconds": "0"}
        with local_server(dynamodb.endpoint, API_KEY, log, parameter_overrides=overrides) as url:
            yield World(url, dynamodb.endpoint, CoreApp(gen), target, ledger, tables)
        ledger.close()


def staged(world: World, user: str, **fields: Any) -> CoreSession:
    session = world.app.create(user, **fields)
    world.stage()
    return session


def test_the_native_refresh_takes_a_core_token_once_and_its_replay_is_theft(world: World):
    core = staged(world, "alice", payload={"role": "admin"})
    first = world.post("/sessions/refresh", {"refreshToken": core.refresh_token})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["session"]["handle"] == core.handle
    assert body["refreshToken"]["token"].startswith("rt1.")
    assert world.post("/sessions/refresh", {"refreshToken": body["refreshToken"]["token"]}).status_code == 200
    replay = world.post("/sessions/refresh", {"refreshToken": core.refresh_token})
    assert (replay.status_code, replay.json()["code"], replay.json()["sessionHandle"]) == (
        401, "TOKEN_THEFT_DETECTED", core.handle,
    )  # fmt: skip


def test_the_cdi_refresh_takes_a_core_token_with_its_anti_csrf_and_its_replay_is_theft(world: World):
    core = staged(world, "bob", anti_csrf=True)
    wrong = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": core.refresh_token, "antiCsrfToken": "wrong", "enableAntiCsrf": True,
        "useDynamicSigningKey": True,
    })  # fmt: skip
    assert wrong.json()["status"] == "UNAUTHORISED"  # checked before anything was written: still usable
    ok = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": core.refresh_token, "antiCsrfToken": core.anti_csrf, "enableAntiCsrf": True,
        "useDynamicSigningKey": True,
    })  # fmt: skip
    assert ok.json()["status"] == "OK", ok.text
    assert ok.json()["antiCsrfToken"] == core.anti_csrf
    again = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": ok.json()["refreshToken"]["token"], "antiCsrfToken": core.anti_csrf,
        "enableAntiCsrf": True, "useDynamicSigningKey": True,
    })  # fmt: skip
    assert again.json()["status"] == "OK"
    replay = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": core.refresh_token, "antiCsrfToken": core.anti_csrf, "enableAntiCsrf": True,
        "useDynamicSigningKey": True,
    })  # fmt: skip
    assert replay.json() == {
        "status": "TOKEN_THEFT_DETECTED",
        "session": {"handle": core.handle, "userId": "bob", "recipeUserId": "bob"},
    }  # fmt: skip


def test_the_cores_access_tokens_verify_and_both_jwks_list_the_imported_keys(world: World):
    core = staged(world, "carol", payload={"plan": "pro"})
    verified = world.post("/cdi/recipe/session/verify", {
        "accessToken": core.access_token, "doAntiCsrfCheck": False, "enableAntiCsrf": False,
        "checkDatabase": True,
    })  # fmt: skip
    assert verified.json()["status"] == "OK", verified.text
    assert verified.json()["session"]["userDataInJWT"] == {"plan": "pro"}
    native = world.post("/sessions/verify", {"accessToken": core.access_token, "checkDatabase": True})
    assert native.status_code == 200, native.text
    for path in ("/.well-known/jwks.json", "/cdi/.well-known/jwks.json"):
        kids = [key["kid"] for key in requests.get(world.url + path, timeout=30).json()["keys"]]
        assert {world.app.kid, world.app.static_kid} <= set(kids), path


def test_a_core_access_token_authstate_cannot_verify_asks_for_a_refresh_never_a_500(world: World):
    v2 = REAL[1]["token"]
    cdi = world.post("/cdi/recipe/session/verify", {
        "accessToken": v2, "doAntiCsrfCheck": False, "enableAntiCsrf": False, "checkDatabase": False,
    })  # fmt: skip
    assert (cdi.status_code, cdi.json()["status"]) == (200, "TRY_REFRESH_TOKEN")
    native = world.post("/sessions/verify", {"accessToken": v2})
    assert (native.status_code, native.json()["code"]) == (401, "TOKEN_MALFORMED")
    real_refresh = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": REAL[0]["token"], "enableAntiCsrf": False, "useDynamicSigningKey": True,
    })  # fmt: skip
    assert real_refresh.json() == {"status": "UNAUTHORISED", "message": "the refresh token is not valid"}


def test_the_hold_answers_an_unmatched_core_token_503_until_it_ends(
    world: World, capsys: pytest.CaptureFixture[str]
):
    core = staged(world, "dave")
    world.app.rotate(core)
    world.app.rotate(core)  # refreshed twice on the core after the import
    assert world.command("hold", "--minutes", "10") == 0
    native = world.post("/sessions/refresh", {"refreshToken": core.refresh_token})
    assert (native.status_code, native.json()["code"]) == (503, "CUTOVER_IN_PROGRESS")
    cdi = world.post("/cdi/recipe/session/refresh", {
        "refreshToken": core.refresh_token, "enableAntiCsrf": False, "useDynamicSigningKey": True,
    })  # fmt: skip
    assert cdi.status_code == 503  # the SDK raises: the app answers an error, the frontend keeps the session
    assert "retry" in cdi.text
    world.stage()  # the catch-up
    assert world.post("/sessions/refresh", {"refreshToken": core.refresh_token}).status_code == 200
    assert world.command("hold", "--off") == 0
    assert "cutover hold off" in capsys.readouterr().out


def test_check_says_whether_a_browsers_core_cookies_survive_the_switch(
    world: World, capsys: pytest.CaptureFixture[str]
):
    from urllib.parse import quote

    good = staged(world, "erin")
    assert (
        world.command(
            "check", "--refresh-token", quote(good.refresh_token), "--access-token", good.access_token
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "SIGNED IN after the switch: yes" in out
    assert "verifies with an imported public key" in out
    assert good.refresh_token not in out  # never echoes a secret
    stale = staged(world, "frank")
    world.app.rotate(stale)
    world.app.rotate(stale)
    assert world.command("check", "--refresh-token", stale.refresh_token) == 1
    assert "matches neither hash2" in capsys.readouterr().out
    assert world.command("check", "--refresh-token", REAL[0]["token"]) == 1
    assert "does not open under the imported refresh_token_key" in capsys.readouterr().out


def test_retire_deletes_the_imported_key_and_public_keys(world: World, capsys: pytest.CaptureFixture[str]):
    staged(world, "zoe")
    assert world.command("retire") == 2  # needs --yes
    assert world.command("retire", "--yes") == 0
    assert world.target.core_key() is None
    assert world.target.imported_keys() == []
    assert "retired: 3 items deleted" in capsys.readouterr().out
