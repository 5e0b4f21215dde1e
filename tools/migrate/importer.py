"""One import run: the core's database (one snapshot) into authstate's tables, the ledger keeping score.

The first run and every catch-up are the same run: each brings authstate up to the core's current
state without overwriting anything authstate itself changed since (docs/design.md §12, README runbook):

- keys: the refresh-token key (expiring with the last imported session) and the public halves of the
  signing keys (verify-only, expiring one core access-token lifetime after this run);
- sessions: new ones inserted; ones the core rotated or changed since the last run brought up to date
  while authstate still holds them unconverted; ones the core no longer has (revoked there) deleted;
  ones authstate deleted (revoked, stolen) never written again;
- metadata: inserted where authstate has none; changed or cleared on the core only while authstate's
  copy is still exactly what the importer wrote;
- every row not imported, and why, in the report.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from authstate.documents.expressions import decode_document
from authstate.documents.jsondoc import dumps, parse_object
from authstate.errors import AuthstateError, ErrorCode
from authstate.limits import MAX_NESTING_DEPTH
from authstate.recipe.session.core_sessions import IMPORTED_AT
from authstate.recipe.session.core_tokens import CORE_HASH_PREFIX, is_core_hash
from authstate.recipe.session.signing_keys import CLOCK_SKEW_SECONDS
from authstate.recipe.usermetadata.store import DOCUMENT
from tools.migrate.ledger import GONE, IMPORTED, PHASES, REFUSED, Ledger, Run
from tools.migrate.plan import (
    REASONS,
    CoreSessionRow,
    PlannedMetadata,
    Refusal,
    plan_metadata,
    plan_session,
    public_jwk,
)
from tools.migrate.source import CoreSource
from tools.migrate.target import Synced, Target

#: Ledger status of a row authstate owns: it existed there before the importer could write it, or
#: authstate changed it after the import; the importer never writes it.
OWNED = "authstate"

#: What the report says about rows that were not simply imported (beside ``REASONS``' refusals).
NOTES: dict[str, str] = {
    "REVOKED_ON_CORE": "the core no longer has this unexpired session (revoked there): deleted in authstate",
    "GONE_IN_AUTHSTATE": "authstate no longer has this imported session (revoked, stolen or expired there): "
    "not written again",
    "CONVERTED": "already refreshed in authstate: the core's later changes do not apply",
    "REFRESHED_ON_BOTH": "refreshed in authstate and, later, on the core: the core's newer refresh token "
    "will be refused as theft",
    "KEPT_AUTHSTATE_DOCUMENTS": "payload or session data changed in authstate after the import: kept; only "
    "the core's refresh hash and expiry applied",
    "CHANGED_BEYOND_LIMITS": "the core's row changed into one authstate refuses: the imported one is kept",
    "EXISTS_IN_AUTHSTATE": "authstate already has an item under this key that the importer did not write: "
    "left as it is",
    "KEPT_AUTHSTATE_METADATA": "metadata changed in authstate after the import (or already there): kept; the "
    "core's is not applied",
    "CLEARED_ON_CORE": "metadata cleared on the core after the import: cleared in authstate",
    "UNCHECKED_LINKING": "no userid_mapping/app_id_to_user_id tables: account linking could not be checked",
}


class ImportFailed(Exception):
    """The run cannot go on (printed as one line)."""


@dataclass(frozen=True)
class Options:
    app_id: str = "public"
    claims_cap: int = 4096
    #: The core's ``access_token_validity`` (s): how long its access tokens verify after this run.
    core_access_token_validity: int = 3600
    batch: int = 500
    hold_minutes: int | None = None
    dry_run: bool = False


@dataclass
class Outcome:
    run: int
    resumed: bool
    started_ms: int
    finished_ms: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    events: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    hold_until: int | None = None
    key_expires_at: int = 0

    def report(self, *, source: str, options: Options) -> dict[str, Any]:
        refused = [event for event in self.events if event[2] == "refused"]
        notes = [event for event in self.events if event[2] != "refused"]
        return {
            "source": source,
            "appId": options.app_id,
            "dryRun": options.dry_run,
            "run": self.run,
            "resumed": self.resumed,
            "startedAt": self.started_ms,
            "finishedAt": self.finished_ms,
            "holdUntil": self.hold_until,
            "refreshTokenKeyExpiresAt": self.key_expires_at,
            "counts": dict(sorted(self.counts.items())),
            "refused": [
                {"kind": kind, "key": key, "reason": reason, "why": REASONS.get(reason, ""), "detail": detail}
                for kind, key, _, reason, detail in refused
            ],
            "notes": [
                {"kind": kind, "key": key, "action": action, "reason": reason, "why": NOTES.get(reason, ""),
                 "detail": detail}
                for kind, key, action, reason, detail in notes
            ],
        }  # fmt: skip


class Progress:
    """What a run tells while it goes (a rich progress bar in the command; nothing in tests)."""

    def phase(self, name: str, total: int | None) -> None:
        del name, total

    def advance(self, rows: int) -> None:
        del rows


class Importer:
    def __init__(
        self,
        source: CoreSource,
        target: Target | None,
        ledger: Ledger,
        options: Options,
        *,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if target is None and not options.dry_run:
            raise ValueError("a run without a target must be a dry run")
        self._source = source
        self._target = None if options.dry_run else target
        self._ledger = ledger
        self._options = options
        self._progress = progress or Progress()
        self._clock = clock

    def run(self) -> Outcome:
        now_ms = int(self._clock() * 1000)
        run, resumed = self._ledger.start_run(now_ms)
        self._now_ms = now_ms
        self._now = now_ms // 1000
        self._run = run
        self._outcome = Outcome(run.id, resumed, run.started_ms)
        app = self._options.app_id
        if not self._source.linking_checked:
            self._event("sessions", "*", "note", "UNCHECKED_LINKING")
        steps: dict[str, Callable[[], None]] = {
            "keys": lambda: self._keys(app),
            "sessions": lambda: self._sessions(app, run),
            "sessions-gone": self._sessions_gone,
            "metadata": lambda: self._metadata(app, run),
            "metadata-gone": self._metadata_gone,
            "other-apps": lambda: self._other_apps(app),
        }
        for phase in PHASES[PHASES.index(run.phase) :]:
            if phase != run.phase:  # a phase resumed keeps its cursor; a new one starts from the top
                self._ledger.advance(run.id, phase)
                run = Run(run.id, run.started_ms, phase, "", "", "")
            if phase in steps:
                steps[phase]()
        self._finish()
        self._outcome.events = self._ledger.events(self._run.id)
        return self._outcome

    # -- bookkeeping ------------------------------------------------------------------------------------

    def _count(self, name: str, by: int = 1) -> None:
        self._outcome.counts[name] += by

    def _event(self, kind: str, key: str, action: str, reason: str, detail: str = "") -> None:
        self._ledger.event(self._run.id, kind, key, action, reason=reason, detail=detail)

    # -- keys -------------------------------------------------------------------------------------------

    def _keys(self, app: str) -> None:
        self._progress.phase("keys", None)
        secret = self._source.refresh_token_key(app)
        if secret is None:
            raise ImportFailed(
                f"the core has no refresh_token_key for app {app!r}: it never issued a refresh token there"
            )
        verify_until = self._now + self._options.core_access_token_validity + CLOCK_SKEW_SECONDS
        for kid, algorithm, public in self._source.signing_keys(app):
            if algorithm != "RS256":
                self._event("key", kid, "refused", "KEY_NOT_RS256", algorithm)
                self._count("keys.refused")
                continue
            jwk = public_jwk(kid, public)
            if isinstance(jwk, Refusal):
                self._event("key", kid, "refused", jwk.reason, jwk.detail)
                self._count("keys.refused")
                continue
            if self._target is not None:
                self._target.put_imported_key(kid, jwk, verify_until)
            self._count("keys.imported")
        hold = None if self._options.hold_minutes is None else self._now + 60 * self._options.hold_minutes
        self._secret = secret
        self._put_core_key(verify_until, hold)

    def _put_core_key(self, expires_at: int, hold_until: int | None) -> None:
        if self._target is None:
            self._outcome.hold_until, self._outcome.key_expires_at = hold_until, expires_at
            return
        key = self._target.put_core_key(
            self._secret, expires_at=expires_at, imported_at=self._now, hold_until=hold_until
        )
        self._outcome.hold_until, self._outcome.key_expires_at = key.hold_until, key.expires_at

    def _finish(self) -> None:
        if not hasattr(self, "_secret"):  # resumed after the keys phase: read the key again
            secret = self._source.refresh_token_key(self._options.app_id)
            if secret is None:
                raise ImportFailed("the core's refresh_token_key disappeared during the import")
            self._secret = secret
        latest = math.ceil(self._ledger.latest_expiry_ms() / 1000)
        self._put_core_key(max(latest, self._now + self._options.core_access_token_validity), None)
        self._ledger.finish(self._run.id, int(self._clock() * 1000))
        self._outcome.finished_ms = int(self._clock() * 1000)

    # -- sessions ---------------------------------------------------------------------------------------

    def _sessions(self, app: str, run: Run) -> None:
        live, expired = self._source.count_sessions(app, self._now_ms)
        if expired:
            self._count("sessions.expired-on-core", expired)
        self._progress.phase("sessions", live)
        after = (run.cursor_tenant, run.cursor_handle)
        for page in self._source.sessions(app, self._now_ms, after, self._options.batch):
            with self._ledger.batch():
                for row in page:
                    self._session(row)
                self._ledger.cursor(run.id, tenant=page[-1].tenant_id, handle=page[-1].session_handle)
            self._progress.advance(len(page))

    def _session(self, row: CoreSessionRow) -> None:
        handle, ledger, run = row.session_handle, self._ledger, self._run.id
        record = ledger.session(handle)
        if record is not None and record.status in {GONE, OWNED}:
            ledger.seen(handle, run)
            self._count("sessions.not-written-again")
            return
        planned = plan_session(row, claims_cap=self._options.claims_cap, imported_at=self._now)
        if isinstance(planned, Refusal):
            if record is not None and record.status == IMPORTED:
                ledger.seen(handle, run)
                self._event("session", handle, "kept", "CHANGED_BEYOND_LIMITS", planned.reason)
                self._count("sessions.kept")
                return
            ledger.record_session(handle, row.tenant_id, row.user_id, REFUSED, run, reason=planned.reason,
                                  detail=planned.detail)  # fmt: skip
            self._event("session", handle, "refused", planned.reason, planned.detail)
            self._count(f"sessions.refused.{planned.reason}")
            return

        def imported(version: int) -> None:
            ledger.record_session(handle, row.tenant_id, row.user_id, IMPORTED, run, version=version,
                                  hash2=planned.hash2, digest=planned.digest,
                                  expires_at_ms=planned.expires_at_ms)  # fmt: skip

        if record is None or record.status == REFUSED:
            try:
                existing = None if self._target is None else self._target.insert_session(planned)
            except AuthstateError as error:
                if error.code is not ErrorCode.ITEM_TOO_LARGE:
                    raise
                ledger.record_session(
                    handle, row.tenant_id, row.user_id, REFUSED, run, reason="ITEM_TOO_LARGE"
                )
                self._event("session", handle, "refused", "ITEM_TOO_LARGE")
                self._count("sessions.refused.ITEM_TOO_LARGE")
                return
            if existing is None:
                imported(1)
                self._count("sessions.imported")
                return
            self._adopt(row, planned.hash2, planned.digest, existing)
            return
        ledger.seen(handle, run)
        if planned.digest == record.digest:
            self._count("sessions.unchanged")
            return
        synced = (
            Synced("updated", record.version + 1)
            if self._target is None
            else self._target.sync_session(planned, record.hash2, record.version)
        )
        if synced.result == "gone":
            ledger.record_session(handle, row.tenant_id, row.user_id, GONE, run, reason="GONE_IN_AUTHSTATE")
            self._event("session", handle, "skipped", "GONE_IN_AUTHSTATE")
            self._count("sessions.gone-in-authstate")
            return
        imported(synced.version)
        if synced.result == "updated":
            self._count("sessions.updated")
        elif synced.result == "hash-only":
            self._event("session", handle, "kept", "KEPT_AUTHSTATE_DOCUMENTS")
            self._count("sessions.updated")
        elif planned.hash2 != record.hash2:
            self._event("session", handle, "kept", "REFRESHED_ON_BOTH")
            self._count("sessions.refreshed-on-both")
        else:
            self._count("sessions.converted")

    def _adopt(self, row: CoreSessionRow, hash2: str, digest: str, item: dict[str, Any]) -> None:
        """The session is in authstate already, though the ledger does not say the importer wrote it (a
        run that stopped after writing, or a state file started again): adopt it if the importer wrote
        it, and bring it up to date on the next run; else leave it."""
        handle, run = row.session_handle, self._run.id
        if not item or IMPORTED_AT not in item:
            reason = "GONE_IN_AUTHSTATE" if not item else "EXISTS_IN_AUTHSTATE"
            self._ledger.record_session(handle, row.tenant_id, row.user_id, OWNED, run, reason=reason)
            self._event("session", handle, "skipped", reason)
            self._count("sessions.not-written-again")
            return
        stored = item["refreshHash"]["S"]
        written = stored.removeprefix(CORE_HASH_PREFIX) if is_core_hash(stored) else hash2
        self._ledger.record_session(
            handle, row.tenant_id, row.user_id, IMPORTED, run, hash2=written,
            digest=digest if written == hash2 else "", version=int(item["version"]["N"]),
            expires_at_ms=row.expires_at_ms,
        )  # fmt: skip
        self._count("sessions.adopted")

    def _sessions_gone(self) -> None:
        """Sessions imported before that the core's snapshot no longer lists: expired there (left to
        expire in authstate too), or revoked there (deleted)."""
        self._progress.phase("sessions revoked on the core", None)
        records = list(self._ledger.unseen_sessions(self._run.id))
        with self._ledger.batch():
            for record in records:
                if record.expires_at_ms <= self._now_ms:
                    self._ledger.seen(record.handle, self._run.id)
                    continue
                old = None if self._target is None else self._target.delete_imported_session(record.handle)
                converted = old is not None and not is_core_hash(old["refreshHash"]["S"])
                self._ledger.record_session(
                    record.handle,
                    record.tenant_id,
                    record.user_id,
                    GONE,
                    self._run.id,
                    reason="REVOKED_ON_CORE",
                )
                detail = "it had been refreshed in authstate" if converted else ""
                self._event("session", record.handle, "deleted", "REVOKED_ON_CORE", detail)
                self._count("sessions.revoked-on-core")

    # -- metadata ---------------------------------------------------------------------------------------

    def _metadata(self, app: str, run: Run) -> None:
        self._progress.phase("metadata", self._source.count_metadata(app))
        for page in self._source.metadata(app, run.cursor_user, self._options.batch):
            with self._ledger.batch():
                for user_id, text in page:
                    self._one_metadata(user_id, text)
                self._ledger.cursor(run.id, user=page[-1][0])
            self._progress.advance(len(page))

    def _one_metadata(self, user_id: str, text: str) -> None:
        ledger, run = self._ledger, self._run.id
        record = ledger.metadata(user_id)
        if record is not None and record[0] in {GONE, OWNED}:
            ledger.metadata_seen(user_id, run)
            self._count("metadata.not-written-again")
            return
        planned = plan_metadata(user_id, text)
        if isinstance(planned, Refusal):
            if record is not None and record[0] == IMPORTED:
                ledger.metadata_seen(user_id, run)
                self._event("metadata", user_id, "kept", "CHANGED_BEYOND_LIMITS", planned.reason)
                return
            ledger.record_metadata(user_id, REFUSED, run, reason=planned.reason, detail=planned.detail)
            self._event("metadata", user_id, "refused", planned.reason, planned.detail)
            self._count(f"metadata.refused.{planned.reason}")
            return
        if record is None or record[0] == REFUSED:
            self._insert_metadata(planned)
            return
        ledger.metadata_seen(user_id, run)
        if record[1] == planned.text:
            self._count("metadata.unchanged")
            return
        written = parse_object(record[1], max_depth=MAX_NESTING_DEPTH)
        if self._target is None or self._target.replace_metadata(user_id, written, planned.document):
            ledger.record_metadata(user_id, IMPORTED, run, document=planned.text)
            self._count("metadata.updated")
        else:
            ledger.record_metadata(user_id, OWNED, run, reason="KEPT_AUTHSTATE_METADATA")
            self._event("metadata", user_id, "kept", "KEPT_AUTHSTATE_METADATA")
            self._count("metadata.kept")

    def _insert_metadata(self, planned: PlannedMetadata) -> None:
        ledger, run, user_id = self._ledger, self._run.id, planned.user_id
        try:
            inserted = self._target is None or self._target.insert_metadata(user_id, planned.document)
        except AuthstateError as error:
            if error.code is not ErrorCode.ITEM_TOO_LARGE:
                raise
            ledger.record_metadata(user_id, REFUSED, run, reason="ITEM_TOO_LARGE")
            self._event("metadata", user_id, "refused", "ITEM_TOO_LARGE")
            self._count("metadata.refused.ITEM_TOO_LARGE")
            return
        if inserted:
            ledger.record_metadata(user_id, IMPORTED, run, document=planned.text)
            self._count("metadata.imported")
            return
        if self._target is None:  # a dry run "inserted" it above
            return
        stored = self._target.stored_metadata(user_id) or {}
        values = decode_document(stored.get(DOCUMENT))
        if dumps(values) == planned.text:  # what the importer wrote before (a run that stopped)
            ledger.record_metadata(user_id, IMPORTED, run, document=planned.text)
            self._count("metadata.adopted")
            return
        ledger.record_metadata(user_id, OWNED, run, reason="KEPT_AUTHSTATE_METADATA")
        self._event("metadata", user_id, "kept", "KEPT_AUTHSTATE_METADATA")
        self._count("metadata.kept")

    def _metadata_gone(self) -> None:
        """Metadata imported before that the core no longer has (cleared there)."""
        with self._ledger.batch():
            for user_id, document in self._ledger.unseen_metadata(self._run.id):
                written = parse_object(document, max_depth=MAX_NESTING_DEPTH)
                if self._target is None or self._target.replace_metadata(user_id, written, None):
                    self._ledger.record_metadata(user_id, GONE, self._run.id, reason="CLEARED_ON_CORE")
                    self._event("metadata", user_id, "deleted", "CLEARED_ON_CORE")
                    self._count("metadata.cleared-on-core")
                else:
                    self._ledger.record_metadata(
                        user_id, OWNED, self._run.id, reason="KEPT_AUTHSTATE_METADATA"
                    )
                    self._event("metadata", user_id, "kept", "KEPT_AUTHSTATE_METADATA")
                    self._count("metadata.kept")

    # -- other apps -------------------------------------------------------------------------------------

    def _other_apps(self, app: str) -> None:
        with self._ledger.batch():
            for other, tenant, handle, user in self._source.other_apps_sessions(app, self._now_ms):
                self._event(
                    "session", handle, "refused", "OTHER_APP_ID", f"app {other}, tenant {tenant}, user {user}"
                )
                self._count("sessions.refused.OTHER_APP_ID")
            for other, user in self._source.other_apps_metadata(app):
                self._event("metadata", user, "refused", "OTHER_APP_ID", f"app {other}")
                self._count("metadata.refused.OTHER_APP_ID")
