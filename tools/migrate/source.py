"""The SuperTokens core's database, read-only: PostgreSQL (psycopg) or MySQL/MariaDB (PyMySQL).

Tables and columns are the core's storage plugins' (supertokens-postgresql-plugin and
supertokens-mysql-plugin, ``queries/*Queries.java``; docs/design.md §12). Their names follow the plugins'
configuration: ``<prefix>_<table>`` when a prefix is set (``postgresql_table_names_prefix``,
``mysql_table_names_prefix``), in ``<schema>.`` unless the PostgreSQL schema is ``public``
(``postgresql_table_schema``), and ``session_info`` / ``key_value`` may be renamed outright
(``*_session_info_table_name``, ``*_key_value_table_name``: the schema applies, the prefix does not).

Everything is read in one REPEATABLE READ, READ ONLY transaction, so a run sees one snapshot; the
signing keys' private halves are cut off by the query itself and never leave the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from tools.migrate.plan import CoreSessionRow

type Dialect = Literal["postgresql", "mysql"]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}\Z")


class SourceError(Exception):
    """The database cannot be read as a core's (printed as one line, no secrets)."""


@dataclass(frozen=True)
class TableNames:
    session_info: str
    key_value: str
    access_token_signing_keys: str
    jwt_signing_keys: str
    user_metadata: str
    userid_mapping: str
    app_id_to_user_id: str

    @classmethod
    def resolve(
        cls,
        *,
        prefix: str = "",
        session_info: str | None = None,
        key_value: str | None = None,
    ) -> TableNames:
        """The plugins' rule: a non-empty prefix gets ``_`` after it; a renamed table gets no prefix."""
        prefix = prefix.strip()
        prefixed = f"{prefix}_" if prefix else ""
        names = cls(
            session_info=session_info or prefixed + "session_info",
            key_value=key_value or prefixed + "key_value",
            access_token_signing_keys=prefixed + "session_access_token_signing_keys",
            jwt_signing_keys=prefixed + "jwt_signing_keys",
            user_metadata=prefixed + "user_metadata",
            userid_mapping=prefixed + "userid_mapping",
            app_id_to_user_id=prefixed + "app_id_to_user_id",
        )
        for name in names.required() + names.optional():
            if not _IDENTIFIER.match(name):
                raise SourceError(f"{name!r} is not a table name (letters, digits, _ and $)")
        return names

    def required(self) -> list[str]:
        return [self.session_info, self.key_value, self.access_token_signing_keys, self.user_metadata]

    def optional(self) -> list[str]:
        return [self.jwt_signing_keys, self.userid_mapping, self.app_id_to_user_id]


