"""Sessions against DynamoDB Local: calls per operation, merges, session data, rotation and theft."""

from __future__ import annotations

import secrets
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from authstate.documents.jsondoc import size, to_plain
from authstate.errors import AuthstateError
from authstate.limits import MAX_SESSION_DATA_BYTES, MERGE_KEYS_PER_UPDATE
from authstate.recipe.session.key_store import load_mac_key
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.storage.table import Table
from tests.concurrency import run_concurrently
from tests.integration.harness import SETTINGS, WINDOW, Harness, error_of
from tests.settings import settings_with
from tools.bench.measure import CallCounter
from tools.localrun.dynamodb import client

plain = to_plain

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


# -- calls per operation -------------------------------------------------------------------------


def test_create_is_one_put(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    harness.sessions.create(unique_id, "public", {"role": "admin"}, {})
    assert call_counter.calls == ["PutItem"]
    call_counter.reset()
    harness.sessions.create(unique_id, "public", {"role": "admin"}, {"cart": 1})
    assert call_counter.calls == ["PutItem", "PutItem"]  # the data's item, then the session's


def test_online_merge_is_one_update(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    call_counter.reset()
    harness.sessions.merge_payload_online(issued.access_token.token, {"b": 2})
    assert call_counter.calls == ["UpdateItem"]


def test_online_merge_records_a_new_generations_first_use_once(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    refreshed = harness.sessions.refresh(
        harness.sessions.create(unique_id, "public", {}, {}).refresh_token.token
    )
    call_counter.reset()
    harness.sessions.merge_payload_online(refreshed.access_token.token, {"b": 2})
    harness.sessions.merge_payload_online(refreshed.access_token.token, {"c": 3})
    assert call_counter.calls == ["UpdateItem", "UpdateItem", "UpdateItem"]  # merge, record; merge


def test_offline_merge_is_one_update(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    call_counter.reset()
    harness.sessions.merge_payload_offline(issued.session.handle, {"b": 2})
    assert call_counter.calls == ["UpdateItem"]


def test_session_data_writes_are_a_read_of_the_session_and_one_update_each(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {"a": 1}).session.handle
    call_counter.reset()
    harness.sessions.put_data(handle, {"b": 2})
    harness.sessions.merge_data(handle, {"c": 3})
    assert call_counter.calls == ["GetItem", "UpdateItem", "GetItem", "UpdateItem"]


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


def test_custom_claims_sit_at_the_root_beside_the_v5_protected_ones(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(
        unique_id, "tenant-1", {"role": "admin", "n": None}, {"secret": "db only"}
    )
    token = issued.access_token.token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {
        "role": "admin",
        "sub": unique_id,
        "rsub": unique_id,
        "tId": "tenant-1",
        "sessionHandle": issued.session.handle,
        "iat": int(harness.clock.now),
        "exp": int(harness.clock.now) + SETTINGS.access_token_ttl_seconds,
        "refreshTokenHash1": issued.refresh_token.hash,
        "parentRefreshTokenHash1": None,
        "antiCsrfToken": None,
    }
    header = jwt.get_unverified_header(token)
    assert (header["version"], header["kid"][:2]) == ("5", "d-")
    assert "secret" not in token


def test_online_merge_returns_new_token_with_same_exp(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"keep": 1, "drop": 2}, {})
    harness.clock.now += 100
    merged = harness.sessions.merge_payload_online(
        issued.access_token.token, {"drop": None, "new": {"x": None}}
    )
    assert plain(merged.payload) == {"keep": 1, "new": {"x": None}}
    assert merged.claims["exp"] == issued.access_token.claims["exp"]
    assert merged.claims["iat"] == issued.access_token.claims["iat"] + 100
    verified = harness.sessions.verify(merged.token, check_database=True)
    assert plain(verified.payload) == {"keep": 1, "new": {"x": None}}


def test_offline_merge_shows_after_refresh_only(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"plan": "free"}, {})
    assert plain(harness.sessions.merge_payload_offline(issued.session.handle, {"plan": "pro"})) == {
        "plan": "pro"
    }
    assert plain(harness.sessions.verify(issued.access_token.token, check_database=True).payload) == {
        "plan": "free"
    }
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    assert plain(refreshed.access_token.payload) == {"plan": "pro"}


@pytest.mark.parametrize(
    "claim", ["sub", "exp", "iat", "sessionHandle", "tId", "rsub", "refreshTokenHash1", "iss", "jti", "stt"]
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
    assert plain(harness.sessions.get(issued.session.handle)[0].payload) == {"a": 1}


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
    assert plain(harness.sessions.get(issued.session.handle)[0].payload) == {"half": "y" * 2500}


def test_offline_merge_over_the_cap_is_413_and_writes_nothing(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {"half": "y" * 2500, "keep": 1}, {}).session.handle
    call_counter.reset()
    status_code = error_of(harness.sessions.merge_payload_offline, handle, {"more": "z" * 2500, "keep": None})
    assert status_code == (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE")
    assert call_counter.calls == ["UpdateItem"]  # its bound failed; the item it returned decided: refused
    assert plain(harness.sessions.get(handle)[0].payload) == {"half": "y" * 2500, "keep": 1}


def test_a_merge_near_the_cap_that_fits_is_decided_exactly_in_two_calls(
    harness: Harness,
    call_counter: CallCounter,
    dynamodb: DynamoDBClient,
    table_names: dict[str, str],
    unique_id: str,
) -> None:
    """An overwritten key leaves its old size in the count: the bound fails, the exact size fits."""
    handle = harness.sessions.create(unique_id, "public", {"pad": "x" * 3000}, {}).session.handle
    harness.sessions.merge_payload_offline(handle, {"x": "x" * 900})
    harness.sessions.merge_payload_offline(handle, {"x": "y" * 900})  # the count holds "x" twice now
    call_counter.reset()
    assert plain(harness.sessions.merge_payload_offline(handle, {"x": "z" * 900})) == {
        "pad": "x" * 3000,
        "x": "z" * 900,
    }
    assert call_counter.calls == ["UpdateItem", "UpdateItem"]
    item = dynamodb.get_item(TableName=table_names["SessionsTable"], Key={"sessionHandle": {"S": handle}})[
        "Item"
    ]
    assert int(item["payloadBytes"]["N"]) + 1 == size({"pad": "x" * 3000, "x": "z" * 900})  # exact again


def test_a_null_heavy_merge_over_the_cap_reads_once_and_writes_nothing(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    """Issue 11.5, 18.6: thousands of nulls cost one read, not one write per 200 of them."""
    handle = harness.sessions.create(unique_id, "public", {"pad": "x" * 3000, "gone": 1}, {}).session.handle
    update: dict[str, Any] = {"big": "y" * 2000, "gone": None, **{f"n{i}": None for i in range(3000)}}
    call_counter.reset()
    assert error_of(harness.sessions.merge_payload_offline, handle, update) == (
        413,
        "ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
    )
    assert call_counter.calls == ["GetItem"]
    assert plain(harness.sessions.get(handle)[0].payload) == {"pad": "x" * 3000, "gone": 1}


@pytest.mark.parametrize("online", [False, True])
def test_a_session_deleted_between_a_near_cap_read_and_its_write_is_gone_not_a_server_error(
    harness: Harness, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str, online: bool
) -> None:
    """The session disappears between the failed bounded write and the exact one (deterministically:
    the delete runs from the hook that sees the second UpdateItem go out)."""
    issued = harness.sessions.create(unique_id, "public", {"pad": "x" * 3000}, {})
    handle = issued.session.handle
    harness.sessions.merge_payload_offline(handle, {"x": "x" * 900})
    harness.sessions.merge_payload_offline(handle, {"x": None})  # the count still holds "x"
    updates: list[str] = []

    def delete_before_the_exact_write(**_: Any) -> None:
        updates.append("UpdateItem")
        if len(updates) == 2:
            dynamodb.delete_item(TableName=table_names["SessionsTable"], Key={"sessionHandle": {"S": handle}})

    dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", delete_before_the_exact_write)
    try:
        if online:
            token = issued.access_token.token
            result = error_of(harness.sessions.merge_payload_online, token, {"y": "y" * 900})
        else:
            result = error_of(harness.sessions.merge_payload_offline, handle, {"y": "y" * 900})
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", delete_before_the_exact_write)
    assert updates == ["UpdateItem", "UpdateItem"]
    assert result == ((401, "SESSION_REVOKED") if online else (404, "SESSION_NOT_FOUND"))
    assert (
        dynamodb.get_item(TableName=table_names["SessionsTable"], Key={"sessionHandle": {"S": handle}}).get(
            "Item"
        )
        is None
    )


def test_a_session_stored_before_counts_existed_gets_them_exactly_on_its_next_merge(
    harness: Harness, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": "x" * 100}, {"d": 1})
    key = {"sessionHandle": {"S": issued.session.handle}}
    name, data_name = table_names["SessionsTable"], table_names["SessionDataTable"]
    dynamodb.update_item(TableName=name, Key=key, UpdateExpression="REMOVE payloadBytes, payloadEpoch")
    dynamodb.update_item(TableName=data_name, Key=key, UpdateExpression="REMOVE dataBytes, dataEpoch")
    harness.sessions.merge_payload_offline(
        issued.session.handle, {"gone": None}
    )  # removes only: no count needed
    assert "payloadBytes" not in dynamodb.get_item(TableName=name, Key=key)["Item"]
    harness.sessions.merge_payload_offline(issued.session.handle, {"b": 2})
    harness.sessions.merge_data(issued.session.handle, {"e": [1]})
    item = dynamodb.get_item(TableName=name, Key=key)["Item"]
    data_item = dynamodb.get_item(TableName=data_name, Key=key)["Item"]
    assert int(item["payloadBytes"]["N"]) + 1 == size({"a": "x" * 100, "b": 2})
    assert int(data_item["dataBytes"]["N"]) + 1 == size({"d": 1, "e": [1]})
    assert (item["payloadEpoch"], data_item["dataEpoch"]) == ({"N": "1"}, {"N": "1"})


def test_a_near_cap_merge_of_the_most_keys_one_expression_holds_fits_its_expression(
    harness: Harness, call_counter: CallCounter, unique_id: str
) -> None:
    """200 keys with the longest names, on the path with the most clauses (bound failed, exact write)."""
    handle = harness.sessions.create(unique_id, "public", {}, {}).session.handle
    names = [f"{i:03}" + "k" * 1021 for i in range(MERGE_KEYS_PER_UPDATE)]
    harness.sessions.merge_data(handle, {"fill": "f" * 300_000})
    harness.sessions.merge_data(handle, {"fill": "g" * 40_000})  # the count still holds the 300 000
    call_counter.reset()
    merged = harness.sessions.merge_data(handle, dict.fromkeys(names, 1))
    assert call_counter.calls == ["GetItem", "UpdateItem", "UpdateItem"]  # the session's read first
    assert len(merged) == MERGE_KEYS_PER_UPDATE + 1


def test_claims_over_a_lowered_cap_only_shrink_and_mint_nothing(
    harness: Harness, dynamodb: DynamoDBClient, unique_id: str
) -> None:
    """Claims stored under a cap of 8192 and read under 4096: an offline merge that shrinks them is
    kept, one that grows them is not; an online merge (which mints) and a refresh are refused until
    they fit."""
    wide = harness.make(settings_with(MAX_CUSTOM_CLAIMS_BYTES="8192"))
    issued = wide.create(unique_id, "public", {"a": "x" * 3000, "b": "y" * 3000}, {})
    handle, narrow, shrink = issued.session.handle, harness.sessions, {"a": "x" * 2000}
    too_large = (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE")
    assert error_of(narrow.merge_payload_offline, handle, {"c": 1}) == too_large
    assert error_of(narrow.merge_payload_online, issued.access_token.token, shrink) == too_large
    assert plain(narrow.merge_payload_offline(handle, shrink)) == {"a": "x" * 2000, "b": "y" * 3000}
    assert error_of(narrow.refresh, issued.refresh_token.token) == too_large
    assert plain(narrow.merge_payload_offline(handle, {"a": "x"})) == {"a": "x", "b": "y" * 3000}
    assert plain(narrow.refresh(issued.refresh_token.token).access_token.payload) == {
        "a": "x",
        "b": "y" * 3000,
    }


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
                assert size(merged.payload) <= SETTINGS.max_custom_claims_bytes
                outcomes.append(200)
            except AuthstateError as error:
                outcomes.append(error.status)

    run_concurrently(partial(worker, n) for n in range(4))
    stored = harness.sessions.get(handle)[0].payload
    assert set(outcomes) == {200, 413}
    assert size(stored) <= SETTINGS.max_custom_claims_bytes
    assert len(stored) == outcomes.count(200)


def test_concurrent_online_merges_of_distinct_keys_lose_nothing(harness: Harness, unique_id: str) -> None:
    token = harness.sessions.create(unique_id, "public", {}, {}).access_token.token
    threads, merges = 8, 25

    def worker(number: int) -> None:
        own = harness.make()
        for i in range(merges):
            own.merge_payload_online(token, {f"t{number}-{i}": i})

    run_concurrently(partial(worker, n) for n in range(threads))
    handle = harness.sessions.verify(token, check_database=False).handle
    assert plain(harness.sessions.get(handle)[0].payload) == {
        f"t{n}-{i}": i for n in range(threads) for i in range(merges)
    }


def test_refresh_of_a_payload_stuck_over_the_cap_is_413_and_can_be_retried(
    harness: Harness, dynamodb: DynamoDBClient, table_names: dict[str, str], unique_id: str
) -> None:
    """A payload over the cap (written around the service, as a lowered cap would leave it) mints nothing;
    shrinking it offline, then refreshing with the same token, works."""
    issued = harness.sessions.create(unique_id, "public", {"pad": "x" * 3000}, {})
    dynamodb.update_item(
        TableName=table_names["SessionsTable"], Key={"sessionHandle": {"S": issued.session.handle}},
        UpdateExpression="SET #p.#k = :v", ExpressionAttributeNames={"#p": "payload", "#k": "stuck"},
        ExpressionAttributeValues={":v": {"S": '"' + "y" * 2000 + '"'}},
    )  # fmt: skip
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (
        413,
        "ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
    )
    assert plain(harness.sessions.merge_payload_offline(issued.session.handle, {"stuck": None})) == {
        "pad": "x" * 3000
    }
    assert plain(harness.sessions.refresh(issued.refresh_token.token).access_token.payload) == {
        "pad": "x" * 3000
    }


# -- session data --------------------------------------------------------------------------------


def test_session_data_overwrite_keeps_what_was_sent_and_merge_removes_nulls(
    harness: Harness, unique_id: str
) -> None:
    handle = harness.sessions.create(unique_id, "public", {}, {"a": 1, "b": {"c": 2}}).session.handle
    assert plain(harness.sessions.get_data(handle)) == {"a": 1, "b": {"c": 2}}
    assert plain(harness.sessions.put_data(handle, {"only": True, "kept": None})) == {
        "kept": None,
        "only": True,
    }
    assert plain(harness.sessions.get_data(handle)) == {"kept": None, "only": True}
    assert plain(harness.sessions.merge_data(handle, {"only": None, "x": [None]})) == {
        "kept": None,
        "x": [None],
    }
    assert plain(harness.sessions.get_data(handle)) == {"kept": None, "x": [None]}


def test_session_data_is_limited_so_the_session_itself_never_fails_on_size(
    harness: Harness, unique_id: str
) -> None:
    """Issue 11.4: data at its limit still leaves room for the payload at its cap, rotation and the
    theft-detection records; over the limit is 413 and nothing changes."""
    filler = {"fill": "d" * (MAX_SESSION_DATA_BYTES - len('{"fill":""}'))}
    assert size(filler) == MAX_SESSION_DATA_BYTES
    issued = harness.sessions.create(unique_id, "public", {}, {})
    handle = issued.session.handle
    harness.sessions.put_data(handle, filler)
    assert error_of(harness.sessions.put_data, handle, {**filler, "x": 1}) == (413, "SESSION_DATA_TOO_LARGE")
    assert error_of(harness.sessions.merge_data, handle, {"x": 1}) == (413, "SESSION_DATA_TOO_LARGE")
    assert error_of(harness.sessions.merge_data, handle, {"y": "z" * 100_000}) == (
        413,
        "SESSION_DATA_TOO_LARGE",
    )
    assert error_of(harness.sessions.create, unique_id, "public", {}, {**filler, "x": 1}) == (
        413,
        "SESSION_DATA_TOO_LARGE",
    )
    assert plain(harness.sessions.get_data(handle)) == plain(filler)
    cap = "c" * (SETTINGS.max_custom_claims_bytes - len('{"cap":""}'))
    merged = harness.sessions.merge_payload_online(issued.access_token.token, {"cap": cap})
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.verify(refreshed.access_token.token, check_database=True)  # records the child's use
    again = harness.sessions.refresh(refreshed.refresh_token.token)
    assert plain(harness.sessions.verify_with_data(again.access_token.token)[1]) == plain(filler)
    assert plain(merged.payload) == plain(again.access_token.payload) == {"cap": cap}


def test_offline_update_of_every_session_of_a_user(harness: Harness, unique_id: str) -> None:
    handles = {
        harness.sessions.create(unique_id, t, {}, {}).session.handle for t in ("public", "public", "t2")
    }
    assert set(harness.sessions.handles_of_user(unique_id)) == handles
    for handle in harness.sessions.handles_of_user(unique_id):
        harness.sessions.merge_data(handle, {"flag": "set"})
    assert [plain(harness.sessions.get_data(h)) for h in handles] == [{"flag": "set"}] * 3
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
    assert harness.sessions.verify(token, check_database=False).user_id == unique_id
    assert error_of(harness.sessions.verify, token, check_database=True) == (401, "SESSION_REVOKED")
    assert error_of(harness.sessions.merge_payload_online, token, {"a": 1}) == (401, "SESSION_REVOKED")
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "SESSION_REVOKED")


def test_revoke_all_of_a_user(harness: Harness, unique_id: str) -> None:
    handles = sorted(harness.sessions.create(unique_id, "public", {}, {}).session.handle for _ in range(3))
    other = harness.sessions.create(unique_id + "-other", "public", {}, {}).session.handle
    assert harness.sessions.revoke_all(unique_id) == handles
    assert harness.sessions.handles_of_user(unique_id) == []
    assert harness.sessions.get(other)[0].handle == other


def test_the_empty_user_id_has_sessions_and_they_can_be_listed(harness: Harness, unique_id: str) -> None:
    """SuperTokens' core creates sessions for the user id "" (``SessionAPI.java`` takes any string);
    DynamoDB refuses "" as an index key, so it is stored as U+0000 (``identifiers.user_id_key``), which no
    accepted user id contains. A tenant of this test's own keeps other tests' "" sessions out."""
    tenant = f"t-{uuid.uuid4().hex}"
    issued = harness.sessions.create("", tenant, {}, {})
    assert issued.access_token.user_id == ""
    session, _ = harness.sessions.get(issued.session.handle)
    assert (session.user_id, session.tenant_id) == ("", tenant)
    assert harness.sessions.verify(issued.access_token.token, check_database=True).user_id == ""
    assert harness.sessions.handles_of_user("", tenant) == [issued.session.handle]
    assert harness.sessions.revoke_all("", tenant) == [issued.session.handle]
    assert harness.sessions.handles_of_user("", tenant) == []


# -- refresh rotation and theft detection (design note §4) ---------------------------------------


def test_refresh_rotates_and_the_new_pair_works(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {"a": 1}, {})
    first = harness.sessions.refresh(issued.refresh_token.token)
    second = harness.sessions.refresh(first.refresh_token.token)
    assert second.access_token.parent_hash == first.refresh_token.hash
    assert plain(harness.sessions.verify(second.access_token.token, check_database=True).payload) == {"a": 1}


def theft_of(harness: Harness, token: str) -> dict[str, str]:
    with pytest.raises(AuthstateError) as caught:
        harness.sessions.refresh(token)
    return caught.value.to_body()


def test_old_refresh_token_after_child_used_is_theft_after_the_window(
    harness: Harness, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    child = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.refresh(child.refresh_token.token)  # the child is used: it becomes current
    harness.clock.now += WINDOW + 1
    assert theft_of(harness, issued.refresh_token.token) == {
        "code": "TOKEN_THEFT_DETECTED",
        "message": "a refresh token was reused after rotation: the session has been revoked",
        "sessionHandle": issued.session.handle,
        "userId": unique_id,
    }
    assert error_of(harness.sessions.get, issued.session.handle) == (404, "SESSION_NOT_FOUND")


@pytest.mark.parametrize("use", ["online merge", "verify with database"])
def test_old_refresh_token_after_childs_access_token_used_is_theft_after_the_window(
    harness: Harness, unique_id: str, use: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    child = harness.sessions.refresh(issued.refresh_token.token)
    if use == "online merge":
        harness.sessions.merge_payload_online(child.access_token.token, {"x": 1})
    else:
        harness.sessions.verify(child.access_token.token, check_database=True)
    harness.clock.now += WINDOW + 1
    assert error_of(harness.sessions.refresh, issued.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")


def test_refreshing_the_current_token_twice_is_not_theft(harness: Harness, unique_id: str) -> None:
    """A retry (a lost response) or two tabs: the current token may have several children."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token)
    tab_b = harness.sessions.refresh(issued.refresh_token.token)
    for tab in (tab_a, tab_b):
        assert harness.sessions.verify(tab.access_token.token, check_database=False).user_id == unique_id


def test_a_sibling_used_within_the_window_joins_the_winning_branch(harness: Harness, unique_id: str) -> None:
    """Issue 11.6, one client: two tabs refreshed R0 at once (R1a, R1b); A is used first; B, a moment
    later, is handed a token of A's branch, and both tabs stay signed in."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token)
    tab_b = harness.sessions.refresh(issued.refresh_token.token)
    a2 = harness.sessions.refresh(tab_a.refresh_token.token)
    harness.clock.now += WINDOW - 1
    b2 = harness.sessions.refresh(tab_b.refresh_token.token)
    assert b2.access_token.parent_hash == tab_a.refresh_token.hash == a2.access_token.parent_hash
    harness.clock.now += 2
    assert harness.sessions.verify(a2.access_token.token, check_database=True).user_id == unique_id
    a3 = harness.sessions.refresh(a2.refresh_token.token)  # the branch goes on from either tab
    assert harness.sessions.verify(a3.access_token.token, check_database=True).handle == issued.session.handle
    harness.clock.now += WINDOW + 1
    assert error_of(harness.sessions.refresh, b2.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")


def test_a_sibling_after_the_window_is_theft_and_the_attacker_is_not_left_alone(
    harness: Harness, unique_id: str
) -> None:
    """Issue 11.6, attacker and victim both hold R0; the attacker's sibling is used first; the victim's,
    used after the window, revokes the session: the attacker's tokens die with it."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    attacker = harness.sessions.refresh(issued.refresh_token.token)
    victim = harness.sessions.refresh(issued.refresh_token.token)
    attacker2 = harness.sessions.refresh(attacker.refresh_token.token)
    harness.clock.now += WINDOW + 1
    assert error_of(harness.sessions.refresh, victim.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")
    assert error_of(harness.sessions.refresh, attacker2.refresh_token.token) == (401, "SESSION_REVOKED")
    assert error_of(harness.sessions.verify, attacker2.access_token.token, check_database=True) == (
        401,
        "SESSION_REVOKED",
    )


@pytest.mark.parametrize("use", ["refresh", "verify with database"])
def test_with_no_reuse_window_a_sibling_is_theft_at_once(harness: Harness, unique_id: str, use: str) -> None:
    """``reuse_window_seconds=0`` (the CDI's default, as SuperTokens' core: ``Session.java``,
    ``refreshSessionHelper``): once one child of R0 is used, its sibling is theft in the same second."""
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token, reuse_window_seconds=0)
    tab_b = harness.sessions.refresh(issued.refresh_token.token, reuse_window_seconds=0)
    if use == "refresh":
        harness.sessions.refresh(tab_a.refresh_token.token, reuse_window_seconds=0)
    else:
        harness.sessions.verify(tab_a.access_token.token, check_database=True)
    with pytest.raises(AuthstateError) as caught:
        harness.sessions.refresh(tab_b.refresh_token.token, reuse_window_seconds=0)
    assert caught.value.code == "TOKEN_THEFT_DETECTED"
    assert error_of(harness.sessions.get, issued.session.handle) == (404, "SESSION_NOT_FOUND")


def test_with_no_reuse_window_the_parent_after_its_child_is_theft_at_once(
    harness: Harness, unique_id: str
) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    child = harness.sessions.refresh(issued.refresh_token.token, reuse_window_seconds=0)
    harness.sessions.verify(child.access_token.token, check_database=True)
    assert error_of(harness.sessions.refresh, issued.refresh_token.token, reuse_window_seconds=0) == (
        401,
        "TOKEN_THEFT_DETECTED",
    )


def test_first_child_used_through_its_access_token_wins_the_race(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    tab_a = harness.sessions.refresh(issued.refresh_token.token)
    tab_b = harness.sessions.refresh(issued.refresh_token.token)
    harness.sessions.verify(tab_a.access_token.token, check_database=True)  # A used first
    harness.sessions.verify(tab_b.access_token.token, check_database=True)  # still a valid token
    joined = harness.sessions.refresh(tab_b.refresh_token.token)  # within the window: A's branch
    assert joined.access_token.parent_hash == tab_a.refresh_token.hash
    harness.clock.now += WINDOW + 1
    assert error_of(harness.sessions.refresh, tab_b.refresh_token.token) == (401, "TOKEN_THEFT_DETECTED")


def test_parallel_refreshes_from_threads_are_not_theft(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    results: list[str] = []

    def refresh() -> None:
        try:
            harness.make().refresh(issued.refresh_token.token)
            results.append("ok")
        except AuthstateError as error:
            results.append(error.code)

    run_concurrently([refresh] * 6)
    assert results == ["ok"] * 6
    assert harness.sessions.get(issued.session.handle)[0].handle == issued.session.handle


def test_forged_refresh_token_is_invalid_and_revokes_nothing(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    body, _, _mac = issued.refresh_token.token.rpartition(".")
    forgeries = [
        f"{body}.AAAAAAAAAAAAAAAAAAAAAAAA",
        RefreshTokenCodec(secrets.token_bytes(32)).issue(issued.session.handle, "made-up-parent").token,
        "rt1.not.a.token",
        "rt1.é.-.x.y",
        "",
    ]
    for forged in forgeries:
        assert error_of(harness.sessions.refresh, forged) == (401, "REFRESH_TOKEN_INVALID")
    assert harness.sessions.refresh(issued.refresh_token.token).session.handle == issued.session.handle


def test_verify_with_data_is_two_reads(harness: Harness, call_counter: CallCounter, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {"cart": [1]})
    call_counter.reset()
    access, data = harness.sessions.verify_with_data(issued.access_token.token)
    assert (access.user_id, plain(data)) == (unique_id, {"cart": [1]})
    assert call_counter.calls == ["GetItem", "GetItem"]  # the session's item, then its data's


def test_configured_issuer_is_required(harness: Harness, unique_id: str) -> None:
    issued = harness.sessions.create(unique_id, "public", {}, {})
    strict = harness.make(SETTINGS.model_copy(update={"token_issuer": "https://auth.example"}))
    assert error_of(strict.verify, issued.access_token.token, check_database=False) == (
        401,
        "TOKEN_CLAIMS_INVALID",
    )
    minted = strict.create(unique_id, "public", {}, {})
    assert minted.access_token.claims["iss"] == "https://auth.example"
    assert (
        strict.verify(minted.access_token.token, check_database=False).claims["iss"] == "https://auth.example"
    )


@pytest.mark.parametrize("wrong", [None, "nope", "é", "😀", "\udc80"])
def test_anti_csrf_token_is_required_when_enabled(
    harness: Harness, unique_id: str, wrong: str | None
) -> None:
    """Issue 11.1: any wrong token, non-ASCII included, is ANTI_CSRF_FAILED (never a 500)."""
    issued = harness.sessions.create(unique_id, "public", {}, {}, anti_csrf=True)
    csrf = issued.session.anti_csrf_token
    assert csrf
    token = issued.access_token.token
    assert error_of(harness.sessions.verify, token, check_database=False, anti_csrf_token=wrong) == (
        401, "ANTI_CSRF_FAILED")  # fmt: skip
    assert error_of(harness.sessions.merge_payload_online, token, {"a": 1}, wrong) == (
        401,
        "ANTI_CSRF_FAILED",
    )
    assert harness.sessions.verify(token, check_database=False, anti_csrf_token=csrf)
    refreshed = harness.sessions.refresh(issued.refresh_token.token)
    assert refreshed.session.anti_csrf_token == csrf


def test_mac_key_is_created_once_under_concurrency(
    dynamodb_endpoint: str, table_names: dict[str, str], unique_id: str
) -> None:
    keys: list[bytes] = []

    def load() -> None:
        connection = client(dynamodb_endpoint)
        keys.append(
            load_mac_key(Table(table_names["SigningKeysTable"], lambda: connection), f"mac-{unique_id}")
        )

    run_concurrently([load] * 8)
    assert len(keys) == 8
    assert len(set(keys)) == 1
