"""Sessions against DynamoDB Local: calls per operation, merges, session data, rotation and theft."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from authstate.errors import AuthstateError
from authstate.keys import KeyRing
from authstate.refresh_tokens import RefreshTokenCodec, load_mac_key
from authstate.sessions import Sessions
from authstate.settings import Settings
from authstate.store import Table
from localrun.dynamodb import client
from tests.conftest import CallCounter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SETTINGS = Settings(
    user_metadata_table="unused",
    sessions_table="unused",
    signing_keys_table="unused",
    access_token_ttl_seconds=3600,
    refresh_token_ttl_seconds=86400,
    signing_key_rotation_seconds=7 * 86400,
    max_custom_claims_bytes=4096,
    issuer=None,
)


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    sessions: Sessions
    clock: Clock
    make: Any  # (config=SETTINGS) -> Sessions sharing keys and MAC key, with a client of its own


@pytest.fixture
def harness(
    dynamodb: DynamoDBClient, dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> Harness:
    clock = Clock()
    mac_key = secrets.token_bytes(32)

    def make(connection: DynamoDBClient = dynamodb, config: Settings = SETTINGS) -> Sessions:
        keys_table = Table(table_names["SigningKeysTable"], lambda: connection)
        keyring = KeyRing(
            keys_table,
            rotation_seconds=SETTINGS.signing_key_rotation_seconds,
            access_token_ttl_seconds=SETTINGS.access_token_ttl_seconds,
            partition=f"keys-{unique_id}",
        )
        codec = RefreshTokenCodec(mac_key)
        return Sessions(
            Table(table_names["SessionsTable"], lambda: connection), keyring, lambda: codec, config, clock
        )

    sessions = make()
    sessions.create("warm-up", "public", {}, {})  # load/create the signing key outside any count
    return Harness(sessions, clock, lambda config=SETTINGS: make(client(dynamodb_endpoint), config))


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(AuthstateError) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


# -- calls per operation -------------------------------------------------------------------------


def test_create_is_one_put(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    harness.sessions.create(unique_id, "public", {"role": "admin"}, {"cart": 1})
    assert call_counter.calls == ["PutItem"]


def test_online_merge_is_one_update(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    call_counter.reset()
    harness.sessions.merge_payload_online(issued.access_token.token, {"b": 2})
    assert call_counter.calls == ["UpdateItem"]


def test_offline_merge_is_one_update(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    call_counter.reset()
    harness.sessions.merge_payload_offline(issued.session.handle, {"b": 2})
    assert call_counter.calls == ["UpdateItem"]


def test_session_data_writes_are_one_update_each(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {"a": 1}).session.handle
    call_counter.reset()
    harness.sessions.put_data(handle, {"b": 2})
    harness.sessions.merge_data(handle, {"c": 3})
    assert call_counter.calls == ["UpdateItem", "UpdateItem"]


def test_refresh_is_one_conditional_update(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    call_counter.reset()
    harness.sessions.refresh(issued.refresh_token.token)
    assert call_counter.calls == ["UpdateItem"]


def test_verify_without_database_makes_no_call(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    call_counter.reset()
    harness.sessions.verify(issued.access_token.token, check_database=False)
    assert call_counter.calls == []


# -- claims and merges ---------------------------------------------------------------------------


def test_custom_claims_sit_at_the_root_beside_protected_ones(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(
        unique_id, "tenant-1", {"role": "admin", "n": None}, {"secret": "db only"}
    )
    claims = jwt.decode(issued.access_token.token, options={"verify_signature": False})
    assert set(claims) == {
        "role", "sub", "iat", "exp", "sessionHandle", "tId", "refreshTokenHash1", "parentRefreshTokenHash1",
        "antiCsrfToken",
    }  # fmt: skip
    assert (claims["role"], claims["sub"], claims["tId"]) == ("admin", unique_id, "tenant-1")
    assert claims["exp"] - claims["iat"] == SETTINGS.access_token_ttl_seconds
    assert "secret" not in issued.access_token.token


def test_online_merge_returns_new_token_with_same_exp(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"keep": 1, "drop": 2}, {})
    harness.clock.now += 100
    merged = harness.sessions.merge_payload_online(
        issued.access_token.token, {"drop": None, "new": {"x": None}}
    )
    assert merged.payload == {"keep": 1, "new": {"x": None}}
    assert merged.claims["exp"] == issued.access_token.claims["exp"]
    assert merged.claims["iat"] == issued.access_token.claims["iat"] + 100
    verified = harness.sessions.verify(merged.token, check_database=True)
    assert verified.payload == {"keep": 1, "new": {"x": None}}


def test_offline_merge_shows_after_refresh_only(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"plan": "free"}, {})
    assert harness.sessions.merge_payload_offline(issued.session.handle, {"plan": "pro"}) == {"plan": "pro"}
    assert harness.sessions.verify(issued.access_token.token, check_database=True).payload == {"plan": "free"}
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    assert refreshed.access_token.payload == {"plan": "pro"}


@pytest.mark.parametrize(
    "claim", ["sub", "exp", "iat", "sessionHandle", "tId", "refreshTokenHash1", "iss", "jti"]
)
def test_protected_claims_are_refused_everywhere(harness: Harness, unique_id: str, claim: str) -> None:
    assert error_of(harness.sessions.create, unique_id, "public", {claim: "x"}, {}) == (
        400,
        "PROTECTED_CLAIM",
    )
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    for value in ("x", None):
        assert error_of(harness.sessions.merge_payload_online, issued.access_token.token, {claim: value}) == (
            400, "PROTECTED_CLAIM")  # fmt: skip
        assert error_of(harness.sessions.merge_payload_offline, issued.session.handle, {claim: value}) == (
            400, "PROTECTED_CLAIM")  # fmt: skip
    assert harness.sessions.get(issued.session.handle)[0].payload == {"a": 1}


def test_payload_over_the_cap_is_413_before_anything_is_stored(harness: Harness, unique_id: str) -> None:
    big = {"blob": "x" * SETTINGS.max_custom_claims_bytes}
    assert error_of(harness.sessions.create, unique_id, "public", big, {}) == (
        413,
        "ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
    )
    assert harness.sessions.handles_of_user(unique_id) == []
    issued = harness.sessions.create(unique_id, "public", {"half": "y" * 2500}, {})
    status_code = error_of(
        harness.sessions.merge_payload_online, issued.access_token.token, {"more": "z" * 2500}
    )
    assert status_code == (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE")
    assert harness.sessions.get(issued.session.handle)[0].payload == {"half": "y" * 2500}


def test_offline_merge_over_the_cap_is_413_and_undone(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {"half": "y" * 2500, "keep": 1}, {}).session.handle
    call_counter.reset()
    status_code = error_of(harness.sessions.merge_payload_offline, handle, {"more": "z" * 2500, "keep": None})
    assert status_code == (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE")
    assert call_counter.calls == ["UpdateItem", "UpdateItem"]  # the merge, then its undo
    assert harness.sessions.get(handle)[0].payload == {"half": "y" * 2500, "keep": 1}


def test_concurrent_merges_from_one_old_token_cannot_pass_the_cap(harness: Harness, unique_id: str) -> None:
    """Each merge alone fits when checked against the token it presents; together they would not."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    token, handle = issued.access_token.token, issued.session.handle
    outcomes: list[int] = []
    value = "v" * 200

    def worker(number: int) -> None:
        own = harness.make()
        for i in range(10):
            try:
                merged = own.merge_payload_online(token, {f"t{number}-{i}": value})
                assert (
                    len(json.dumps(merged.payload, separators=(",", ":"))) <= SETTINGS.max_custom_claims_bytes
                )
                outcomes.append(200)
            except AuthstateError as error:
                outcomes.append(error.status)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stored = harness.sessions.get(handle)[0].payload
    assert set(outcomes) == {200, 413}
    assert len(json.dumps(stored, separators=(",", ":"))) <= SETTINGS.max_custom_claims_bytes
    assert len(stored) == outcomes.count(200)


