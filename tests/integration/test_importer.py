"""The importer's logic against DynamoDB Local, the core served from memory (tests/coreworld.py): what it
refuses and says why, idempotence, resuming, the catch-up (rotations, revocations on either side,
changes authstate made since the switch), metadata, the dry run. Against PostgreSQL and MariaDB and
through the command: tests/migration."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

import pytest

from authstate.documents.jsondoc import dumps, to_plain
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.core_tokens import is_core_hash
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from tests.coreworld import CoreApp, MemoryCore
from tests.integration.conftest import Moved
from tools.migrate.importer import Importer, Options
from tools.migrate.ledger import Ledger
from tools.migrate.plan import CoreSessionRow


def refusals(outcome_report: dict[str, Any]) -> dict[str, str]:
    return {entry["key"]: entry["reason"] for entry in outcome_report["refused"]}


def test_the_report_names_every_row_not_imported_and_why(moved: Moved):
    app = moved.app
    ok = app.create("ok-user", payload={"role": "a"})
    linked = app.create("recipe-user", primary_user_id="00000000-0000-0000-0000-0000000000aa",
                        recipe_user_id="00000000-0000-0000-0000-0000000000bb")  # fmt: skip
    protected = app.create("p-user", payload={"sub": "someone-else"})
    too_large = app.create("big-user", payload={"blob": "x" * 5000})
    invalid = app.create("bad-json", payload_text="{not json")
    control = app.create("🎉" * 70)  # 280 UTF-8 bytes: over what authstate's keys take
    data = app.create("data-user")
    data.row = replace(data.row, session_data='{"a": 1, "a": 2}')
    expired = app.create("old-user")
    expired.row = replace(expired.row, expires_at_ms=int(app.now * 1000) - 1)
    app.other_rows.append(
        replace(ok.row, app_id="app2", session_handle="6c4e5c7e-3c59-4f7e-9a38-3f3b1a0f8d11")
    )
    app.metadata["ok-user"] = dumps({"theme": "dark"})
    app.metadata["meta-bad"] = "[1, 2]"
    app.other_metadata.append(("app2", "other-user"))
    outcome = moved.run_import()
    report = outcome.report(source="memory", options=Options())
    assert refusals(report) == {
        linked.handle: "ACCOUNT_LINKED",
        protected.handle: "PROTECTED_CLAIM",
        too_large.handle: "PAYLOAD_TOO_LARGE",
        invalid.handle: "PAYLOAD_INVALID",
        control.handle: "INVALID_USER_ID",
        data.handle: "DATA_INVALID",
        "6c4e5c7e-3c59-4f7e-9a38-3f3b1a0f8d11": "OTHER_APP_ID",
        "meta-bad": "METADATA_INVALID",
        "other-user": "OTHER_APP_ID",
    }
    assert all(entry["why"] for entry in report["refused"])
    assert (outcome.counts["sessions.imported"], outcome.counts["sessions.expired-on-core"]) == (1, 1)
    assert (outcome.counts["metadata.imported"], outcome.counts["keys.imported"]) == (1, 2)
    assert moved.item(ok.handle) is not None
    assert moved.item(expired.handle) is None
    assert moved.item(linked.handle) is None


def test_a_second_run_changes_nothing(moved: Moved):
    sessions = [moved.app.create(f"user-{i}", payload={"i": i}) for i in range(3)]
    moved.app.metadata["user-0"] = dumps({"a": 1})
    moved.run_import()
    before = [moved.item(s.handle) for s in sessions]
    outcome = moved.run_import()
    assert dict(outcome.counts) == {"sessions.unchanged": 3, "metadata.unchanged": 1, "keys.imported": 2}
    assert [moved.item(s.handle) for s in sessions] == before


def test_a_run_that_stops_resumes_where_it_stopped_and_imports_each_row_once(moved: Moved):
    sessions = [moved.app.create(f"user-{i}") for i in range(7)]
    stopping = MemoryCore(moved.app, fail_after=4)
    with pytest.raises(RuntimeError):
        Importer(stopping, moved.target, moved.ledger, Options(batch=2), clock=moved.clock).run()
    assert sum(moved.item(s.handle) is not None for s in sessions) == 4
    outcome = moved.run_import(batch=2)
    assert outcome.resumed
    assert outcome.counts["sessions.imported"] == 3
    assert all(moved.item(s.handle) is not None for s in sessions)
    assert moved.run_import(batch=2).counts["sessions.unchanged"] == 7


def test_a_run_that_wrote_but_lost_its_state_adopts_what_it_wrote(moved: Moved, coregen: object):
    core = moved.app.create("user")
    moved.run_import()
    fresh = Ledger(sqlite3.connect(":memory:", isolation_level=None))
    outcome = Importer(moved.source, moved.target, fresh, Options(), clock=moved.clock).run()
    fresh.close()
    assert outcome.counts["sessions.adopted"] == 1
    assert moved.sessions.refresh(core.refresh_token).session.handle == core.handle


def test_the_catch_up_follows_the_core_without_undoing_authstate(moved: Moved):
    app = moved.app
    rotated, changed, revoked_on_core, revoked_here, merged_here, converted = (
        app.create(name, payload={"v": 1}) for name in ("r", "c", "rc", "rh", "mh", "cv")
    )
    moved.run_import(hold_minutes=30)
    # after the switch, on authstate
    moved.sessions.revoke(revoked_here.handle)
    moved.sessions.merge_payload_offline(merged_here.handle, {"here": True})
    moved.sessions.refresh(converted.refresh_token)
    # meanwhile, on the core (a backend not switched yet)
    app.rotate(rotated)
    app.rotate(rotated)
    app.set_payload(changed, {"v": 2})
    app.revoke(revoked_on_core)
    app.rotate(merged_here)
    app.rotate(merged_here)
    app.rotate(converted)
    app.rotate(converted)
    app.rotate(revoked_here)  # a refresh on the core after authstate revoked it: not brought back
    outcome = moved.run_import()
    notes = {
        (entry["key"], entry["reason"]) for entry in outcome.report(source="m", options=Options())["notes"]
    }
    assert notes == {
        (revoked_on_core.handle, "REVOKED_ON_CORE"),
        (revoked_here.handle, "GONE_IN_AUTHSTATE"),
        (merged_here.handle, "KEPT_AUTHSTATE_DOCUMENTS"),
        (converted.handle, "REFRESHED_ON_BOTH"),
    }
    assert moved.item(revoked_on_core.handle) is None
    assert moved.item(revoked_here.handle) is None  # never brought back
    assert to_plain(moved.sessions.get(changed.handle)[0].payload) == {"v": 2}
    assert to_plain(moved.sessions.get(merged_here.handle)[0].payload) == {"here": True, "v": 1}
    for core in (rotated, changed, merged_here):
        assert moved.sessions.refresh(core.refresh_token).session.handle == core.handle
    assert moved.run_import().counts["sessions.not-written-again"] == 1  # revoked_here, still not written


def test_metadata_is_imported_once_and_follows_the_core_only_while_authstate_has_not_changed_it(moved: Moved):
    app = moved.app
    metadata = UserMetadata(MetadataStore(moved.target.metadata))
    existing = f"existing-{id(moved)}"
    metadata.update(existing, {"mine": True})  # authstate already has it: never overwritten
    names = {name: f"{name}-{id(moved)}" for name in ("follow", "mine", "cleared", "deleted")}
    for user in (*names.values(), existing):
        app.metadata[user] = dumps({"from": "core"})
    moved.run_import()
    assert to_plain(metadata.get(existing)) == {"mine": True}
    assert to_plain(metadata.get(names["follow"])) == {"from": "core"}
    metadata.update(names["mine"], {"changed": "here"})
    metadata.clear(names["deleted"])
    app.metadata[names["follow"]] = dumps({"from": "core", "v": 2})
    app.metadata[names["mine"]] = dumps({"from": "core", "v": 2})
    app.metadata[names["deleted"]] = dumps({"from": "core", "v": 2})
    del app.metadata[names["cleared"]]
    outcome = moved.run_import()
    assert to_plain(metadata.get(names["follow"])) == {"from": "core", "v": 2}
    assert to_plain(metadata.get(names["mine"])) == {"changed": "here", "from": "core"}
    assert to_plain(metadata.get(names["cleared"])) == {}
    assert to_plain(metadata.get(names["deleted"])) == {}  # cleared in authstate: not brought back
    assert (outcome.counts["metadata.updated"], outcome.counts["metadata.cleared-on-core"]) == (1, 1)


def test_a_dry_run_writes_nothing_and_reports_what_it_would_do(moved: Moved):
    core = moved.app.create("dry")
    outcome = moved.run_import(dry_run=True, hold_minutes=10)
    assert outcome.counts["sessions.imported"] == 1
    assert moved.item(core.handle) is None
    assert moved.target.core_key() is None
    assert moved.target.imported_keys() == []


def test_an_app_without_a_refresh_token_key_is_a_named_failure(moved: Moved, coregen: object):
    other = CoreApp(moved.app.gen, app_id="app2")
    from tools.migrate.importer import ImportFailed

    with pytest.raises(ImportFailed, match="no refresh_token_key for app 'public'"):
        Importer(MemoryCore(other), moved.target, moved.ledger, Options(), clock=moved.clock).run()


def test_an_item_dynamodb_refuses_is_reported_not_lost(moved: Moved):
    user = f"huge-{id(moved)}"
    moved.app.metadata[user] = dumps({f"k{i}": "x" * 1000 for i in range(410)})  # over DynamoDB's 400 KB
    outcome = moved.run_import()
    refused = {e["key"]: e["reason"] for e in outcome.report(source="m", options=Options())["refused"]}
    assert refused == {user: "ITEM_TOO_LARGE"}
    assert moved.target.stored_metadata(user) is None


def test_a_row_shape_error_never_reaches_dynamodb(moved: Moved):
    row = CoreSessionRow("public", "public", "not-a-handle", "u", "a" * 64, None, 0, 0, None, False)
    from tools.migrate.plan import Refusal, plan_session

    assert plan_session(row, claims_cap=4096, imported_at=0) == Refusal("INVALID_SESSION_HANDLE")
    assert is_core_hash("core2:" + "a" * 64)
    with pytest.raises(AuthstateError) as caught:
        moved.sessions.get("not-a-handle")
    assert caught.value.code is ErrorCode.SESSION_NOT_FOUND
