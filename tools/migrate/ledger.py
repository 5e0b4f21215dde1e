"""The importer's state (SQLite, one file per core app): what it imported, refused or deleted, and where a
run stopped. It makes the import resumable (a run that stops continues from its cursor) and makes the
catch-up exact: a session or metadata document the importer wrote once and that is gone from authstate
now was revoked, stolen or cleared there, and is never written again; one it wrote that the core no
longer has was revoked on the core, and is deleted. Keep the file from the first import to the last.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL, finished_ms INTEGER,
    phase TEXT NOT NULL, cursor_tenant TEXT NOT NULL DEFAULT '', cursor_handle TEXT NOT NULL DEFAULT '',
    cursor_user TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sessions (
    handle TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
    hash2 TEXT NOT NULL DEFAULT '', digest TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 0,
    expires_at_ms INTEGER NOT NULL DEFAULT 0, seen_run INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS metadata (
    user_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '', document TEXT NOT NULL DEFAULT '', seen_run INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    run INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, action TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
);
"""

#: Statuses of a session or metadata row.
IMPORTED = "imported"  # written by the importer; the digest/document is what it wrote
REFUSED = "refused"  # not imported (reason), retried on every run
GONE = "gone"  # was imported, then deleted in authstate or deleted by the importer: never written again
PHASES = ("keys", "sessions", "sessions-gone", "metadata", "metadata-gone", "other-apps", "done")


@dataclass(frozen=True)
class SessionRecord:
    handle: str
    tenant_id: str
    user_id: str
    status: str
    hash2: str
    digest: str
    version: int
    expires_at_ms: int


@dataclass(frozen=True)
class Run:
    id: int
    started_ms: int
    phase: str
    cursor_tenant: str
    cursor_handle: str
    cursor_user: str


