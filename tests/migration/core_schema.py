"""The core's tables as its storage plugins document them (supertokens-postgresql-plugin and
supertokens-mysql-plugin, ``queries/*Queries.java``: columns, keys and foreign keys of the tables the
importer reads, and of ``apps``/``tenants`` they refer to), written here from those column lists; not the
plugins' own DDL run by a core. Table names are given explicitly by each test (prefix, schema, renamed
tables), so the importer's own naming rule is checked, not reused.

``CoreDb`` writes a :class:`tests.coreworld.CoreApp` into such a database as the core would have."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.coreworld import CoreApp, CoreSession

type Dialect = Literal["postgresql", "mysql"]

DEFAULT_NAMES = {
    name: name
    for name in (
        "apps", "tenants", "key_value", "session_info", "session_access_token_signing_keys",
        "jwt_signing_keys", "user_metadata", "app_id_to_user_id", "userid_mapping",
    )
}  # fmt: skip


def ddl(dialect: Dialect, names: dict[str, str], qualify: str = "") -> list[str]:
    """``CREATE TABLE`` statements; ``qualify`` is put before each name (a PostgreSQL schema, ``s.``)."""
    big = "BIGINT" if dialect == "postgresql" else "BIGINT UNSIGNED"
    t = {key: qualify + value for key, value in names.items()}
    return [
        f"CREATE TABLE {t['apps']} (app_id VARCHAR(64) NOT NULL DEFAULT 'public', created_at_time BIGINT,"
        " PRIMARY KEY(app_id))",
        f"CREATE TABLE {t['tenants']} (app_id VARCHAR(64) NOT NULL DEFAULT 'public',"
        " tenant_id VARCHAR(64) NOT NULL DEFAULT 'public', created_at_time BIGINT,"
        " PRIMARY KEY(app_id, tenant_id),"
        f" FOREIGN KEY(app_id) REFERENCES {t['apps']}(app_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['key_value']} (app_id VARCHAR(64) DEFAULT 'public',"
        " tenant_id VARCHAR(64) DEFAULT 'public', name VARCHAR(128), value TEXT,"
        f" created_at_time {big}, PRIMARY KEY(app_id, tenant_id, name),"
        f" FOREIGN KEY(app_id, tenant_id) REFERENCES {t['tenants']}(app_id, tenant_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['session_info']} (app_id VARCHAR(64) DEFAULT 'public',"
        " tenant_id VARCHAR(64) DEFAULT 'public', session_handle VARCHAR(255) NOT NULL,"
        " user_id VARCHAR(128) NOT NULL, refresh_token_hash_2 VARCHAR(128) NOT NULL, session_data TEXT,"
        f" expires_at {big} NOT NULL, created_at_time {big} NOT NULL, jwt_user_payload TEXT,"
        " use_static_key BOOLEAN NOT NULL, PRIMARY KEY(app_id, tenant_id, session_handle),"
        f" FOREIGN KEY (app_id, tenant_id) REFERENCES {t['tenants']}(app_id, tenant_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['session_access_token_signing_keys']} (app_id VARCHAR(64) DEFAULT 'public',"
        f" created_at_time {big} NOT NULL, value TEXT, PRIMARY KEY(app_id, created_at_time),"
        f" FOREIGN KEY (app_id) REFERENCES {t['apps']}(app_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['jwt_signing_keys']} (app_id VARCHAR(64) DEFAULT 'public',"
        " key_id VARCHAR(255) NOT NULL, key_string TEXT NOT NULL, algorithm VARCHAR(10) NOT NULL,"
        f" created_at {big}, PRIMARY KEY(app_id, key_id),"
        f" FOREIGN KEY(app_id) REFERENCES {t['apps']}(app_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['user_metadata']} (app_id VARCHAR(64) DEFAULT 'public',"
        " user_id VARCHAR(128) NOT NULL, user_metadata TEXT NOT NULL, PRIMARY KEY(app_id, user_id),"
        f" FOREIGN KEY(app_id) REFERENCES {t['apps']}(app_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['app_id_to_user_id']} (app_id VARCHAR(64) NOT NULL DEFAULT 'public',"
        " user_id CHAR(36) NOT NULL, recipe_id VARCHAR(128) NOT NULL,"
        " primary_or_recipe_user_id CHAR(36) NOT NULL,"
        " is_linked_or_is_a_primary_user BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (app_id, user_id),"
        f" FOREIGN KEY(app_id) REFERENCES {t['apps']}(app_id) ON DELETE CASCADE,"
        " FOREIGN KEY(app_id, primary_or_recipe_user_id)"
        f" REFERENCES {t['app_id_to_user_id']}(app_id, user_id) ON DELETE CASCADE)",
        f"CREATE TABLE {t['userid_mapping']} (app_id VARCHAR(64) DEFAULT 'public',"
        " supertokens_user_id CHAR(36) NOT NULL, external_user_id VARCHAR(128) NOT NULL,"
        " external_user_id_info TEXT, UNIQUE (app_id, supertokens_user_id),"
        " UNIQUE (app_id, external_user_id), PRIMARY KEY(app_id, supertokens_user_id, external_user_id),"
        " FOREIGN KEY (app_id, supertokens_user_id)"
        f" REFERENCES {t['app_id_to_user_id']}(app_id, user_id) ON DELETE CASCADE)",
    ]


@dataclass
class CoreDb:
    """A core's database (one of the two dialects), written as the core writes it."""

    dialect: Dialect
    connect: Any  # () -> a DB-API connection with the right to write
    names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMES))
    qualify: str = ""

    def t(self, name: str) -> str:
        return self.qualify + self.names[name]

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                yield cursor
            connection.commit()
        finally:
            connection.close()

    def create(
        self, *, tenants: tuple[str, ...] = ("public", "tenant1"), apps: tuple[str, ...] = ("public",)
    ) -> None:
        with self.cursor() as cursor:
            for statement in ddl(self.dialect, self.names, self.qualify):
                cursor.execute(statement)
            for app in apps:
                cursor.execute(f"INSERT INTO {self.t('apps')} VALUES (%s, 0)", (app,))
                for tenant in tenants:
                    cursor.execute(f"INSERT INTO {self.t('tenants')} VALUES (%s, %s, 0)", (app, tenant))

    def write_app(self, app: CoreApp) -> None:
        """The key, both signing keys (the dynamic one ``;``-separated, as old rows are), the sessions
        and the metadata."""
        assert app.pair is not None
        assert app.static_pair is not None
        with self.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.t('key_value')} VALUES (%s, 'public', 'refresh_token_key', %s, 0)",
                (app.app_id, app.key),
            )
            cursor.execute(
                f"INSERT INTO {self.t('session_access_token_signing_keys')} VALUES (%s, %s, %s)",
                (app.app_id, int(app.kid.removeprefix("d-")), app.pair.value.replace("|", ";")),
            )
            cursor.execute(
                f"INSERT INTO {self.t('jwt_signing_keys')} VALUES (%s, %s, %s, 'RS256', 0)",
                (app.app_id, app.static_kid, app.static_pair.value),
            )
        for session in app.sessions.values():
            self.write_session(session)
        for user, text in app.metadata.items():
            self.write_metadata(app.app_id, user, text)

    def write_session(self, session: CoreSession) -> None:
        """``createNewSession``/``updateSessionInfo``: the row as it is now (insert or replace)."""
        row = session.row
        with self.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self.t('session_info')} "
                "WHERE app_id = %s AND tenant_id = %s AND session_handle = %s",
                (row.app_id, row.tenant_id, row.session_handle),
            )
            cursor.execute(
                f"INSERT INTO {self.t('session_info')} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (row.app_id, row.tenant_id, row.session_handle, row.user_id, row.refresh_token_hash_2,
                 row.session_data, row.expires_at_ms, row.created_at_ms, row.jwt_user_payload,
                 row.use_static_key),
            )  # fmt: skip

    def delete_session(self, session: CoreSession) -> None:
        row = session.row
        with self.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self.t('session_info')} WHERE app_id = %s AND session_handle = %s",
                (row.app_id, row.session_handle),
            )

    def write_metadata(self, app_id: str, user_id: str, text: str) -> None:
        with self.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self.t('user_metadata')} WHERE app_id = %s AND user_id = %s", (app_id, user_id)
            )
            cursor.execute(
                f"INSERT INTO {self.t('user_metadata')} VALUES (%s, %s, %s)", (app_id, user_id, text)
            )

    def link(self, app_id: str, external_user_id: str, recipe: str, primary: str) -> None:
        """A user-id mapping and an account link: ``external_user_id`` is the recipe user ``recipe``,
        linked to the primary user ``primary`` (the core then signs ``sub`` = the primary)."""
        with self.cursor() as cursor:
            for user in dict.fromkeys((primary, recipe)):
                cursor.execute(
                    f"INSERT INTO {self.t('app_id_to_user_id')} VALUES (%s, %s, 'emailpassword', %s, TRUE)",
                    (app_id, user, primary),
                )
            cursor.execute(
                f"INSERT INTO {self.t('userid_mapping')} VALUES (%s, %s, %s, NULL)",
                (app_id, recipe, external_user_id),
            )

    def grant_reader(self, user: str, password: str, database: str) -> None:
        """A role that can only read the core's tables (what the importer needs)."""
        tables = [self.t(name) for name in self.names]
        with self.cursor() as cursor:
            if self.dialect == "postgresql":
                cursor.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
                schema = self.qualify.rstrip(".") or "public"
                cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {user}")
                cursor.execute(f"GRANT SELECT ON {', '.join(tables)} TO {user}")
            else:
                cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
                for table in tables:
                    cursor.execute(f"GRANT SELECT ON {database}.{table} TO '{user}'@'%'")
