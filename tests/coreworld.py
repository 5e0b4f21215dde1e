"""A SuperTokens core app as the tests model it: what its database holds (``session_info`` rows, the
``refresh_token_key``, signing keys, ``user_metadata``) and what its clients hold (refresh and access
tokens), all made by the JDK-only generator (``tests.coregen``) with the core's rules as docs/design.md §12
reads them: a refresh stores nothing (the client gets a child of the current token); the child's first
refresh or verify promotes it (the row's hash2 becomes the child's).

``MemoryCore`` serves that app to the importer the way ``tools.migrate.source.CoreDatabase`` serves a real
database, so the importer's logic runs against DynamoDB Local in ``make test``; tests/migration writes the
same rows into PostgreSQL and MariaDB.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from authstate.documents.jsondoc import dumps
from tests.coregen import CoreGen, CoreKeyPair
from tools.migrate.plan import CoreSessionRow


def sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class CoreSession:
    """A session of the core, and the token pair its client holds."""

    row: CoreSessionRow
    refresh_token: str
    access_token: str
    anti_csrf: str | None
    #: Every refresh token this session's client was ever given, oldest first.
    history: list[str] = field(default_factory=list)

    @property
    def handle(self) -> str:
        return self.row.session_handle

    @property
    def user_id(self) -> str:
        return self.row.user_id


@dataclass
class CoreApp:
    gen: CoreGen
    app_id: str = "public"
    now: float = field(default_factory=time.time)
    key: str = ""
    pair: CoreKeyPair | None = None
    kid: str = ""
    static_pair: CoreKeyPair | None = None
    static_kid: str = ""
    sessions: dict[str, CoreSession] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    #: rows of other apps: (app_id, row)
    other_rows: list[CoreSessionRow] = field(default_factory=list)
    other_metadata: list[tuple[str, str]] = field(default_factory=list)
    access_token_validity: int = 3600
    refresh_token_validity_ms: int = 100 * 24 * 3600 * 1000

    def __post_init__(self) -> None:
        self.key = self.key or self.gen.refresh_token_key()
        self.pair = self.pair or self.gen.key_pair()
        self.kid = self.kid or f"d-{int(self.now * 1000) - 60_000}"
        self.static_pair = self.static_pair or self.gen.key_pair()
        self.static_kid = self.static_kid or f"s-{uuid.uuid4()}"

    # -- what the core does ----------------------------------------------------------------------------

    def access_token_for(
        self, session: CoreSession, refresh_token: str, parent: str | None, *, version: int = 5
    ) -> str:
        row = session.row
        static = row.use_static_key
        pair = self.static_pair if static else self.pair
        assert pair is not None
        return self.gen.access_token(
            pair,
            kid=self.static_kid if static else self.kid,
            user_id=row.user_id,
            handle=row.session_handle,
            refresh_hash1=sha256(refresh_token),
            parent_hash1=parent,
            anti_csrf=session.anti_csrf,
            tenant_id=row.tenant_id,
            issued_at=int(self.now),
            expires_at=int(self.now) + self.access_token_validity,
            claims=_claims(row.jwt_user_payload),
            version=version,
        )

    def create(
        self,
        user_id: str,
        *,
        payload: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        anti_csrf: bool = False,
        tenant_id: str = "public",
        static_key: bool = False,
        payload_text: str | None = None,
        **row_fields: Any,
    ) -> CoreSession:
        """``Session.createNewSession``: a refresh token without parent, its hash2 stored."""
        handle = str(uuid.uuid4()) + ("" if tenant_id == "public" else f"_{tenant_id}")
        csrf = str(uuid.uuid4()) if anti_csrf else None
        token = self.gen.refresh_token(
            self.key, handle=handle, user_id=user_id, anti_csrf=csrf, tenant_id=tenant_id
        )
        created = int(self.now * 1000)
        row = CoreSessionRow(
            app_id=self.app_id,
            tenant_id=tenant_id,
            session_handle=handle,
            user_id=user_id,
            refresh_token_hash_2=sha256(sha256(token)),
            session_data=dumps(data or {}),
            expires_at_ms=created + self.refresh_token_validity_ms,
            created_at_ms=created,
            jwt_user_payload=payload_text if payload_text is not None else dumps(payload or {}),
            use_static_key=static_key,
            **row_fields,
        )
        session = CoreSession(row, token, "", csrf, [token])
        session.access_token = self.access_token_for(session, token, None)
        self.sessions[handle] = session
        return session

    def refresh(self, session: CoreSession) -> str:
        """``refreshSessionHelper`` with the current token: a child, nothing written. The client now holds
        the child (un-promoted) and an access token whose parent is the token it refreshed with."""
        parent = sha256(session.refresh_token)
        csrf = str(uuid.uuid4()) if session.anti_csrf is not None else None
        child = self.gen.refresh_token(
            self.key, handle=session.handle, user_id=session.user_id, parent_hash1=parent, anti_csrf=csrf,
            tenant_id=session.row.tenant_id,
        )  # fmt: skip
        session.anti_csrf = csrf
        session.refresh_token = child
        session.history.append(child)
        session.access_token = self.access_token_for(session, child, parent)
        return child

    def promote(self, session: CoreSession) -> None:
        """The child's first use on the core (a refresh with it, or a verify of its access token): the row
        now stores the child's hash2."""
        session.row = replace(session.row, refresh_token_hash_2=sha256(sha256(session.refresh_token)))

    def rotate(self, session: CoreSession) -> str:
        """A refresh and the promotion that follows it on the core (the client refreshed twice)."""
        self.refresh(session)
        self.promote(session)
        return session.refresh_token

    def revoke(self, session: CoreSession) -> None:
        del self.sessions[session.handle]

    def set_payload(self, session: CoreSession, payload: dict[str, Any]) -> None:
        session.row = replace(session.row, jwt_user_payload=dumps(payload))