def test_concurrent_online_merges_of_distinct_keys_lose_nothing(harness: Harness, unique_id: str) -> None:
    token = harness.sessions.create(unique_id, "public", {}, {}).access_token.token
    threads, merges = 8, 25

    def worker(number: int) -> None:
        own = harness.make()
        for i in range(merges):
            own.merge_payload_online(token, {f"t{number}-{i}": i})

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    handle = harness.sessions.verify(token, check_database=False).claims["sessionHandle"]
    assert harness.sessions.get(handle)[0].payload == {
        f"t{n}-{i}": i for n in range(threads) for i in range(merges)
    }


# -- session data --------------------------------------------------------------------------------


def test_session_data_overwrite_and_merge(harness: Harness, unique_id: str) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {"a": 1, "b": {"c": 2}}).session.handle
    assert harness.sessions.get_data(handle) == {"a": 1, "b": {"c": 2}}
    assert harness.sessions.put_data(handle, {"only": True, "gone": None}) == {"only": True}
    assert harness.sessions.merge_data(handle, {"only": None, "x": [None]}) == {"x": [None]}
    assert harness.sessions.get_data(handle) == {"x": [None]}


def test_offline_update_of_every_session_of_a_user(harness: Harness, unique_id: str) -> None:
    handles = {
        harness.sessions.create(unique_id, t, {}, {}).session.handle for t in ("public", "public", "t2")
    }
    assert set(harness.sessions.handles_of_user(unique_id)) == handles
    for handle in harness.sessions.handles_of_user(unique_id):
        harness.sessions.merge_data(handle, {"flag": "set"})
    assert [harness.sessions.get_data(h) for h in handles] == [{"flag": "set"}] * 3
    assert len(harness.sessions.handles_of_user(unique_id, "t2")) == 1


