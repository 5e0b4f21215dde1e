"""The unmodified SuperTokens Python SDK with authstate's ``/cdi`` as its core (issue 14).

The app is the SDK tests' FastAPI app (``tests/sdk/apps``: supertokens-python 0.31.4 initialised as
the seeds do, anti-CSRF ``VIA_TOKEN``), driven over HTTP by their cookie-keeping client, its core
requests relayed and counted by their recording proxy. All of it runs against ``python -m tools.localrun
serve`` on the benchmark's DynamoDB Local.

- **online merges**: T tabs of one session, each merging K distinct keys one request at a time
  through ``session.merge_into_access_token_payload``; the core applies what each request changed,
  so no key is lost;
- **offline merges**: the same T x K keys by session handle through
  ``merge_into_access_token_payload(handle, ...)``, which the SDK does as ``GET /recipe/session`` then
  ``PUT /recipe/jwt/data`` with the whole payload: last writer wins by protocol, and the keys lost
  are counted; beside it the native ``PATCH /sessions/{h}/payload`` with the same keys (one
  UpdateItem each);
- **requests to the core** the SDK makes for each operation of the seeds.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.bench.measure import ms, percentile_ms, render_table
from tools.localrun.dynamodb import free_port
from tools.localrun.process import local_server, serving

if TYPE_CHECKING:  # the SDK tests' modules are imported on use: they need httpx and the SDK
    from tests.sdk.recorder import CoreRecorder

API_KEY = "bench-sdk-key"
SDK = "supertokens-python 0.31.4"
APP_MODULE = "tests.sdk.apps.fastapi_app"
ONLINE = "online: session.merge_into_access_token_payload"
OFFLINE_SDK = "offline: merge_into_access_token_payload(handle, ...)"
OFFLINE_NATIVE = "offline: authstate's PATCH /sessions/{h}/payload"


@dataclass(frozen=True)
class Merges:
    """T x K merges of distinct keys into one session's access-token payload, T at a time."""

    name: str
    latencies_ns: list[int]
    seconds: float
    keys: int
    lost: int
    core_requests: int | None  # what the SDK sent its core for all of them (None: no SDK involved)

    @property
    def ops_per_second(self) -> float:
        return len(self.latencies_ns) / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ns)
        return {
            "merges": self.name,
            "keys": self.keys,
            "lost": self.lost,
            "ops_per_second": round(self.ops_per_second, 1),
            "p50_ms": percentile_ms(ordered, 50),
            "p99_ms": percentile_ms(ordered, 99),
            "core_requests_per_merge": None
            if self.core_requests is None
            else round(self.core_requests / self.keys, 2),
        }


@dataclass(frozen=True)
class Results:
    tabs: int
    keys_per_tab: int
    merges: list[Merges]
    #: (the seeds' operation, the requests the SDK sent its core for it: "METHOD path" each)
    requests: list[tuple[str, list[str]]]

    def merge(self, name: str) -> Merges:
        return next(m for m in self.merges if m.name == name)

    def lines(self) -> list[str]:
        rows = []
        for merges in self.merges:
            ordered = sorted(merges.latencies_ns)
            per_merge = "-" if merges.core_requests is None else f"{merges.core_requests / merges.keys:.2f}"
            rows.append(
                (
                    merges.name,
                    f"{merges.ops_per_second:.0f}",
                    ms(percentile_ms(ordered, 50)),
                    ms(percentile_ms(ordered, 99)),
                    per_merge,
                    f"{merges.lost}/{merges.keys}",
                )
            )
        return [
            f"[sdk] the unmodified {SDK} (FastAPI, anti-CSRF VIA_TOKEN) with authstate's /cdi as its core",
            f"  {self.tabs} tabs of one session x {self.keys_per_tab} distinct keys each, one request at a"
            " time per tab, over HTTP through the app",
            *render_table(("merges", "ops/s", "p50 ms", "p99 ms", "core requests/merge", "lost"), rows),
            "  requests the SDK sends its core, per operation of the seeds:",
            *render_table(
                ("operation", "requests"),
                [(name, ", ".join(sent) or "none") for name, sent in self.requests],
                indent="    ",
            ),
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "sdk": SDK,
            "tabs": self.tabs,
            "keys_per_tab": self.keys_per_tab,
            "merges": [m.as_json() for m in self.merges],
            "core_requests": dict(self.requests),
        }


