"""Custom claims near their cap over real HTTP (issue 11.2, 11.3, 11.5): every token minted under the cap
verifies, whatever its characters; a refused merge's claims never reach a token, even racing refreshes;
an over-cap merge heavy with nulls racing a revocation is never a 500."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
import requests

from tests.e2e.calls import CLAIMS_CAP, claims_of, create, outcome, refresh, run_together, size_of, verify
from tests.e2e.conftest import Api

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
