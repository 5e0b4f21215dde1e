"""Regression tests for the second security probe and code review (issue 11.1 to 11.9), over real
HTTP against the local server. Each asserts the fixed behaviour; each that failed before the fix
was seen failing (as a strict xfail) against the code it fixed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.e2e.conftest import API_KEY, Api
from tools.localrun.process import local_server

#: Default ``MAX_CUSTOM_CLAIMS_BYTES``.
CLAIMS_CAP = 4096
#: The documented limit on session data (compact JSON, UTF-8 bytes), issue 11.4.
SESSION_DATA_CAP = 350_000
#: Nesting limit of a document (the document object itself is level 1), issue 11.8.
MAX_DEPTH = 64
#: The reuse window the dedicated server of issue 11.6 runs with.
REUSE_WINDOW_SECONDS = 5  # room for cold starts on a loaded machine; one test sleeps past it


def size_of(document: Any) -> int:
    """UTF-8 bytes of the compact JSON, as the service measures documents."""
    return len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())


def create(api: Api, user_id: str, **fields: Any) -> dict[str, Any]:
    response = api.call("POST", "/sessions", json={"userId": user_id, **fields})
    assert response.status_code == 201, response.text[:500]
    body: dict[str, Any] = response.json()
    return body


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def outcome(response: requests.Response) -> tuple[int, str | None]:
    """Status and error code (``None`` for a success body)."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, f"<not JSON: {response.text[:80]!r}>"
    code = body.get("code") if isinstance(body, dict) and response.status_code >= 400 else None
    return response.status_code, code


def verify(api: Api, token: str, **fields: Any) -> requests.Response:
    return api.call("POST", "/sessions/verify", json={"accessToken": token, **fields})


def refresh(api: Api, refresh_token: str) -> requests.Response:
    return api.call("POST", "/sessions/refresh", json={"refreshToken": refresh_token})


