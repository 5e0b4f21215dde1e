"""DynamoDB stopped mid-run, then restarted: every route that needs storage answers a named 503
quickly and writes nothing; a pure token check keeps working; the running server recovers by itself.

A dedicated DynamoDB Local persists to a temporary directory on a fixed port, so it can be stopped
and started again with its data; the local server (`python -m tools.localrun serve`, a subprocess as in
tests/e2e) is never restarted, so its functions' cached DynamoDB clients and keys must recover.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.conftest import API_KEY, Api
from tools.localrun.dynamodb import DynamoDBLocal, create_tables, free_port
from tools.localrun.process import local_server

#: Each request during the outage must be answered within this (measured: about 0.1 s).
MAX_OUTAGE_ANSWER_SECONDS = 3.0


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDBLocal]:
    local = DynamoDBLocal(port=free_port(), db_path=tmp_path_factory.mktemp("dynamodb-data"))
    local.start()
    create_tables(local.endpoint)
    yield local
    local.stop()


@pytest.fixture(scope="module")
def api(storage: DynamoDBLocal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    log_path = tmp_path_factory.mktemp("faults-server") / "server.log"
    with local_server(storage.endpoint, API_KEY, log_path) as url, requests.Session() as session:
        yield Api(url, session)


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    succeeds_with: int = 200  # its status once DynamoDB is back

    def send(self, api: Api) -> tuple[requests.Response, float]:
        started = time.monotonic()
        response = api.call(self.method, self.path, json=self.body)
        return response, time.monotonic() - started


def storage_calls(user: str, handle: str, access: str, refresh: str) -> list[Call]:
    """One request of every kind that needs DynamoDB (reads, merges, overwrites, rotation, revocation)."""
    return [
        Call("metadata GET", "GET", f"/users/{user}/metadata"),
        Call(
            "metadata PATCH", "PATCH", f"/users/{user}/metadata", {"metadataUpdate": {"theme": None, "x": 1}}
        ),
        Call("session create", "POST", "/sessions", {"userId": user, "sessionData": {"n": 1}}, 201),
        Call(
            "verify checkDatabase", "POST", "/sessions/verify", {"accessToken": access, "checkDatabase": True}
        ),
        Call(
            "verify sessionData",
            "POST",
            "/sessions/verify",
            {"accessToken": access, "includeSessionData": True},
        ),
        Call(
            "merge online", "POST", "/sessions/merge", {"accessToken": access, "update": {"plan": "outage"}}
        ),
        Call("payload PATCH", "PATCH", f"/sessions/{handle}/payload", {"update": {"plan": "outage"}}),
        Call("data PUT", "PUT", f"/sessions/{handle}/data", {"sessionData": {"cart": ["outage"]}}),
        Call("data PATCH", "PATCH", f"/sessions/{handle}/data", {"update": {"cart": None}}),
        Call("data PUT online", "PUT", "/sessions/data", {"accessToken": access, "sessionData": {}}),
        Call("data PATCH online", "PATCH", "/sessions/data", {"accessToken": access, "update": {"n": 2}}),
        Call("refresh", "POST", "/sessions/refresh", {"refreshToken": refresh}),
        Call("session GET", "GET", f"/sessions/{handle}"),
        Call("session data GET", "GET", f"/sessions/{handle}/data"),
        Call("user sessions GET", "GET", f"/users/{user}/sessions"),
        # Deletions last, so that replaying the list after recovery keeps working up to here.
        Call("metadata DELETE", "DELETE", f"/users/{user}/metadata"),
        Call("session DELETE", "DELETE", f"/sessions/{handle}"),
        Call("user sessions DELETE", "DELETE", f"/users/{user}/sessions"),
    ]


def test_outage_gives_named_503s_writes_nothing_and_recovers_without_restart(
    api: Api, storage: DynamoDBLocal, unique_id: str
) -> None:
    user = unique_id
    # -- before: a user's metadata and a session, written and read back --------------------------
    patched = api.call(
        "PATCH", f"/users/{user}/metadata", json={"metadataUpdate": {"theme": "dark", "n": 1.0}}
    )
    assert patched.status_code == 200, patched.text
    created = api.call(
        "POST",
        "/sessions",
        json={"userId": user, "accessTokenPayload": {"role": "admin"}, "sessionData": {"cart": [1]}},
    )
    assert created.status_code == 201, created.text
    session = created.json()
    handle, access = session["session"]["handle"], session["accessToken"]["token"]
    refresh = session["refreshToken"]["token"]
    pure_check = Call("verify (token only)", "POST", "/sessions/verify", {"accessToken": access})
    verified, _ = pure_check.send(api)
    assert verified.status_code == 200, verified.text
    metadata_before = api.call("GET", f"/users/{user}/metadata").json()
    session_before = api.call("GET", f"/sessions/{handle}").json()
    assert metadata_before == {"metadata": {"n": 1.0, "theme": "dark"}}

    calls = storage_calls(user, handle, access, refresh)

    # -- outage ----------------------------------------------------------------------------------
    storage.stop()
    timings: dict[str, float] = {}
    for call in calls:
        response, elapsed = call.send(api)
        timings[call.name] = elapsed
        assert response.status_code == 503, f"{call.name}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/json"), call.name
        body = response.json()
        assert set(body) == {"code", "message"}, f"{call.name}: {body}"
        assert body["code"] == "STORAGE_UNAVAILABLE", f"{call.name}: {body}"
        assert elapsed < MAX_OUTAGE_ANSWER_SECONDS, f"{call.name} took {elapsed:.2f} s"
    still, elapsed = pure_check.send(api)
    timings[pure_check.name] = elapsed
    assert still.status_code == 200, still.text  # signature, key (cached) and times: no database
    assert still.json() == verified.json()
    print(
        f"\noutage answers: max {max(timings.values()):.3f} s; "
        + ", ".join(f"{k} {v:.3f}" for k, v in timings.items())
    )

    # -- recovery: same port, same data, same server process -------------------------------------
    restarted = time.monotonic()
    storage.start()
    first, first_elapsed = Call("metadata GET", "GET", f"/users/{user}/metadata").send(api)
    restart = time.monotonic() - restarted - first_elapsed
    print(f"DynamoDB Local restart {restart:.2f} s; first request after it {first_elapsed:.3f} s")
    assert first.status_code == 200, first.text
    # Nothing half-written: the outage's PATCH, merges, data writes, refresh and deletions did not land.
    assert first.json() == metadata_before
    assert api.call("GET", f"/sessions/{handle}").json() == session_before
    for call in calls:
        response, _ = call.send(api)
        assert response.status_code == call.succeeds_with, (
            f"{call.name} after recovery: {response.status_code} {response.text}"
        )
    assert api.call("GET", f"/sessions/{handle}").status_code == 404  # the replayed DELETE did land