def _claims(text: str | None) -> dict[str, Any]:
    """The custom claims a core would put in the access token (a row the import refuses gets none)."""
    import json

    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class MemoryCore:
    """``tools.migrate.source.CoreSource`` over a :class:`CoreApp` (what its database would answer)."""

    app: CoreApp
    linking_checked: bool = True
    #: Raise after serving this many session rows (a run that stops half-way).
    fail_after: int | None = None
    served: int = 0

    def refresh_token_key(self, app_id: str) -> str | None:
        return self.app.key if app_id == self.app.app_id else None

    def signing_keys(self, app_id: str) -> list[tuple[str, str, str]]:
        assert self.app.pair is not None
        assert self.app.static_pair is not None
        return [
            (self.app.kid, "RS256", self.app.pair.public),
            (self.app.static_kid, "RS256", self.app.static_pair.public),
        ]

    def _live(self, now_ms: int) -> list[CoreSessionRow]:
        rows = [s.row for s in self.app.sessions.values() if s.row.expires_at_ms > now_ms]
        return sorted(rows, key=lambda row: (row.tenant_id, row.session_handle))

    def count_sessions(self, app_id: str, now_ms: int) -> tuple[int, int]:
        live = len(self._live(now_ms))
        return live, len(self.app.sessions) - live

    def sessions(
        self, app_id: str, now_ms: int, after: tuple[str, str], batch: int
    ) -> Iterator[list[CoreSessionRow]]:
        rows = [row for row in self._live(now_ms) if (row.tenant_id, row.session_handle) > after]
        for start in range(0, len(rows), batch):
            page = rows[start : start + batch]
            if self.fail_after is not None and self.served + len(page) > self.fail_after:
                raise RuntimeError("the core's database went away")
            self.served += len(page)
            yield page

    def other_apps_sessions(self, app_id: str, now_ms: int) -> list[tuple[str, str, str, str]]:
        return [(r.app_id, r.tenant_id, r.session_handle, r.user_id) for r in self.app.other_rows]

    def count_metadata(self, app_id: str) -> int:
        return len(self.app.metadata)

    def metadata(self, app_id: str, after: str, batch: int) -> Iterator[list[tuple[str, str]]]:
        rows = sorted((user, text) for user, text in self.app.metadata.items() if user > after)
        for start in range(0, len(rows), batch):
            yield rows[start : start + batch]

    def other_apps_metadata(self, app_id: str) -> list[tuple[str, str]]:
        return list(self.app.other_metadata)
