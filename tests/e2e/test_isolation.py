"""Concurrent requests to different functions never see each other's events.

Powertools keeps the current event in a process-wide class attribute; Lambda runs one invocation
per process, and so must the local server. It once ran them on threads of one process, and about one
request in 2000 of the load run (`make load-quick`) got another request's body. The race is too rare
to reproduce deterministically here; this is a stress check of the same path."""

from __future__ import annotations

from functools import partial

import requests

from tests.concurrency import run_concurrently
from tests.e2e.conftest import Api


def test_concurrent_requests_to_different_functions_keep_their_own_bodies(
    api: Api, server_url: str, unique_id: str
) -> None:
    token = api.call("POST", "/sessions", json={"userId": unique_id}).json()["accessToken"]["token"]
    mismatches: list[str] = []

    def metadata_writer(number: int) -> None:
        with requests.Session() as session:
            own = Api(server_url, session)
            for i in range(25):
                user = f"{unique_id}-{number}"
                response = own.call("PATCH", f"/users/{user}/metadata", json={"metadataUpdate": {"n": i}})
                if response.status_code != 200 or response.json() != {"metadata": {"n": i}}:
                    mismatches.append(f"metadata {number}/{i}: {response.status_code} {response.text[:120]}")

    def verifier(number: int) -> None:
        with requests.Session() as session:
            own = Api(server_url, session)
            for i in range(25):
                response = own.call("POST", "/sessions/verify", json={"accessToken": token})
                if response.status_code != 200 or response.json()["session"]["userId"] != unique_id:
                    mismatches.append(f"verify {number}/{i}: {response.status_code} {response.text[:120]}")

    run_concurrently(
        [*(partial(metadata_writer, n) for n in range(4)), *(partial(verifier, n) for n in range(4))]
    )
    assert mismatches == []