def _concurrently(
    tabs: int,
    keys_per_tab: int,
    merge_one: Callable[[int, str, int], None],
    measuring: Callable[[], object] = lambda: None,
) -> tuple[list[int], float]:
    """``merge_one(tab, key, value)`` for every tab's keys, one tab per thread; latencies and seconds.
    First one unmeasured merge per tab, all at once (key ``warm<tab>``), so the execution environments
    the local server starts for them are warm when the measured ones begin; ``measuring()`` is called
    between the two (e.g. to mark the core's log)."""
    warm = threading.Barrier(tabs)

    def warm_tab(tab: int) -> None:
        warm.wait()
        merge_one(tab, f"warm{tab}", 0)

    with ThreadPoolExecutor(tabs) as pool:
        list(pool.map(warm_tab, range(tabs)))
    measuring()
    start = threading.Barrier(tabs)

    def run_tab(tab: int) -> list[int]:
        start.wait()
        latencies = []
        for i in range(keys_per_tab):
            began = time.perf_counter_ns()
            merge_one(tab, f"t{tab}k{i}", i)
            latencies.append(time.perf_counter_ns() - began)
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(tabs) as pool:
        per_tab = list(pool.map(run_tab, range(tabs)))
    return [latency for latencies in per_tab for latency in latencies], time.perf_counter() - began


def _lost(expected: dict[str, int], stored: dict[str, Any]) -> int:
    return sum(1 for key, value in expected.items() if stored.get(key) != value)