def run_together(
    *calls: Callable[[], requests.Response], pool: ThreadPoolExecutor | None = None
) -> list[requests.Response]:
    """Run the calls on threads released together by a barrier (on ``pool``'s threads if given, so
    that many rounds need not start new threads); their responses, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=60)
        return call()

    if pool is not None:
        return [future.result() for future in [pool.submit(run, call) for call in calls]]
    with ThreadPoolExecutor(max_workers=len(calls)) as own_pool:
        return [future.result() for future in [own_pool.submit(run, call) for call in calls]]


# -- 11.1 non-ASCII anti-CSRF token ----------------------------------------------------------------

ONLINE_ROUTES_WITH_CSRF = {
    "verify": ("POST", "/sessions/verify", {}),
    "merge": ("POST", "/sessions/merge", {"update": {"a": 1}}),
    "put-data": ("PUT", "/sessions/data", {"sessionData": {"a": 1}}),
    "patch-data": ("PATCH", "/sessions/data", {"update": {"a": 1}}),
}


@pytest.mark.parametrize("csrf", ["é", "😀"], ids=["latin1", "astral"])
@pytest.mark.parametrize("route", list(ONLINE_ROUTES_WITH_CSRF))
def test_non_ascii_anti_csrf_token_is_401(api: Api, unique_id: str, route: str, csrf: str) -> None:
    """11.1: a non-ASCII anti-CSRF token is a wrong token (401 ANTI_CSRF_FAILED, nothing written),
    not a crash."""
    created = create(api, unique_id, enableAntiCsrf=True, sessionData={"keep": 1})
    method, path, extra = ONLINE_ROUTES_WITH_CSRF[route]
    body = {"accessToken": created["accessToken"]["token"], "antiCsrfToken": csrf, **extra}
    response = api.call(method, path, json=body)
    stored = api.call("GET", f"/sessions/{created['session']['handle']}").json()["session"]
    assert (outcome(response), stored["accessTokenPayload"], stored["sessionData"]) == (
        (401, "ANTI_CSRF_FAILED"),
        {},
        {"keep": 1},
    )


# -- 11.2 minted tokens always verify --------------------------------------------------------------


def near_cap_payload(kind: str, room: int = 0) -> dict[str, Any]:
    """One key of characters JSON escapes (6 bytes each) or that are 4-byte UTF-8, just under the
    claims cap less ``room`` bytes."""
    char = {"astral": "😀", "control": "\u0001"}[kind]
    unit = size_of(char) - 2
    count = (CLAIMS_CAP - 1 - room - size_of({"k": ""})) // unit
    payload = {"k": char * count}
    assert CLAIMS_CAP - unit - room <= size_of(payload) < CLAIMS_CAP - room
    return payload


KINDS = ["astral", "control"]


@pytest.mark.parametrize("kind", KINDS)
def test_created_token_with_near_cap_claims_verifies(api: Api, unique_id: str, kind: str) -> None:
    """11.2: creation under the byte cap (escaped / 4-byte characters) → 201; its token verifies."""
    payload = near_cap_payload(kind)
    created = create(api, unique_id, accessTokenPayload=payload)
    response = verify(api, created["accessToken"]["token"])
    assert outcome(response) == (200, None)
    assert response.json()["accessTokenPayload"] == payload


@pytest.mark.parametrize("kind", KINDS)
def test_online_merge_token_with_near_cap_claims_verifies(api: Api, unique_id: str, kind: str) -> None:
    """11.2: an online merge that stays under the cap → 200, and its new token verifies."""
    payload = near_cap_payload(kind, room=size_of({"z": 1}))
    created = create(api, unique_id, accessTokenPayload=payload)
    merged = api.call(
        "POST", "/sessions/merge", json={"accessToken": created["accessToken"]["token"], "update": {"z": 1}}
    )
    assert outcome(merged) == (200, None)
    assert size_of(merged.json()["accessTokenPayload"]) < CLAIMS_CAP
    response = verify(api, merged.json()["accessToken"]["token"])
    assert outcome(response) == (200, None)
    assert response.json()["accessTokenPayload"] == {**payload, "z": 1}


@pytest.mark.parametrize("kind", KINDS)
def test_offline_merge_then_refresh_token_with_near_cap_claims_verifies(
    api: Api, unique_id: str, kind: str
) -> None:
    """11.2: an offline merge under the cap, then refresh → 200, and the refreshed token verifies."""
    payload = near_cap_payload(kind, room=size_of({"z": 1}))
    created = create(api, unique_id, accessTokenPayload=payload)
    patched = api.call(
        "PATCH", f"/sessions/{created['session']['handle']}/payload", json={"update": {"z": 1}}
    )
    assert outcome(patched) == (200, None)
    refreshed = refresh(api, created["refreshToken"]["token"])
    assert outcome(refreshed) == (200, None)
    response = verify(api, refreshed.json()["accessToken"]["token"])
    assert outcome(response) == (200, None)
    assert response.json()["accessTokenPayload"] == {**payload, "z": 1}


# -- 11.3 refresh racing a refused offline merge ---------------------------------------------------


def test_refresh_racing_refused_offline_merge_never_mints_refused_claims(
    api: Api, server_url: str, unique_id: str
) -> None:
    """11.3: no refresh ever mints a token with the claims of a refused (413) merge."""
    created = create(api, unique_id, accessTokenPayload={"pad": "x" * 3000})
    handle, refresh_token = created["session"]["handle"], created["refreshToken"]["token"]
    bad_merges: list[tuple[int, tuple[int, str | None]]] = []
    bad_refreshes: list[tuple[int, tuple[int, str | None]]] = []
    leaks: list[tuple[int, list[str], list[str]]] = []
    with (
        requests.Session() as merger_session,
        requests.Session() as refresher_session,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        merger, refresher = Api(server_url, merger_session), Api(server_url, refresher_session)
        for number in range(300):
            update = {f"refused-{number}": "y" * 2000}
            current = refresh_token
            merged, refreshed = run_together(
                partial(merger.call, "PATCH", f"/sessions/{handle}/payload", json={"update": update}),
                partial(refresh, refresher, current),
                pool=pool,
            )
            if outcome(merged) != (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"):
                bad_merges.append((number, outcome(merged)))
            if refreshed.status_code != 200:
                bad_refreshes.append((number, outcome(refreshed)))
                break
            body = refreshed.json()
            refresh_token = body["refreshToken"]["token"]
            in_body = [k for k in body["accessTokenPayload"] if k.startswith("refused-")]
            in_token = [k for k in claims_of(body["accessToken"]["token"]) if k.startswith("refused-")]
            if in_body or in_token:
                leaks.append((number, in_body, in_token))
    assert (bad_merges, bad_refreshes, leaks) == ([], [], [])


# -- 11.4 session data limit (no self-lockout) -----------------------------------------------------


def data_of_size(size: int, key: str = "blob") -> dict[str, Any]:
    document = {key: "x" * (size - size_of({key: ""}))}
    assert size_of(document) == size
    return document


def stored_data(api: Api, handle: str) -> Any:
    response = api.call("GET", f"/sessions/{handle}/data")
    assert response.status_code == 200, response.text[:300]
    return response.json()["sessionData"]


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


# -- 11.5 null-heavy over-cap merge racing a delete ------------------------------------------------

NULL_HEAVY_UPDATE: dict[str, Any] = {"big": "y" * 2000, **{f"n{i}": None for i in range(3000)}}


def delayed_delete(api: Api, handle: str, delay: float) -> requests.Response:
    time.sleep(delay)
    return api.call("DELETE", f"/sessions/{handle}")


def test_offline_null_heavy_over_cap_merge_racing_delete_never_5xx(
    api: Api, server_url: str, unique_id: str
) -> None:
    """11.5: an over-cap offline merge with 3000 nulls racing DELETE /sessions/{h}: never 5xx."""
    rounds = 30
    # The delete is sent after a delay swept over one uncontested merge's duration, to land at every
    # stage of it: before, between its read and its decision, after.
    probe = create(api, f"{unique_id}-probe", accessTokenPayload={"pad": "x" * 3000})["session"]["handle"]
    started = time.monotonic()
    uncontested = api.call("PATCH", f"/sessions/{probe}/payload", json={"update": NULL_HEAVY_UPDATE})
    duration = time.monotonic() - started
    assert outcome(uncontested) == (413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE")
    unexpected: list[tuple[int, str, tuple[int, str | None]]] = []
    with (
        requests.Session() as merger_session,
        requests.Session() as deleter_session,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        merger, deleter = Api(server_url, merger_session), Api(server_url, deleter_session)
        for number in range(rounds):
            handle = create(api, unique_id, accessTokenPayload={"pad": "x" * 3000})["session"]["handle"]
            delay = duration * number / rounds

            merged, deleted = run_together(
                partial(
                    merger.call, "PATCH", f"/sessions/{handle}/payload", json={"update": NULL_HEAVY_UPDATE}
                ),
                partial(delayed_delete, deleter, handle, delay),
                pool=pool,
            )
            if outcome(merged) not in {(413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"), (404, "SESSION_NOT_FOUND")}:
                unexpected.append((number, "merge", outcome(merged)))
            if outcome(deleted) != (200, None):
                unexpected.append((number, "delete", outcome(deleted)))
    assert unexpected == []


def test_online_null_heavy_over_cap_merge_racing_delete_never_5xx(
    api: Api, server_url: str, unique_id: str
) -> None:
    """11.5: the same over-cap merge online (POST /sessions/merge) racing the delete: never 5xx."""
    unexpected: list[tuple[int, str, tuple[int, str | None]]] = []
    with (
        requests.Session() as merger_session,
        requests.Session() as deleter_session,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        merger, deleter = Api(server_url, merger_session), Api(server_url, deleter_session)
        for number in range(30):
            created = create(api, unique_id, accessTokenPayload={"pad": "x" * 3000})
            handle, token = created["session"]["handle"], created["accessToken"]["token"]
            merged, deleted = run_together(
                partial(
                    merger.call,
                    "POST",
                    "/sessions/merge",
                    json={"accessToken": token, "update": NULL_HEAVY_UPDATE},
                ),
                partial(deleter.call, "DELETE", f"/sessions/{handle}"),
                pool=pool,
            )
            if outcome(merged) not in {(413, "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"), (401, "SESSION_REVOKED")}:
                unexpected.append((number, "merge", outcome(merged)))
            if outcome(deleted) != (200, None):
                unexpected.append((number, "delete", outcome(deleted)))
    assert unexpected == []


# -- 11.6 sibling refresh race with a reuse window -------------------------------------------------


@pytest.fixture(scope="module")
def window_server_url(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own with a reuse window of ``REUSE_WINDOW_SECONDS`` (the shared one has none)."""
    log: Path = tmp_path_factory.mktemp("window-server") / "server.log"
    overrides = {"RefreshReuseWindowSeconds": str(REUSE_WINDOW_SECONDS)}
    with local_server(dynamodb_endpoint, API_KEY, log, parameter_overrides=overrides) as url:
        yield url