# -- expiry, revocation --------------------------------------------------------------------------


def test_expired_session_reads_as_missing_before_ttl_deletes_it(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    harness.clock.now += SETTINGS.refresh_token_ttl_seconds + 1
    handle = issued.session.handle
    assert error_of(harness.sessions.get, handle) == (404, "SESSION_NOT_FOUND")
    assert error_of(harness.sessions.merge_payload_offline, handle, {"a": 1}) == (404, "SESSION_NOT_FOUND")
    assert error_of(harness.sessions.put_data, handle, {"a": 1}) == (404, "SESSION_NOT_FOUND")
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "SESSION_EXPIRED")
    assert harness.sessions.handles_of_user(unique_id) == []


def test_revoked_session_fails_database_checks_only(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    assert harness.sessions.revoke(issued.session.handle) is True
    assert harness.sessions.revoke(issued.session.handle) is False
    token = issued.access_token.token
    assert harness.sessions.verify(token, check_database=False).claims["sub"] == unique_id
    assert error_of(harness.sessions.verify, token, check_database=True) == (401, "SESSION_REVOKED")
    assert error_of(harness.sessions.merge_payload_online, token, {"a": 1}) == (401, "SESSION_REVOKED")
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "SESSION_REVOKED")


def test_revoke_all_of_a_user(harness: Harness, unique_id: str) -> None:
    handles = sorted(harness.sessions.create(unique_id, "public", {}, {}).session.handle for _ in range(3))
    other = harness.sessions.create(unique_id + "-other", "public", {}, {}).session.handle
    assert harness.sessions.revoke_all(unique_id) == handles
    assert harness.sessions.handles_of_user(unique_id) == []
    assert harness.sessions.get(other)[0].handle == other


# -- refresh rotation and theft detection --------------------------------------------------------