def measure(dynamodb_endpoint: str, run_id: str, *, tabs: int, keys_per_tab: int) -> Results:
    import httpx

    from tests.sdk.browser import Browser
    from tests.sdk.recorder import recording

    expected = {f"t{tab}k{i}": i for tab in range(tabs) for i in range(keys_per_tab)}
    with tempfile.TemporaryDirectory(prefix="authstate-bench-sdk-") as scratch:
        logs = Path(scratch)
        with (
            local_server(dynamodb_endpoint, API_KEY, logs / "authstate.log") as authstate,
            recording(f"{authstate}/cdi") as core,
        ):
            port = free_port()
            environment = {
                **os.environ,
                "AUTHSTATE_SDK_CONNECTION_URI": core.url,
                "AUTHSTATE_SDK_API_KEY": API_KEY,
                "AUTHSTATE_SDK_ANTI_CSRF": "VIA_TOKEN",
            }
            command = [sys.executable, "-m", APP_MODULE, str(port)]
            with (
                serving(
                    command,
                    f"http://127.0.0.1:{port}",
                    logs / "app.log",
                    ready_path="/health",
                    env=environment,
                ) as app,
                httpx.Client(base_url=app, timeout=60) as backend,
                httpx.Client(base_url=authstate, timeout=60, headers={"api-key": API_KEY}) as native,
            ):

                def offline(call: str, **body: Any) -> Any:
                    response = backend.post(f"/offline/{call}", json=body)
                    response.raise_for_status()
                    return response.json()["result"]

                def stored_claims(handle: str) -> dict[str, Any]:
                    claims: dict[str, Any] = offline("information", handle=handle)[
                        "customClaimsInAccessTokenPayload"
                    ]
                    return claims

                def through_sdk(name: str, merge_one: Callable[[int, str, int], None], handle: str) -> Merges:
                    """The merges, the keys of them the session lost, and the requests the SDK sent its
                    core for them (counted from after the warm-up)."""
                    marks: list[int] = []
                    latencies, seconds = _concurrently(
                        tabs, keys_per_tab, merge_one, lambda: marks.append(core.mark())
                    )
                    sent = len(core.since(marks[0]))
                    lost = _lost(expected, stored_claims(handle))
                    return Merges(name, latencies, seconds, len(expected), lost, sent)

                # -- online, through the app's verify_session() routes ------------------------------
                with Browser(app) as browser:
                    handle = browser.login(f"bench-{run_id}-sdk-online")["handle"]
                    windows = [browser.clone() for _ in range(tabs)]

                    def online(tab: int, key: str, value: int) -> None:
                        response = windows[tab].post("/update-access-token-payload", {key: value})
                        if response.status_code != 200:
                            raise RuntimeError(f"online merge: {response.status_code} {response.text[:300]}")

                    online_merges = through_sdk(ONLINE, online, handle)
                    for window in windows:
                        window.close()

                # -- offline by handle, the SDK's way and the native way ----------------------------
                with Browser(app) as browser:
                    handle = browser.login(f"bench-{run_id}-sdk-offline")["handle"]

                    def offline_sdk(_: int, key: str, value: int) -> None:
                        if offline("merge", handle=handle, update={key: value}) is not True:
                            raise RuntimeError("offline merge: the SDK answered False")

                    offline_merges = through_sdk(OFFLINE_SDK, offline_sdk, handle)

                created = native.post("/sessions", json={"userId": f"bench-{run_id}-native-offline"})
                created.raise_for_status()
                native_handle = created.json()["session"]["handle"]

                def offline_native(_: int, key: str, value: int) -> None:
                    response = native.patch(
                        f"/sessions/{native_handle}/payload", json={"update": {key: value}}
                    )
                    if response.status_code != 200:
                        raise RuntimeError(f"native merge: {response.status_code} {response.text[:300]}")

                latencies, seconds = _concurrently(tabs, keys_per_tab, offline_native)
                stored = native.get(f"/sessions/{native_handle}").json()["session"]["accessTokenPayload"]
                native_merges = Merges(
                    OFFLINE_NATIVE, latencies, seconds, len(expected), _lost(expected, stored), None
                )

                requests = _requests_per_operation(app, core, offline, run_id)
    return Results(tabs, keys_per_tab, [online_merges, offline_merges, native_merges], requests)


def _requests_per_operation(
    app: str, core: CoreRecorder, offline: Callable[..., Any], run_id: str
) -> list[tuple[str, list[str]]]:
    """Each operation once, on a warm app, and what the SDK sent its core for it."""
    from tests.sdk.browser import Browser

    found: list[tuple[str, list[str]]] = []

    def sent_for(name: str, operation: Callable[[], object]) -> None:
        mark = core.mark()
        operation()
        found.append((name, [f"{e.method} {e.path}" for e in core.since(mark)]))

    user = f"bench-{run_id}-sdk-calls"
    with Browser(app) as browser:
        sent_for("sign-in: create_new_session", lambda: browser.login(user))
        handle = browser.claims["sessionHandle"]
        sent_for("verify_session()", lambda: browser.get("/me"))
        sent_for("verify_session(check_database=True)", lambda: browser.get("/me-db"))
        sent_for(
            "session.merge_into_access_token_payload",
            lambda: browser.post("/update-access-token-payload", {"k": 1}),
        )
        sent_for(
            "merge_into_access_token_payload(handle, ...)",
            lambda: offline("merge", handle=handle, update={"o": 1}),
        )
        sent_for("get_session_information", lambda: offline("information", handle=handle))
        sent_for(
            "update_session_data_in_database(handle, ...)",
            lambda: offline("session-data", handle=handle, data={"d": 1}),
        )
        sent_for("update_user_metadata", lambda: offline("metadata-update", userId=user, update={"m": 1}))
        sent_for("refresh (the SDK's /auth/session/refresh)", browser.refresh)
        sent_for("verify_session() of the refreshed token", lambda: browser.get("/me"))
    return found
