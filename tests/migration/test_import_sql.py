"""``authstate-migrate import`` against PostgreSQL and MariaDB from Debian, the core's documented schema,
with the plugins' table overrides (PostgreSQL: a schema, a prefix, renamed session_info and key_value;
MariaDB: a prefix), as a role that may only read: the dry run writes nothing, the import refuses what it
must and says why, the imported sessions refresh through authstate's CDI, and the catch-up follows the
core (rotations, revocations, new sessions) while the cutover holds."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.coreworld import CoreApp
from tests.migration.conftest import (
    API_KEY,
    CoreDatabase,
    Migrate,
    mariadb_database,
    postgres_database,
)
from tools.migrate.target import Target

PREFIXED = {
    name: f"st_{name}"
    for name in (
        "apps", "tenants", "session_access_token_signing_keys", "jwt_signing_keys", "user_metadata",
        "app_id_to_user_id", "userid_mapping",
    )
}  # fmt: skip


@pytest.fixture(params=["postgresql", "mariadb"])
def layout(request: pytest.FixtureRequest) -> tuple[CoreDatabase, list[str]]:
    """A core database with the plugins' overrides, and the importer's options that name them."""
    if request.param == "postgresql":
        names = {**PREFIXED, "session_info": "custom_sessions", "key_value": "custom_kv"}
        database = postgres_database(
            request.getfixturevalue("postgres_url"), schema="core_schema", names=names
        )
        options = ["--schema", "core_schema", "--table-prefix", "st",
                   "--session-info-table", "custom_sessions", "--key-value-table", "custom_kv"]  # fmt: skip
    else:
        names = {**PREFIXED, "session_info": "st_session_info", "key_value": "st_key_value"}
        database = mariadb_database(request.getfixturevalue("mariadb_server"), names=names)
        options = ["--table-prefix", "st"]
    return database, ["--database-url", database.reader_url, *options]


def refresh(cdi: Any, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = cdi("/recipe/session/refresh", refreshToken=token, enableAntiCsrf=False,
                                 useDynamicSigningKey=True)  # fmt: skip
    return answer


def test_import_dry_run_catch_up_through_the_installed_command(
    layout: tuple[CoreDatabase, list[str]],
    core_app: CoreApp,
    migrate: Migrate,
    target: Target,
    cdi: Any,
    authstate_url: str,
):
    database, source = layout
    db, app = database.db, core_app
    plain = app.create("plain-user", payload={"role": "admin"}, data={"cart": [1]})
    tenant = app.create("tenant-user", tenant_id="tenant1")
    static = app.create("static-user", static_key=True)
    child = app.create("child-user")
    app.refresh(child)  # the client holds an un-promoted child
    protected = app.create("protected-user", payload={"sub": "someone-else"})
    linked = app.create("external-linked")
    mapped = app.create("external-mapped")
    expired = app.create("expired-user")
    expired.row = replace(expired.row, expires_at_ms=int(app.now * 1000) - 1000)
    app.metadata["plain-user"] = json.dumps({"theme": "dark", "n": 1})
    db.write_app(app)
    db.link("public", "external-linked", "11111111-1111-1111-1111-111111111111",
            "22222222-2222-2222-2222-222222222222")  # fmt: skip
    db.link("public", "external-mapped", "33333333-3333-3333-3333-333333333333",
            "33333333-3333-3333-3333-333333333333")  # fmt: skip
    other = CoreApp(app.gen, app_id="app2", key=app.key, pair=app.pair, kid=app.kid)
    other_session = other.create("other-app-user")
    db.write_session(other_session)
    db.write_metadata("app2", "other-app-user", "{}")

    assert "import" in migrate("--help").stdout
    dry = migrate("import", *source, "--dry-run")
    assert "DRY RUN" in dry.stdout
    assert target.session(plain.handle) is None
    assert not (migrate.directory / "state.sqlite").exists()

    done = migrate("import", *source, "--hold", "10")
    assert "sessions.imported" in done.stdout
    report = migrate.report()
    assert {entry["key"]: entry["reason"] for entry in report["refused"]} == {
        protected.handle: "PROTECTED_CLAIM",
        linked.handle: "ACCOUNT_LINKED",
        other_session.handle: "OTHER_APP_ID",
        "other-app-user": "OTHER_APP_ID",
    }
    assert report["counts"]["sessions.imported"] == 5  # plain, tenant, static, child, mapped
    assert report["counts"]["sessions.expired-on-core"] == 1
    assert report["counts"]["keys.imported"] == 2
    assert report["holdUntil"] is not None
    assert report["source"].endswith(database.name)
    assert "reader-pw" not in json.dumps(report)  # the password is never written

    for core in (plain, tenant, static, child, mapped):
        answer = refresh(cdi, core.refresh_token)
        assert answer["status"] == "OK", (core.user_id, answer)
        assert answer["session"]["handle"] == core.handle
    assert refresh(cdi, child.history[0])["status"] == "TOKEN_THEFT_DETECTED"  # the child's parent, replayed

    # Meanwhile on the core (a backend not switched yet): rotations, a revocation, a new session.
    late_rotated = app.create("late-rotated")
    revoked = app.create("revoked-on-core")
    db.write_session(late_rotated)
    db.write_session(revoked)
    migrate("import", *source)
    app.rotate(late_rotated)
    app.rotate(late_rotated)
    db.write_session(late_rotated)
    db.delete_session(revoked)
    fresh = app.create("created-late")
    db.write_session(fresh)
    held = httpx.post(f"{authstate_url}/cdi/recipe/session/refresh", headers={"api-key": API_KEY}, timeout=30,
                      json={"refreshToken": late_rotated.refresh_token, "enableAntiCsrf": False,
                            "useDynamicSigningKey": True})  # fmt: skip
    assert held.status_code == 503, held.text  # the hold: retry later, not theft, not a sign-out
    migrate("import", *source)  # the catch-up
    catch_up = migrate.report()
    assert catch_up["counts"]["sessions.updated"] == 1
    assert catch_up["counts"]["sessions.imported"] == 1
    assert catch_up["counts"]["sessions.revoked-on-core"] == 1
    assert target.session(revoked.handle) is None
    assert refresh(cdi, late_rotated.refresh_token)["status"] == "OK"
    assert refresh(cdi, fresh.refresh_token)["status"] == "OK"
    migrate("hold", "--off")

    reader = _reader_connection(database)  # the role the importer used may only read
    try:
        with pytest.raises(Exception, match=r"(?i)denied|permission"), reader.cursor() as writing:
            writing.execute(f"DELETE FROM {db.t('user_metadata')}")
    finally:
        reader.close()


def _reader_connection(database: CoreDatabase) -> Any:
    from urllib.parse import urlsplit

    parts = urlsplit(database.reader_url)
    if database.db.dialect == "postgresql":
        import psycopg

        return psycopg.connect(database.reader_url)
    import pymysql

    return pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username,
                           password=parts.password or "", database=database.name)  # fmt: skip