@pytest.fixture
def window_api(window_server_url: str) -> Iterator[Api]:
    with requests.Session() as session:
        yield Api(window_server_url, session)


def sibling_refreshes(api: Api, unique_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A session and two children (R1a, R1b) of its refresh token R0, refreshed at the same moment."""
    created = create(api, unique_id)
    r0 = created["refreshToken"]["token"]
    with requests.Session() as other_session:
        other = Api(api.base_url, other_session)
        first, second = run_together(lambda: refresh(api, r0), lambda: refresh(other, r0))
    assert [outcome(first), outcome(second)] == [(200, None), (200, None)]
    return created, first.json(), second.json()


def test_late_sibling_after_window_is_theft_and_revokes_attacker(window_api: Api, unique_id: str) -> None:
    """11.6 (a): the victim's sibling R1b used after the window → 401 TOKEN_THEFT_DETECTED, and the
    attacker's R2a (child of the winning sibling R1a) → 401 SESSION_REVOKED."""
    _, attacker_r1, victim_r1 = sibling_refreshes(window_api, unique_id)
    attacker_r2 = refresh(window_api, attacker_r1["refreshToken"]["token"])
    assert outcome(attacker_r2) == (200, None)
    time.sleep(REUSE_WINDOW_SECONDS + 0.5)
    victim = refresh(window_api, victim_r1["refreshToken"]["token"])
    attacker = refresh(window_api, attacker_r2.json()["refreshToken"]["token"])
    assert [outcome(victim), outcome(attacker)] == [(401, "TOKEN_THEFT_DETECTED"), (401, "SESSION_REVOKED")]


def test_two_tabs_sibling_within_window_both_live(window_api: Api, unique_id: str) -> None:
    """11.6 (b): tab A refreshes R1a, tab B right after (within the window) refreshes its sibling R1b:
    both 200, both new access tokens verify with checkDatabase, the session is still listed."""
    created, tab_a_r1, tab_b_r1 = sibling_refreshes(window_api, unique_id)
    tab_a = refresh(window_api, tab_a_r1["refreshToken"]["token"])
    tab_b = refresh(window_api, tab_b_r1["refreshToken"]["token"])
    assert [outcome(tab_a), outcome(tab_b)] == [(200, None), (200, None)]
    checks = [
        verify(window_api, r.json()["accessToken"]["token"], checkDatabase=True) for r in (tab_a, tab_b)
    ]
    listed = window_api.call("GET", f"/users/{unique_id}/sessions").json()["sessionHandles"]
    assert ([outcome(c) for c in checks], listed) == (
        [(200, None), (200, None)],
        [created["session"]["handle"]],
    )


def test_sibling_within_window_after_other_tab_merged(window_api: Api, unique_id: str) -> None:
    """11.6 (c): within the window, after tab A's new access token (minted by refreshing R1a) was used
    in POST /sessions/merge, tab B's refresh with R1b → 200."""
    _, tab_a_r1, tab_b_r1 = sibling_refreshes(window_api, unique_id)
    tab_a = refresh(window_api, tab_a_r1["refreshToken"]["token"])
    assert outcome(tab_a) == (200, None)
    merged = window_api.call(
        "POST",
        "/sessions/merge",
        json={"accessToken": tab_a.json()["accessToken"]["token"], "update": {"a": 1}},
    )
    assert outcome(merged) == (200, None)
    tab_b = refresh(window_api, tab_b_r1["refreshToken"]["token"])
    assert outcome(tab_b) == (200, None)


# -- 11.7 tenant filter and handle edge cases ------------------------------------------------------


def test_list_with_empty_tenant_filter_is_400(api: Api, unique_id: str) -> None:
    """11.7: GET /users/{id}/sessions?tenantId= (empty) → 400 INVALID_TENANT_ID."""
    create(api, unique_id)
    response = api.call("GET", f"/users/{unique_id}/sessions?tenantId=")
    assert outcome(response) == (400, "INVALID_TENANT_ID")


def test_revoke_with_empty_tenant_filter_is_400_and_revokes_nothing(api: Api, unique_id: str) -> None:
    """11.7: DELETE /users/{id}/sessions?tenantId= (empty) → 400 INVALID_TENANT_ID, nothing revoked."""
    handle = create(api, unique_id)["session"]["handle"]
    response = api.call("DELETE", f"/users/{unique_id}/sessions?tenantId=")
    listed = api.call("GET", f"/users/{unique_id}/sessions").json()["sessionHandles"]
    assert (outcome(response), listed) == ((400, "INVALID_TENANT_ID"), [handle])


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_tenant_filter_with_trailing_newline_is_400(api: Api, unique_id: str, method: str) -> None:
    """11.7: ?tenantId=public%0A → 400 INVALID_TENANT_ID."""
    create(api, unique_id)
    response = api.call(method, f"/users/{unique_id}/sessions?tenantId=public%0A")
    assert outcome(response) == (400, "INVALID_TENANT_ID")


def test_create_with_tenant_id_with_trailing_newline_is_400(api: Api, unique_id: str) -> None:
    """11.7: POST /sessions with tenantId "public\\n" → 400 VALIDATION_ERROR."""
    response = api.call("POST", "/sessions", json={"userId": unique_id, "tenantId": "public\n"})
    assert outcome(response) == (400, "VALIDATION_ERROR")


def test_session_handle_with_trailing_newline_is_400(api: Api, unique_id: str) -> None:
    """11.7: GET /sessions/<valid uuid>%0A → 400 INVALID_SESSION_HANDLE."""
    handle = create(api, unique_id)["session"]["handle"]
    response = api.call("GET", f"/sessions/{handle}%0A")
    assert outcome(response) == (400, "INVALID_SESSION_HANDLE")


# -- 11.8 nesting limit ----------------------------------------------------------------------------


def nested_document(depth: int) -> dict[str, Any]:
    """A document of ``depth`` levels of containers (the document object is level 1), alternating
    arrays and objects, with a scalar in the innermost one (scalars add no level)."""
    value: Any = 1
    for level in range(depth - 1):
        value = [value] if level % 2 == 0 else {"o": value}
    document = {"k": value}
    assert size_of(document) < CLAIMS_CAP
    return document


def _depth(document: Any) -> int:
    if isinstance(document, dict):
        return 1 + max((_depth(v) for v in document.values()), default=0)
    if isinstance(document, list):
        return 1 + max((_depth(v) for v in document), default=0)
    return 0


def _nesting_route(api: Api, user_id: str, route: str, document: dict[str, Any]) -> requests.Response:
    if route == "metadata":
        return api.call("PATCH", f"/users/{user_id}/metadata", json={"metadataUpdate": document})
    if route == "create-payload":
        return api.call("POST", "/sessions", json={"userId": user_id, "accessTokenPayload": document})
    if route == "create-data":
        return api.call("POST", "/sessions", json={"userId": user_id, "sessionData": document})
    created = create(api, user_id)
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    if route == "online-merge":
        return api.call("POST", "/sessions/merge", json={"accessToken": token, "update": document})
    if route == "offline-payload":
        return api.call("PATCH", f"/sessions/{handle}/payload", json={"update": document})
    if route == "put-data":
        return api.call("PUT", f"/sessions/{handle}/data", json={"sessionData": document})
    assert route == "patch-data"
    return api.call("PATCH", f"/sessions/{handle}/data", json={"update": document})


NESTING_ROUTES = [
    "metadata",
    "create-payload",
    "create-data",
    "online-merge",
    "offline-payload",
    "put-data",
    "patch-data",
]


@pytest.mark.parametrize("route", NESTING_ROUTES)
def test_document_nested_64_levels_is_accepted(api: Api, unique_id: str, route: str) -> None:
    """11.8: a document 64 levels deep (the document object is level 1) is accepted."""
    document = nested_document(MAX_DEPTH)
    assert _depth(document) == MAX_DEPTH
    response = _nesting_route(api, unique_id, route, document)
    assert outcome(response) == ((201 if route.startswith("create") else 200), None)


@pytest.mark.parametrize("route", NESTING_ROUTES)
def test_document_nested_65_levels_is_400(api: Api, unique_id: str, route: str) -> None:
    """11.8: a document 65 levels deep → 400 NESTING_TOO_DEEP."""
    document = nested_document(MAX_DEPTH + 1)
    assert _depth(document) == MAX_DEPTH + 1
    response = _nesting_route(api, unique_id, route, document)
    assert outcome(response) == (400, "NESTING_TOO_DEEP")


def test_token_with_payload_nested_64_levels_verifies(api: Api, unique_id: str) -> None:
    """11.8 (and 11.2): the token minted for a 64-level payload verifies: the claims object is
    level 1, as the payload document is."""
    response = api.call(
        "POST", "/sessions", json={"userId": unique_id, "accessTokenPayload": nested_document(MAX_DEPTH)}
    )
    assert outcome(response) == (201, None)
    assert outcome(verify(api, response.json()["accessToken"]["token"])) == (200, None)


# -- 11.9 numbers round-trip exactly ---------------------------------------------------------------


def patch_metadata_raw(api: Api, user_id: str, body: str) -> requests.Response:
    return api.call(
        "PATCH",
        f"/users/{user_id}/metadata",
        data=body.encode(),
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("sent", "returned"),
    [
        pytest.param("1E5", "1E5", id="1E5"),
        pytest.param("1e-7", "1e-7", id="1e-7"),
        pytest.param(
            "0.1000000000000000000001",
            "0.1000000000000000000001",
            id="long-fraction",
        ),
        pytest.param(
            "123456789012345678901234567890.123456789",
            "123456789012345678901234567890.123456789",
            id="long-decimal",
        ),
        pytest.param("1.0", "1.0", id="1.0"),
        pytest.param("-0.0", "-0.0", id="-0.0"),
    ],
)
def test_numbers_round_trip_exactly(api: Api, unique_id: str, sent: str, returned: str) -> None:
    """11.9: a number comes back with its digits exactly as sent (the literal itself, exponent and all),
    in the PATCH response and when read back."""
    patched = patch_metadata_raw(api, unique_id, f'{{"metadataUpdate": {{"a": {sent}}}}}')
    read = api.call("GET", f"/users/{unique_id}/metadata")
    expected = f'"a":{returned}'
    assert (outcome(patched), expected in patched.text, expected in read.text) == ((200, None), True, True), (
        patched.text,
        read.text,
    )


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("1e-400", id="1e-400"),
        pytest.param("1e400", id="1e400"),
    ],
)
def test_number_beyond_a_double_is_400(api: Api, unique_id: str, sent: str) -> None:
    """11.9: a number a 64-bit float cannot hold (overflow or underflow to 0) → 400 INVALID_NUMBER."""
    response = patch_metadata_raw(api, unique_id, f'{{"metadataUpdate": {{"a": {sent}}}}}')
    stored = api.call("GET", f"/users/{unique_id}/metadata").json()
    assert (outcome(response), stored) == ((400, "INVALID_NUMBER"), {"metadata": {}})


def test_session_data_put_keeps_null_values(api: Api, unique_id: str) -> None:
    """11.9: PUT /sessions/{h}/data keeps a null value: stored data is exactly as sent."""
    handle = create(api, unique_id)["session"]["handle"]
    put = api.call("PUT", f"/sessions/{handle}/data", json={"sessionData": {"keep": None, "x": 1}})
    assert (outcome(put), stored_data(api, handle)) == ((200, None), {"keep": None, "x": 1})
