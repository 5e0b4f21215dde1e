"""Session data's limit over real HTTP (issue 11.4, 11.9): data just under it never locks a session out;
every route that would take it over is a 413 that changes nothing; data is stored exactly as sent."""

from __future__ import annotations

from tests.e2e.calls import (
    CLAIMS_CAP,
    SESSION_DATA_CAP,
    create,
    data_of_size,
    outcome,
    refresh,
    size_of,
    stored_data,
    verify,
)
from tests.e2e.conftest import Api

# -- 11.4 session data limit (no self-lockout) -----------------------------------------------------


def test_session_data_just_under_limit_never_locks_the_session(api: Api, unique_id: str) -> None:
    """11.4: with session data just under 350000 bytes, refresh, verify, merge and reads all work."""
    created = create(api, unique_id, accessTokenPayload={"role": "user"})
    handle = created["session"]["handle"]
    data = data_of_size(SESSION_DATA_CAP - 1)
    put = api.call("PUT", f"/sessions/{handle}/data", json={"sessionData": data})
    refreshed = refresh(api, created["refreshToken"]["token"])
    assert [outcome(put), outcome(refreshed)] == [(200, None), (200, None)]
    access = refreshed.json()["accessToken"]["token"]
    checked = verify(api, access, checkDatabase=True)
    merged = api.call("POST", "/sessions/merge", json={"accessToken": access, "update": {"big": "z" * 3980}})
    assert [outcome(checked), outcome(merged)] == [(200, None), (200, None)]
    assert 3990 < size_of(merged.json()["accessTokenPayload"]) < CLAIMS_CAP
    read = verify(api, merged.json()["accessToken"]["token"], includeSessionData=True)
    assert outcome(read) == (200, None)
    assert read.json()["sessionData"] == data


def test_offline_put_of_session_data_over_limit_is_413(api: Api, unique_id: str) -> None:
    """11.4: PUT /sessions/{h}/data of 350001 bytes → 413 SESSION_DATA_TOO_LARGE, data unchanged."""
    handle = create(api, unique_id, sessionData={"before": 1})["session"]["handle"]
    response = api.call(
        "PUT", f"/sessions/{handle}/data", json={"sessionData": data_of_size(SESSION_DATA_CAP + 1)}
    )
    assert (outcome(response), stored_data(api, handle)) == ((413, "SESSION_DATA_TOO_LARGE"), {"before": 1})


def test_offline_patch_of_session_data_past_limit_is_413(api: Api, unique_id: str) -> None:
    """11.4: PATCH /sessions/{h}/data making the data exceed 350000 bytes → 413, data unchanged."""
    before = data_of_size(200_000, key="a")
    handle = create(api, unique_id, sessionData=before)["session"]["handle"]
    update = data_of_size(SESSION_DATA_CAP - 200_000 + 10, key="b")
    assert size_of({**before, **update}) > SESSION_DATA_CAP
    response = api.call("PATCH", f"/sessions/{handle}/data", json={"update": update})
    assert (outcome(response), stored_data(api, handle) == before) == ((413, "SESSION_DATA_TOO_LARGE"), True)


def test_online_put_of_session_data_over_limit_is_413(api: Api, unique_id: str) -> None:
    """11.4: PUT /sessions/data of 350001 bytes → 413 SESSION_DATA_TOO_LARGE, data unchanged."""
    created = create(api, unique_id, sessionData={"before": 1})
    response = api.call(
        "PUT",
        "/sessions/data",
        json={
            "accessToken": created["accessToken"]["token"],
            "sessionData": data_of_size(SESSION_DATA_CAP + 1),
        },
    )
    stored = stored_data(api, created["session"]["handle"])
    assert (outcome(response), stored) == ((413, "SESSION_DATA_TOO_LARGE"), {"before": 1})


def test_online_patch_of_session_data_past_limit_is_413(api: Api, unique_id: str) -> None:
    """11.4: PATCH /sessions/data making the data exceed 350000 bytes → 413, data unchanged."""
    before = data_of_size(200_000, key="a")
    created = create(api, unique_id, sessionData=before)
    update = data_of_size(SESSION_DATA_CAP - 200_000 + 10, key="b")
    response = api.call(
        "PATCH", "/sessions/data", json={"accessToken": created["accessToken"]["token"], "update": update}
    )
    unchanged = stored_data(api, created["session"]["handle"]) == before
    assert (outcome(response), unchanged) == ((413, "SESSION_DATA_TOO_LARGE"), True)


def test_create_with_session_data_over_limit_is_413(api: Api, unique_id: str) -> None:
    """11.4: POST /sessions with 350001 bytes of sessionData → 413 SESSION_DATA_TOO_LARGE."""
    response = api.call(
        "POST", "/sessions", json={"userId": unique_id, "sessionData": data_of_size(SESSION_DATA_CAP + 1)}
    )
    assert outcome(response) == (413, "SESSION_DATA_TOO_LARGE")


def test_session_data_put_keeps_null_values(api: Api, unique_id: str) -> None:
    """11.9: PUT /sessions/{h}/data keeps a null value: stored data is exactly as sent."""
    handle = create(api, unique_id)["session"]["handle"]
    put = api.call("PUT", f"/sessions/{handle}/data", json={"sessionData": {"keep": None, "x": 1}})
    assert (outcome(put), stored_data(api, handle)) == ((200, None), {"keep": None, "x": 1})