def test_refresh_rotates_and_the_new_pair_works(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    first = harness.sessions.refresh(issued.refresh_token.token)
    second = harness.sessions.refresh(first.refresh_token.token)
    assert second.access_token.claims["parentRefreshTokenHash1"] == first.refresh_token.hash
    assert harness.sessions.verify(second.access_token.token, check_database=True).payload == {"a": 1}


def test_old_refresh_token_after_child_used_is_theft(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    child = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.refresh(child.refresh_token.token)  # the child is used: it becomes current
    with pytest.raises(AuthstateError) as caught:
        harness.sessions.refresh(issued.refresh_token.token)
    assert caught.value.to_body() == {
        "code": "TOKEN_THEFT_DETECTED",
        "message": "a refresh token was reused after rotation: the session has been revoked",
        "sessionHandle": issued.session.handle,
        "userId": unique_id,
    }
    assert error_of(harness.sessions.get, issued.session.handle) == (404, "SESSION_NOT_FOUND")


@pytest.mark.parametrize("use", ["online merge", "verify with database"])
def test_old_refresh_token_after_childs_access_token_used_is_theft(
    harness: Harness, unique_id: str, use: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    child = harness.sessions.refresh(issued.refresh_token.token)
    if use == "online merge":
        harness.sessions.merge_payload_online(child.access_token.token, {"x": 1})
    else:
        harness.sessions.verify(child.access_token.token, check_database=True)
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")


def test_refreshing_the_current_token_twice_is_not_theft(harness: Harness, unique_id: str) -> None:
    """Two tabs refresh with the same still-current token: both get a valid pair."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token)
    tab_b = harness.sessions.refresh(issued.refresh_token.token)
    for tab in (tab_a, tab_b):
        assert (
            harness.sessions.verify(tab.access_token.token, check_database=False).claims["sub"] == unique_id
        )
    # The first child used wins (B here); A's refresh token is refused, and the session lives on.
    winner = harness.sessions.refresh(tab_b.refresh_token.token)
    assert error_of(harness.sessions.refresh, tab_a.refresh_token.token) == (401, "REFRESH_TOKEN_SUPERSEDED")
    assert harness.sessions.refresh(winner.refresh_token.token).session.handle == issued.session.handle


def test_first_child_used_through_its_access_token_wins(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token)
    tab_b = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.verify(tab_a.access_token.token, check_database=True)  # A used first
    harness.sessions.verify(tab_b.access_token.token, check_database=True)  # still a valid token
    assert error_of(harness.sessions.refresh, tab_b.refresh_token.token) == (401, "REFRESH_TOKEN_SUPERSEDED")
    assert harness.sessions.refresh(tab_a.refresh_token.token).session.handle == issued.session.handle


def test_parallel_refreshes_from_threads_are_not_theft(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    results: list[str] = []

    def refresh() -> None:
        try:
            harness.make().refresh(issued.refresh_token.token)
            results.append("ok")
        except AuthstateError as error:
            results.append(error.code)

    workers = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert results == ["ok"] * 6
    assert harness.sessions.get(issued.session.handle)[0].handle == issued.session.handle


def test_forged_refresh_token_is_invalid_and_revokes_nothing(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    body, _, _mac = issued.refresh_token.token.rpartition(".")
    forgeries = [
        f"{body}.AAAAAAAAAAAAAAAAAAAAAAAA",
        RefreshTokenCodec(secrets.token_bytes(32)).issue(issued.session.handle, "made-up-parent").token,
        "rt1.not.a.token",
        "",
    ]
    for forged in forgeries:
        assert error_of(harness.sessions.refresh, forged) == (401, "REFRESH_TOKEN_INVALID")
    assert harness.sessions.refresh(issued.refresh_token.token).session.handle == issued.session.handle


def test_verify_with_data_is_one_read(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {"cart": [1]})
    call_counter.reset()
    access, data = harness.sessions.verify_with_data(issued.access_token.token)
    assert (access.claims["sub"], data) == (unique_id, {"cart": [1]})
    assert call_counter.calls == ["GetItem"]


def test_configured_issuer_is_required(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    strict = harness.make(replace(SETTINGS, issuer="https://auth.example"))  # as if TOKEN_ISSUER were set
    assert error_of(strict.verify, issued.access_token.token, check_database=False) == (
        401,
        "TOKEN_CLAIMS_INVALID",
    )
    minted = strict.create(unique_id, "public", {}, {})
    assert minted.access_token.claims["iss"] == "https://auth.example"
    assert (
        strict.verify(minted.access_token.token, check_database=False).claims["iss"] == "https://auth.example"
    )


def test_anti_csrf_token_is_required_when_enabled(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {}, anti_csrf=True)
    assert issued.anti_csrf_token
    token = issued.access_token.token
    assert error_of(harness.sessions.verify, token, check_database=False) == (401, "ANTI_CSRF_FAILED")
    assert error_of(harness.sessions.verify, token, check_database=False, anti_csrf_token="nope") == (
        401, "ANTI_CSRF_FAILED")  # fmt: skip
    assert harness.sessions.verify(token, check_database=False, anti_csrf_token=issued.anti_csrf_token)
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    assert refreshed.anti_csrf_token == issued.anti_csrf_token


def test_mac_key_is_created_once_under_concurrency(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    keys: list[bytes] = []

    def load() -> None:
        connection = client(dynamodb_endpoint)
        keys.append(
            load_mac_key(Table(table_names["SigningKeysTable"], lambda: connection), f"mac-{unique_id}")
        )

    workers = [threading.Thread(target=load) for _ in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