def redacted(url: str) -> str:
    """The URL without its password, for output and the state file."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


class CoreSource(Protocol):
    """What an import reads of a core (``CoreDatabase``; tests pass an in-memory core)."""

    linking_checked: bool

    def refresh_token_key(self, app_id: str) -> str | None: ...
    def signing_keys(self, app_id: str) -> list[tuple[str, str, str]]: ...
    def count_sessions(self, app_id: str, now_ms: int) -> tuple[int, int]: ...
    def sessions(
        self, app_id: str, now_ms: int, after: tuple[str, str], batch: int
    ) -> Iterator[list[CoreSessionRow]]: ...
    def other_apps_sessions(self, app_id: str, now_ms: int) -> list[tuple[str, str, str, str]]: ...
    def count_metadata(self, app_id: str) -> int: ...
    def metadata(self, app_id: str, after: str, batch: int) -> Iterator[list[tuple[str, str]]]: ...
    def other_apps_metadata(self, app_id: str) -> list[tuple[str, str]]: ...


class CoreDatabase:
    """One read-only snapshot of a core's database."""

    def __init__(self, url: str, tables: TableNames, *, schema: str = "public") -> None:
        scheme = urlsplit(url).scheme.lower()
        self.dialect: Dialect
        if scheme in {"postgresql", "postgres"}:
            self.dialect = "postgresql"
        elif scheme in {"mysql", "mariadb"}:
            self.dialect = "mysql"
        else:
            raise SourceError("the database URL must start with postgresql://, mysql:// or mariadb://")
        if not _IDENTIFIER.match(schema):
            raise SourceError(f"{schema!r} is not a schema name")
        self.url = url
        self.schema = schema
        self.tables = tables
        self._connection: Any = None
        self.linking_checked = True

    # -- connection -------------------------------------------------------------------------------

    def __enter__(self) -> CoreDatabase:
        try:
            self._connection = self._connect()
        except Exception as error:
            raise SourceError(f"cannot connect to {redacted(self.url)}: {type(error).__name__}") from None
        self._check_tables()
        return self

    def __exit__(self, *_: object) -> None:
        if self._connection is not None:
            self._connection.rollback()  # read only: nothing to keep
            self._connection.close()

    def _connect(self) -> Any:
        if self.dialect == "postgresql":
            import psycopg

            postgres = psycopg.connect(self.url.replace("postgres://", "postgresql://", 1))
            postgres.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            postgres.read_only = True
            return postgres
        import pymysql

        parts = urlsplit(self.url)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        connection = pymysql.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=parts.path.lstrip("/") or None,
            unix_socket=query.get("unix_socket"),
            charset="utf8mb4",
            autocommit=False,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT")
        return connection

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def table(self, name: str) -> str:
        """A quoted table name (schema-qualified off ``public`` on PostgreSQL)."""
        if self.dialect == "mysql":
            return f"`{name}`"
        if self.schema != "public":
            return f'"{self.schema}"."{name}"'
        return f'"{name}"'

    def _existing(self, names: list[str]) -> set[str]:
        if self.dialect == "postgresql":
            rows = self._query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
            )
        else:
            rows = self._query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            )
        present = {str(row[0]) for row in rows}
        return {name for name in names if name in present}

    def _check_tables(self) -> None:
        names = self.tables.required() + self.tables.optional()
        present = self._existing(names)
        missing = [name for name in self.tables.required() if name not in present]
        if missing:
            where = f" in schema {self.schema}" if self.dialect == "postgresql" else ""
            raise SourceError(
                f"no table {', '.join(missing)}{where}: is this a SuperTokens core's database, and are "
                "--table-prefix/--schema/--session-info-table/--key-value-table right?"
            )
        self._has_jwt_keys = self.tables.jwt_signing_keys in present
        self.linking_checked = {self.tables.userid_mapping, self.tables.app_id_to_user_id} <= present

    # -- what the importer reads --------------------------------------------------------------------

    def refresh_token_key(self, app_id: str) -> str | None:
        rows = self._query(
            f"SELECT value FROM {self.table(self.tables.key_value)} "  # noqa: S608 - quoted identifiers
            "WHERE app_id = %s AND tenant_id = 'public' AND name = 'refresh_token_key'",
            (app_id,),
        )
        return str(rows[0][0]) if rows and rows[0][0] else None

    def _public_half(self, column: str) -> str:
        """Only the public half of ``"<public>|<private>"`` (``;`` in old rows) leaves the database."""
        if self.dialect == "postgresql":
            return f"split_part(replace({column}, ';', '|'), '|', 1)"
        return f"SUBSTRING_INDEX(REPLACE({column}, ';', '|'), '|', 1)"

    def signing_keys(self, app_id: str) -> list[tuple[str, str, str]]:
        """``(kid, algorithm, public half)`` of every dynamic key (kid ``d-<created ms>``) and static key."""
        keys = [
            (f"d-{created}", "RS256", str(public))
            for created, public in self._query(
                f"SELECT created_at_time, {self._public_half('value')} "  # noqa: S608
                f"FROM {self.table(self.tables.access_token_signing_keys)} WHERE app_id = %s "
                "ORDER BY created_at_time",
                (app_id,),
            )
        ]
        if self._has_jwt_keys:
            keys += [
                (str(kid), str(algorithm).upper(), str(public))
                for kid, algorithm, public in self._query(
                    f"SELECT key_id, algorithm, {self._public_half('key_string')} "  # noqa: S608
                    f"FROM {self.table(self.tables.jwt_signing_keys)} WHERE app_id = %s ORDER BY key_id",
                    (app_id,),
                )
            ]
        return keys

    def count_sessions(self, app_id: str, now_ms: int) -> tuple[int, int]:
        """(unexpired, expired) sessions of the app."""
        rows = self._query(
            f"SELECT SUM(CASE WHEN expires_at > %s THEN 1 ELSE 0 END), COUNT(*) "  # noqa: S608
            f"FROM {self.table(self.tables.session_info)} WHERE app_id = %s",
            (now_ms, app_id),
        )
        live, total = (int(value or 0) for value in rows[0])
        return live, total - live

    def sessions(
        self, app_id: str, now_ms: int, after: tuple[str, str], batch: int
    ) -> Iterator[list[CoreSessionRow]]:
        """Unexpired sessions of the app, in pages ordered by (tenant, handle) after ``after``."""
        s = self.table(self.tables.session_info)
        if self.linking_checked:
            m, a = self.table(self.tables.userid_mapping), self.table(self.tables.app_id_to_user_id)
            joined = (
                f"{s} s LEFT JOIN {m} m ON m.app_id = s.app_id AND m.external_user_id = s.user_id "
                f"LEFT JOIN {a} a ON a.app_id = s.app_id "
                "AND a.user_id = COALESCE(m.supertokens_user_id, s.user_id)"
            )
            linked = "m.supertokens_user_id, a.primary_or_recipe_user_id"
        else:
            joined, linked = f"{s} s", "NULL, NULL"
        sql = (
            "SELECT s.tenant_id, s.session_handle, s.user_id, s.refresh_token_hash_2, s.session_data, "  # noqa: S608
            f"s.expires_at, s.created_at_time, s.jwt_user_payload, s.use_static_key, {linked} FROM {joined} "
            "WHERE s.app_id = %s AND s.expires_at > %s "
            "AND (s.tenant_id > %s OR (s.tenant_id = %s AND s.session_handle > %s)) "
            "ORDER BY s.tenant_id, s.session_handle LIMIT %s"
        )
        tenant, handle = after
        while True:
            rows = self._query(sql, (app_id, now_ms, tenant, tenant, handle, batch))
            if not rows:
                return
            page = [
                CoreSessionRow(
                    app_id=app_id,
                    tenant_id=str(row[0]),
                    session_handle=str(row[1]),
                    user_id=str(row[2]),
                    refresh_token_hash_2=str(row[3]),
                    session_data=None if row[4] is None else str(row[4]),
                    expires_at_ms=int(row[5]),
                    created_at_ms=int(row[6]),
                    jwt_user_payload=None if row[7] is None else str(row[7]),
                    use_static_key=bool(row[8]),
                    recipe_user_id=None if row[9] is None else str(row[9]),
                    primary_user_id=None if row[10] is None else str(row[10]),
                )
                for row in rows
            ]
            yield page
            tenant, handle = page[-1].tenant_id, page[-1].session_handle

    def other_apps_sessions(self, app_id: str, now_ms: int) -> list[tuple[str, str, str, str]]:
        """``(app_id, tenant_id, session_handle, user_id)`` of unexpired sessions of other apps."""
        return [
            (str(a), str(t), str(h), str(u))
            for a, t, h, u in self._query(
                "SELECT app_id, tenant_id, session_handle, user_id "  # noqa: S608
                f"FROM {self.table(self.tables.session_info)} WHERE app_id <> %s AND expires_at > %s "
                "ORDER BY app_id, tenant_id, session_handle",
                (app_id, now_ms),
            )
        ]

    def count_metadata(self, app_id: str) -> int:
        rows = self._query(
            f"SELECT COUNT(*) FROM {self.table(self.tables.user_metadata)} WHERE app_id = %s",  # noqa: S608
            (app_id,),
        )
        return int(rows[0][0])

    def metadata(self, app_id: str, after: str, batch: int) -> Iterator[list[tuple[str, str]]]:
        sql = (
            "SELECT user_id, user_metadata "  # noqa: S608
            f"FROM {self.table(self.tables.user_metadata)} WHERE app_id = %s AND user_id > %s "
            "ORDER BY user_id LIMIT %s"
        )
        while True:
            rows = [(str(user), str(text)) for user, text in self._query(sql, (app_id, after, batch))]
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def other_apps_metadata(self, app_id: str) -> list[tuple[str, str]]:
        return [
            (str(a), str(u))
            for a, u in self._query(
                f"SELECT app_id, user_id FROM {self.table(self.tables.user_metadata)} "  # noqa: S608
                "WHERE app_id <> %s ORDER BY app_id, user_id",
                (app_id,),
            )
        ]