class Ledger:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._db.executescript(SCHEMA)

    @classmethod
    def open(cls, path: Path) -> Ledger:
        return cls(sqlite3.connect(path, isolation_level=None))

    @classmethod
    def scratch_copy(cls, path: Path) -> Ledger:
        """An in-memory copy (``--dry-run``: the file is left as it was)."""
        memory = sqlite3.connect(":memory:", isolation_level=None)
        if path.exists():
            with sqlite3.connect(path) as source:
                source.backup(memory)
        return cls(memory)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One SQLite transaction (a page of rows and the cursor after it)."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- identity -----------------------------------------------------------------------------------

    def bind(self, source: str) -> None:
        """The file belongs to one core app: refuse another one (a mixed state would resurrect)."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'source'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('source', ?)", (source,))
        elif row[0] != source:
            raise ValueError(f"this state file belongs to {row[0]}, not {source}: use another --state")

    # -- runs ---------------------------------------------------------------------------------------

    def start_run(self, now_ms: int) -> tuple[Run, bool]:
        """The unfinished run to resume, or a new one; and whether it is resumed."""
        row = self._db.execute(
            "SELECT id, started_ms, phase, cursor_tenant, cursor_handle, cursor_user FROM runs "
            "WHERE finished_ms IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is not None:
            return Run(*row), True
        cursor = self._db.execute("INSERT INTO runs (started_ms, phase) VALUES (?, ?)", (now_ms, PHASES[0]))
        return Run(int(cursor.lastrowid or 0), now_ms, PHASES[0], "", "", ""), False

    def advance(self, run: int, phase: str) -> None:
        self._db.execute(
            "UPDATE runs SET phase = ?, cursor_tenant = '', cursor_handle = '', cursor_user = '' "
            "WHERE id = ?",
            (phase, run),
        )

    def cursor(self, run: int, *, tenant: str = "", handle: str = "", user: str = "") -> None:
        self._db.execute(
            "UPDATE runs SET cursor_tenant = ?, cursor_handle = ?, cursor_user = ? WHERE id = ?",
            (tenant, handle, user, run),
        )

    def finish(self, run: int, now_ms: int) -> None:
        self._db.execute("UPDATE runs SET phase = 'done', finished_ms = ? WHERE id = ?", (now_ms, run))

    # -- sessions -----------------------------------------------------------------------------------

    def session(self, handle: str) -> SessionRecord | None:
        row = self._db.execute(
            "SELECT handle, tenant_id, user_id, status, hash2, digest, version, expires_at_ms "
            "FROM sessions WHERE handle = ?",
            (handle,),
        ).fetchone()
        return None if row is None else SessionRecord(*row)

    def record_session(
        self,
        handle: str,
        tenant_id: str,
        user_id: str,
        status: str,
        run: int,
        *,
        reason: str = "",
        detail: str = "",
        hash2: str = "",
        digest: str = "",
        version: int = 0,
        expires_at_ms: int = 0,
    ) -> None:
        self._db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(handle) DO UPDATE SET "
            "tenant_id = excluded.tenant_id, user_id = excluded.user_id, status = excluded.status, "
            "reason = excluded.reason, detail = excluded.detail, hash2 = excluded.hash2, "
            "digest = excluded.digest, version = excluded.version, expires_at_ms = excluded.expires_at_ms, "
            "seen_run = excluded.seen_run",
            (handle, tenant_id, user_id, status, reason, detail, hash2, digest, version, expires_at_ms, run),
        )

    def seen(self, handle: str, run: int) -> None:
        self._db.execute("UPDATE sessions SET seen_run = ? WHERE handle = ?", (run, handle))

    def unseen_sessions(self, run: int) -> Iterator[SessionRecord]:
        """Imported sessions the core no longer listed in this run (revoked, or expired, there)."""
        rows = self._db.execute(
            "SELECT handle, tenant_id, user_id, status, hash2, digest, version, expires_at_ms FROM sessions "
            "WHERE status = ? AND seen_run < ? ORDER BY handle",
            (IMPORTED, run),
        ).fetchall()
        return (SessionRecord(*row) for row in rows)

    def latest_expiry_ms(self) -> int:
        row = self._db.execute(
            "SELECT MAX(expires_at_ms) FROM sessions WHERE status = ?", (IMPORTED,)
        ).fetchone()
        return int(row[0] or 0)

    # -- metadata -----------------------------------------------------------------------------------

    def metadata(self, user_id: str) -> tuple[str, str] | None:
        """``(status, document written)`` of the user's metadata."""
        row = self._db.execute(
            "SELECT status, document FROM metadata WHERE user_id = ?", (user_id,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def record_metadata(
        self, user_id: str, status: str, run: int, *, reason: str = "", detail: str = "", document: str = ""
    ) -> None:
        self._db.execute(
            "INSERT INTO metadata VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
            "status = excluded.status, reason = excluded.reason, detail = excluded.detail, "
            "document = excluded.document, seen_run = excluded.seen_run",
            (user_id, status, reason, detail, document, run),
        )

    def metadata_seen(self, user_id: str, run: int) -> None:
        self._db.execute("UPDATE metadata SET seen_run = ? WHERE user_id = ?", (run, user_id))

    def unseen_metadata(self, run: int) -> list[tuple[str, str]]:
        return [
            (str(user), str(document))
            for user, document in self._db.execute(
                "SELECT user_id, document FROM metadata WHERE status = ? AND seen_run < ? ORDER BY user_id",
                (IMPORTED, run),
            ).fetchall()
        ]

    # -- what the report shows ----------------------------------------------------------------------

    def event(
        self, run: int, kind: str, key: str, action: str, *, reason: str = "", detail: str = ""
    ) -> None:
        self._db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", (run, kind, key, action, reason, detail)
        )

    def events(self, run: int) -> list[tuple[str, str, str, str, str]]:
        return [
            (str(kind), str(key), str(action), str(reason), str(detail))
            for kind, key, action, reason, detail in self._db.execute(
                "SELECT kind, key, action, reason, detail FROM events WHERE run = ? ORDER BY rowid", (run,)
            ).fetchall()
        ]
