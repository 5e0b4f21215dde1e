"""What the end-to-end tests of the API call and how they read the answers: small helpers over
:class:`tests.e2e.conftest.Api`, shared by the test files grouped by topic (the second security probe,
issue 11, is spread over them)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import requests

from tests.e2e.conftest import Api

#: Default ``MAX_CUSTOM_CLAIMS_BYTES``.
CLAIMS_CAP = 4096
#: The documented limit on session data (compact JSON, UTF-8 bytes), issue 11.4.
SESSION_DATA_CAP = 350_000


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


def data_of_size(size: int, key: str = "blob") -> dict[str, Any]:
    document = {key: "x" * (size - size_of({key: ""}))}
    assert size_of(document) == size
    return document


def stored_data(api: Api, handle: str) -> Any:
    response = api.call("GET", f"/sessions/{handle}/data")
    assert response.status_code == 200, response.text[:300]
    return response.json()["sessionData"]
