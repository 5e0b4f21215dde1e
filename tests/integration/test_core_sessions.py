"""The SuperTokens core's tokens for imported sessions, in authstate's sessions service against DynamoDB
Local: the core's refresh tokens (current, un-promoted child) refresh once and the session is ordinary
from then on; anti-CSRF as the core checks it; a genuine token that matches nothing is theft, or held
during the cutover; the core's access tokens verify with the imported keys; keys retire.

Every token is made by the JDK-only generator with the core's rules (tests/coreworld.py), imported by
the importer itself (tools/migrate) from an in-memory core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authstate.documents.jsondoc import to_plain
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.core_tokens import is_core_hash
from authstate.recipe.session.refresh_tokens import token_hash
from tests.coreworld import sha256
from tests.integration.conftest import Moved

REAL = json.loads((Path(__file__).parents[1] / "data" / "real-core-tokens.json").read_text())["tokens"]


def refused(call, *args, **kwargs) -> AuthstateError:
    with pytest.raises(AuthstateError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_cores_current_refresh_token_refreshes_once_then_the_session_is_ordinary(moved: Moved):
    core = moved.app.create("alice", payload={"role": "admin", "iss": "https://api.example.com/auth"},
                            data={"cart": [1, 2]})  # fmt: skip
    moved.run_import()
    issued = moved.sessions.refresh(core.refresh_token)
    claims = to_plain(issued.access_token.claims)
    assert (claims["sub"], claims["sessionHandle"], claims["role"]) == ("alice", core.handle, "admin")
    assert claims["parentRefreshTokenHash1"] == sha256(core.refresh_token)
    assert issued.refresh_token.token.startswith("rt1.")
    item = moved.item(core.handle)
    assert item is not None
    assert item["refreshHash"]["S"] == sha256(core.refresh_token)
    again = moved.sessions.refresh(issued.refresh_token.token)  # an ordinary authstate session now
    assert again.access_token.claims["parentRefreshTokenHash1"] == issued.refresh_token.hash
    session, data = moved.sessions.get(core.handle)
    assert (session.user_id, to_plain(session.payload), to_plain(data)) == (
        "alice", {"iss": "https://api.example.com/auth", "role": "admin"}, {"cart": [1, 2]},
    )  # fmt: skip


def test_a_replayed_core_token_after_the_switch_is_theft_and_the_session_is_revoked(moved: Moved):
    core = moved.app.create("bob")
    moved.run_import()
    issued = moved.sessions.refresh(core.refresh_token)
    moved.sessions.refresh(issued.refresh_token.token)  # the new token in use
    error = refused(moved.sessions.refresh, core.refresh_token)
    assert (error.code, error.details) == (
        ErrorCode.TOKEN_THEFT_DETECTED, {"sessionHandle": core.handle, "userId": "bob"},
    )  # fmt: skip
    assert moved.item(core.handle) is None


def test_the_un_promoted_child_a_client_holds_works_and_its_parent_is_then_theft(moved: Moved):
    core = moved.app.create("carol", payload={"plan": "pro"})
    parent = core.refresh_token
    child = moved.app.refresh(core)  # refreshed on the core, never used there again: not promoted
    moved.run_import()
    issued = moved.sessions.refresh(child)
    assert issued.access_token.claims["parentRefreshTokenHash1"] == sha256(child)
    moved.sessions.refresh(issued.refresh_token.token)
    assert refused(moved.sessions.refresh, parent).code is ErrorCode.TOKEN_THEFT_DETECTED


def test_a_genuine_core_token_that_matches_nothing_is_theft_as_in_the_core(moved: Moved):
    core = moved.app.create("dave")
    oldest = core.refresh_token
    moved.app.rotate(core)
    moved.app.rotate(core)  # two generations on: the oldest token is neither current nor its parent
    moved.run_import()
    error = refused(moved.sessions.refresh, oldest)
    assert (error.code, error.details["sessionHandle"]) == (ErrorCode.TOKEN_THEFT_DETECTED, core.handle)
    assert moved.item(core.handle) is None
    assert refused(moved.sessions.refresh, core.refresh_token).code is ErrorCode.SESSION_REVOKED


def test_while_the_cutover_holds_an_unmatched_core_token_is_retryable_and_the_catch_up_matches_it(
    moved: Moved,
):
    core = moved.app.create("erin")
    moved.run_import(hold_minutes=30)
    moved.app.rotate(core)  # refreshed twice on the core after the import (a backend not switched yet):
    moved.app.rotate(core)  # its token is no longer the imported one nor a child of it
    late = moved.app.create("erin")  # created on the core after the import
    for token in (core.refresh_token, late.refresh_token):
        error = refused(moved.sessions.refresh, token)
        assert (error.code, error.status) == (ErrorCode.CUTOVER_IN_PROGRESS, 503)
    item = moved.item(core.handle)
    assert item is not None
    assert is_core_hash(item["refreshHash"]["S"])  # nothing written, nothing revoked
    outcome = moved.run_import()  # the catch-up
    assert (outcome.counts["sessions.updated"], outcome.counts["sessions.imported"]) == (1, 1)
    assert moved.sessions.refresh(core.refresh_token).session.handle == core.handle
    assert moved.sessions.refresh(late.refresh_token).session.handle == late.handle


def test_once_the_hold_is_over_an_unmatched_core_token_is_theft(moved: Moved):
    """The hold ends by itself: the clock moved past it (and past the key's cache), no waiting."""
    core = moved.app.create("hank")
    moved.run_import(hold_minutes=30)
    moved.app.rotate(core)
    moved.app.rotate(core)  # no longer the imported token nor a child of it
    held = refused(moved.sessions.refresh, core.refresh_token)
    moved.clock.now += 30 * 60 + 1
    over = refused(moved.sessions.refresh, core.refresh_token)
    assert (held.code, over.code, moved.item(core.handle)) == (
        ErrorCode.CUTOVER_IN_PROGRESS, ErrorCode.TOKEN_THEFT_DETECTED, None,
    )  # fmt: skip


def test_without_the_hold_a_core_session_that_was_not_imported_is_revoked_and_theft_is_theft(moved: Moved):
    core = moved.app.create("frank")
    oldest = core.refresh_token
    moved.app.rotate(core)
    moved.app.rotate(core)
    moved.run_import(hold_minutes=30)
    assert moved.target.set_hold(None) is not None  # hold off
    late = moved.app.create("frank")
    assert refused(moved.sessions.refresh, late.refresh_token).code is ErrorCode.SESSION_REVOKED
    assert refused(moved.sessions.refresh, oldest).code is ErrorCode.TOKEN_THEFT_DETECTED


def test_anti_csrf_is_checked_against_the_tokens_own_before_anything_is_written(moved: Moved):
    core = moved.app.create("gina", anti_csrf=True)
    moved.run_import()
    assert core.anti_csrf is not None
    error = refused(moved.sessions.refresh, core.refresh_token, anti_csrf_token="wrong", check_anti_csrf=True)
    assert error.code is ErrorCode.ANTI_CSRF_FAILED
    item = moved.item(core.handle)
    assert item is not None
    assert is_core_hash(item["refreshHash"]["S"])
    issued = moved.sessions.refresh(core.refresh_token, anti_csrf_token=core.anti_csrf, check_anti_csrf=True)
    assert issued.access_token.claims["antiCsrfToken"] == core.anti_csrf
    assert issued.session.anti_csrf_token == core.anti_csrf


def test_core_tokens_without_an_imported_key_and_the_real_core_token_are_merely_invalid(moved: Moved):
    core = moved.app.create("hana")
    assert refused(moved.sessions.refresh, core.refresh_token).code is ErrorCode.REFRESH_TOKEN_INVALID
    moved.run_import()
    error = refused(moved.sessions.refresh, REAL[0]["token"])
    assert (error.code, error.status, error.message) == (
        ErrorCode.REFRESH_TOKEN_INVALID, 401, "the refresh token is not valid",
    )  # fmt: skip


def test_the_cores_access_tokens_verify_with_the_imported_keys_which_never_sign(moved: Moved):
    dynamic = moved.app.create("ivan", payload={"role": "reader"})
    static = moved.app.create("ivan", static_key=True)
    moved.run_import()
    for core in (dynamic, static):
        access = moved.sessions.verify(core.access_token, check_database=True)
        assert (access.user_id, access.handle) == ("ivan", core.handle)
    listed = [key["kid"] for key in moved.keyring.jwks(moved.clock.now)["keys"]]
    assert {moved.app.kid, moved.app.static_kid} <= set(listed)
    signer = moved.keyring.signing_key(moved.clock.now).kid
    assert signer not in {moved.app.kid, moved.app.static_kid}
    issued = moved.sessions.refresh(
        static.refresh_token
    )  # the static session keeps a static key: authstate's
    assert issued.access_token.claims["sub"] == "ivan"
    assert moved.keyring.static_key(moved.clock.now).kid != moved.app.static_kid


def test_the_real_core_v2_access_token_asks_for_a_refresh_never_a_server_error(moved: Moved):
    moved.run_import()
    error = refused(moved.sessions.verify, REAL[1]["token"], check_database=True)
    assert (error.code, error.status) == (ErrorCode.TOKEN_MALFORMED, 401)


def test_the_cores_verify_time_promotion_makes_the_session_native_with_the_child_in_use(moved: Moved):
    core = moved.app.create("jack")
    parent = core.refresh_token
    child = moved.app.refresh(core)  # the client holds the child and an access token whose parent is set
    moved.run_import()
    access, renewed = moved.sessions.verify_with_renewal(
        core.access_token, None, check_anti_csrf=False, check_database=True
    )
    assert access.parent_hash == sha256(parent)
    item = moved.item(core.handle)
    assert item is not None
    assert (item["refreshHash"]["S"], item["usedChild"]["M"]["c"]["S"]) == (sha256(parent), sha256(child))
    _, renewed = moved.sessions.verify_with_renewal(
        core.access_token, None, check_anti_csrf=False, check_database=True
    )
    assert renewed is not None
    assert renewed.parent_hash is None  # the SDK stops asking
    assert refused(moved.sessions.refresh, parent).code is ErrorCode.TOKEN_THEFT_DETECTED


def test_a_core_access_token_of_a_session_authstate_does_not_hold_asks_for_a_refresh(moved: Moved):
    moved.run_import()
    late = moved.app.create("kate")  # not imported
    error = refused(moved.sessions.verify, late.access_token, check_database=True)
    assert error.code is ErrorCode.TOKEN_KEY_UNKNOWN  # the SDK refreshes; the refresh decides
    native = moved.sessions.create("kate", "public", {}, {})
    moved.sessions.revoke(native.session.handle)
    error = refused(moved.sessions.verify, native.access_token.token, check_database=True)
    assert error.code is ErrorCode.SESSION_REVOKED


def test_the_imported_keys_retire_the_refresh_key_with_the_last_session(moved: Moved):
    core = moved.app.create("liam")
    outcome = moved.run_import()
    assert outcome.key_expires_at == core.row.expires_at_ms // 1000 + (core.row.expires_at_ms % 1000 > 0)
    moved.clock.now += 3600 + 300 + 1  # one core access-token lifetime and the clock skew later
    listed = [key["kid"] for key in moved.keyring.jwks(moved.clock.now)["keys"]]
    assert moved.app.kid not in listed
    assert refused(moved.sessions.verify, core.access_token, check_database=False).code in {
        ErrorCode.TOKEN_KEY_UNKNOWN, ErrorCode.TOKEN_EXPIRED,
    }  # fmt: skip
    moved.clock.now = outcome.key_expires_at + 1
    assert refused(moved.sessions.refresh, core.refresh_token).code is ErrorCode.REFRESH_TOKEN_INVALID


def test_a_tenants_session_keeps_the_cores_handle_and_refreshes(moved: Moved):
    core = moved.app.create("mia", tenant_id="tenant1")
    assert core.handle.endswith("_tenant1")
    moved.run_import()
    issued = moved.sessions.refresh(core.refresh_token)
    assert (issued.session.tenant_id, issued.access_token.claims["tId"]) == ("tenant1", "tenant1")
    assert moved.sessions.handles_of_user("mia", "tenant1") == [core.handle]


def test_two_first_refreshes_with_one_core_token_both_succeed(moved: Moved):
    core = moved.app.create("noah")
    moved.run_import()
    first = moved.sessions.refresh(core.refresh_token)
    second = moved.sessions.refresh(core.refresh_token)  # a retry, or a second tab: the native retry rule
    assert first.access_token.claims["parentRefreshTokenHash1"] == token_hash(core.refresh_token)
    assert second.access_token.claims["parentRefreshTokenHash1"] == token_hash(core.refresh_token)
