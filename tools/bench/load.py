"""``python -m tools.bench.load``: a bounded load run of the HTTP API, and a check (exit 1 on any anomaly).

Starts DynamoDB Local in memory (unless ``--dynamodb-endpoint`` names one already running), creates
the template's tables, starts the local server (``python -m tools.localrun serve``) as a subprocess on a
loopback port, then runs T client threads over HTTP on 127.0.0.1 only. Each thread has a fixed plan
(``--requests`` in all, shuffled, mixed by ``--mix``) and every thread stops at ``--time-limit``:

- **metadata**: ``PATCH /users/{u}/metadata`` of a key of its own on one of ``--users`` shared users;
- **merge**: ``POST /sessions/merge`` (verify and merge online) of a key of its own on one of the
  shared sessions, presenting that session's first access token;
- **refresh**: ``POST /sessions/refresh`` of the thread's own chain (a session of its own, which other
  threads also merge into), always with the latest refresh token, one at a time: a correct client.

Every answer is checked: a 2xx must show this request's key and the last keys other requests had
acknowledged before it was sent (a refresh mints from the stored payload, so it must show them too).
Afterwards everything is read back: a key acknowledged with a 2xx and missing is a **lost update**;
every chain's latest access token must still verify against the database.

Exit status 1 if any request got a 5xx, an unexpected 4xx or no answer, any answer was stale, any
update was lost or any chain broke; 0 otherwise. ``--quick`` is a CI-sized run.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import requests

from tools.bench.measure import ms, non_negative_int, percentile_ms, positive_int
from tools.localrun.dynamodb import create_tables, running_dynamodb
from tools.localrun.process import local_server
from tools.localrun.template import Template

type Operation = Literal["metadata", "merge", "refresh"]
OPERATIONS: tuple[Operation, ...] = ("metadata", "merge", "refresh")
LABELS: Mapping[Operation, str] = {
    "metadata": "PATCH /users/{u}/metadata",
    "merge": "POST /sessions/merge",
    "refresh": "POST /sessions/refresh",
}

API_KEY = "bench-load-key"
#: The service's default custom-claims cap (``MAX_CUSTOM_CLAIMS_BYTES``; template.yaml sets none).
CLAIMS_CAP_BYTES = 4096
#: What a run lets one session's payload grow to: merges are spread over enough sessions to stay
#: under the cap, so ``413 ACCESS_TOKEN_PAYLOAD_TOO_LARGE`` is not expected (and counted apart).
PAYLOAD_BUDGET_BYTES = 3000
#: Acknowledged keys of the same subject an answer must show, besides its own (the latest ones).
RECENT_KEYS_CHECKED = 32
#: Per request: connect and read timeouts, so a thread always ends soon after the time limit.
REQUEST_TIMEOUT = (5.0, 30.0)

#: Defaults: sized for ~110 req/s (8 threads, 2 cores shared by client, server and DynamoDB Local), so that a
#: run normally ends by its request count; the time limit is the bound on slower machines.
FULL = {"threads": 8, "requests": 5000, "time_limit": 60.0}
QUICK = {"threads": 8, "requests": 2000, "time_limit": 25.0}


# --- arguments ----------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be in (0, 3600]")
    return value


def _mix(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    try:
        weights = tuple(int(part) for part in parts)
    except ValueError:
        weights = ()
    if len(weights) != 3 or min(weights) < 0 or sum(weights) == 0:
        raise argparse.ArgumentTypeError("three non-negative weights, metadata,merge,refresh (e.g. 40,30,30)")
    return weights[0], weights[1], weights[2]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.load",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"CI-sized defaults: {QUICK['threads']} threads, {QUICK['requests']} requests, "
        f"{QUICK['time_limit']:.0f} s (explicit flags still win)",
    )
    parser.add_argument("--threads", type=positive_int, help=f"client threads (default {FULL['threads']})")
    parser.add_argument(
        "--requests", type=positive_int, help=f"measured requests in all (default {FULL['requests']})"
    )
    parser.add_argument(
        "--time-limit",
        type=_seconds,
        metavar="SECONDS",
        help=f"stop the measured phase after this long (default {FULL['time_limit']:.0f})",
    )
    parser.add_argument(
        "--mix", type=_mix, default=(40, 30, 30), help="weights of metadata,merge,refresh (default 40,30,30)"
    )
    parser.add_argument("--users", type=positive_int, default=4, help="shared users for metadata (default 4)")
    parser.add_argument(
        "--warmup",
        type=non_negative_int,
        default=2,
        help="unmeasured requests of each kind per thread first, on throwaway subjects (default 2)",
    )
    parser.add_argument("--seed", type=int, default=1, help="shuffles the plans (default 1)")
    parser.add_argument(
        "--dynamodb-endpoint", metavar="URL", help="use this DynamoDB (Local) instead of starting one"
    )
    arguments = parser.parse_args(argv)
    defaults = QUICK if arguments.quick else FULL
    for name, value in defaults.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, value)
    return arguments


# --- the server under test ----------------------------------------------------------------------


class Client:
    """One thread's HTTP client (keep-alive), API key included."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url
        self._session = requests.Session()
        self._session.headers.update({"api-key": API_KEY, "content-type": "application/json"})

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self._session.request(method, self._base + path, json=body, timeout=REQUEST_TIMEOUT)

    def close(self) -> None:
        self._session.close()


# --- shared state: what was acknowledged, per subject -------------------------------------------


@dataclass
class Acknowledged:
    """Keys a 2xx acknowledged, per subject (user id or session handle), in acknowledgement order."""

    keys: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, subject: str, key: str, value: int) -> None:
        with self._lock:
            self.keys.setdefault(subject, []).append((key, value))

    def recent(self, subject: str) -> list[tuple[str, int]]:
        """The last keys acknowledged so far: any later answer about ``subject`` must show them."""
        with self._lock:
            return list(self.keys.get(subject, [])[-RECENT_KEYS_CHECKED:])


@dataclass
class Chain:
    """A session refreshed by one thread only, always with the latest tokens."""

    handle: str
    refresh_token: str
    access_token: str
    refreshes: int = 0


@dataclass(frozen=True)
class SharedSession:
    handle: str
    access_token: str  # the first one; every merge presents it


@dataclass
class Lane:
    """What one thread did; only that thread writes it."""

    latencies_ns: dict[Operation, list[int]] = field(default_factory=lambda: {op: [] for op in OPERATIONS})
    statuses: dict[Operation, Counter[int]] = field(
        default_factory=lambda: {op: Counter() for op in OPERATIONS}
    )
    #: (operation, status, error code) of every non-2xx answer, and "no answer" as status 0.
    failures: Counter[tuple[Operation, int, str]] = field(default_factory=Counter)
    stale: Counter[Operation] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # a few failure descriptions, for the report

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


@dataclass(frozen=True)
class World:
    """Subjects of one run, made before the measured phase."""

    users: list[str]
    sessions: list[SharedSession]
    chains: list[Chain]  # one per thread; chain n's session is also sessions[n]


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "-"
    return str(body.get("code") or body.get("message") or "-") if isinstance(body, dict) else "-"


def _missing(shown: Mapping[str, Any], expected: list[tuple[str, int]]) -> list[str]:
    return [key for key, value in expected if key not in shown or shown[key] != value]


def create_session(client: Client, user_id: str) -> dict[str, Any]:
    response = client.call("POST", "/sessions", {"userId": user_id})
    if response.status_code != 201:
        raise RuntimeError(f"creating a session failed: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


def prepare(base_url: str, run_id: str, threads: int, users: int, sessions: int) -> World:
    client = Client(base_url)
    try:
        shared: list[SharedSession] = []
        chains: list[Chain] = []
        for n in range(sessions):
            body = create_session(client, f"load-{run_id}-session-{n}")
            handle, access = body["session"]["handle"], body["accessToken"]["token"]
            shared.append(SharedSession(handle, access))
            if n < threads:
                chains.append(Chain(handle, body["refreshToken"]["token"], access))
    finally:
        client.close()
    return World([f"load-{run_id}-user-{n}" for n in range(users)], shared, chains)


# --- one thread ---------------------------------------------------------------------------------


class Worker:
    def __init__(
        self, number: int, client: Client, world: World, acknowledged: Acknowledged, lane: Lane
    ) -> None:
        self.number = number
        self.client = client
        self.world = world
        self.acknowledged = acknowledged
        self.lane = lane
        self.chain = world.chains[number]
        self.counts: Counter[Operation] = Counter()

    def run(self, plan: list[Operation], stop: threading.Event) -> None:
        for operation in plan:
            if stop.is_set():
                break
            self.step(operation)

    def step(self, operation: Operation) -> None:
        i = self.counts[operation]
        self.counts[operation] += 1
        key = f"t{self.number}-{i}"
        if operation == "metadata":
            user = self.world.users[(self.number + i) % len(self.world.users)]
            self._write(operation, user, key, i)
        elif operation == "merge":
            session = self.world.sessions[(self.number + i) % len(self.world.sessions)]
            self._write(operation, session.handle, key, i, session.access_token)
        else:
            self._refresh()

    def _send(self, operation: Operation, method: str, path: str, body: Any) -> requests.Response | None:
        began = time.perf_counter_ns()
        try:
            response = self.client.call(method, path, body)
        except requests.RequestException as error:
            self.lane.failures[(operation, 0, type(error).__name__)] += 1
            self.lane.note(f"{operation}: no answer ({type(error).__name__}: {error})")
            return None
        self.lane.latencies_ns[operation].append(time.perf_counter_ns() - began)
        self.lane.statuses[operation][response.status_code] += 1
        if not 200 <= response.status_code < 300:
            code = _error_code(response)
            self.lane.failures[(operation, response.status_code, code)] += 1
            self.lane.note(f"{operation}: {response.status_code} {response.text[:200]}")
            return None
        return response

    def _write(self, operation: Operation, subject: str, key: str, value: int, token: str = "") -> None:
        expected = [*self.acknowledged.recent(subject), (key, value)]
        if operation == "metadata":
            response = self._send(
                operation, "PATCH", f"/users/{subject}/metadata", {"metadataUpdate": {key: value}}
            )
            shown = response.json()["metadata"] if response is not None else None
        else:
            response = self._send(
                operation, "POST", "/sessions/merge", {"accessToken": token, "update": {key: value}}
            )
            shown = response.json()["accessTokenPayload"] if response is not None else None
        if shown is None:
            return
        self.acknowledged.add(subject, key, value)
        missing = _missing(shown, expected)
        if missing:
            self.lane.stale[operation] += 1
            self.lane.note(f"{operation} {subject}: answer lacks acknowledged keys {missing[:5]}")

    def _refresh(self) -> None:
        chain = self.chain
        expected = self.acknowledged.recent(chain.handle)
        response = self._send("refresh", "POST", "/sessions/refresh", {"refreshToken": chain.refresh_token})
        if response is None:
            return
        body = response.json()
        chain.refresh_token = body["refreshToken"]["token"]
        chain.access_token = body["accessToken"]["token"]
        chain.refreshes += 1
        missing = _missing(body["accessTokenPayload"], expected)
        if missing:
            self.lane.stale["refresh"] += 1
            self.lane.note(f"refresh {chain.handle}: new token lacks acknowledged keys {missing[:5]}")


def plans(total: int, threads: int, mix: tuple[int, int, int], seed: int) -> list[list[Operation]]:
    """``total`` operations split over the threads, each thread's mixed by ``mix`` and shuffled."""
    result = []
    for number in range(threads):
        count = total // threads + (1 if number < total % threads else 0)
        quotas = [count * weight // sum(mix) for weight in mix]
        quotas[0] += count - sum(quotas)
        plan: list[Operation] = [
            op for op, quota in zip(OPERATIONS, quotas, strict=True) for _ in range(quota)
        ]
        random.Random(f"{seed}-{number}").shuffle(plan)
        result.append(plan)
    return result


def run_threads(
    base_url: str, world: World, plan: list[list[Operation]], acknowledged: Acknowledged, time_limit: float
) -> tuple[list[Lane], float, bool]:
    """Run every thread's plan from a common start; returns the lanes, wall seconds and whether the
    time limit stopped them."""
    lanes = [Lane() for _ in plan]
    stop = threading.Event()
    start = threading.Barrier(len(plan) + 1)
    clients = [Client(base_url) for _ in plan]

    def body(number: int) -> None:
        worker = Worker(number, clients[number], world, acknowledged, lanes[number])
        try:
            start.wait(60)
        except threading.BrokenBarrierError:
            return
        worker.run(plan[number], stop)

    threads = [
        threading.Thread(target=body, args=(n,), name=f"load-{n}", daemon=True) for n in range(len(plan))
    ]
    for thread in threads:
        thread.start()
    start.wait(60)
    began = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, began + time_limit - time.perf_counter()))
    timed_out = any(thread.is_alive() for thread in threads)
    stop.set()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT[0] + REQUEST_TIMEOUT[1] + 5)
    wall = time.perf_counter() - began
    for client in clients:
        client.close()
    return lanes, wall, timed_out


def warm_up(base_url: str, run_id: str, threads: int, rounds: int) -> Counter[str]:
    """Unmeasured, concurrent: every function's execution environments are loaded first (a cold
    start imports the function and, for sessions, loads the signing keys). Returns failures."""
    failures: Counter[str] = Counter()
    if rounds == 0:
        return failures
    world = prepare(base_url, f"{run_id}-warmup", threads, 1, threads)
    world = World([f"load-{run_id}-warmup-user"], world.sessions, world.chains)
    plan: list[list[Operation]] = [list(OPERATIONS) * rounds for _ in range(threads)]
    lanes, _, _ = run_threads(base_url, world, plan, Acknowledged(), 60.0)
    for lane in lanes:
        for (operation, status, code), count in lane.failures.items():
            failures[f"{operation} {status} {code}"] += count
        for operation, count in lane.stale.items():
            failures[f"{operation} stale"] += count
    return failures


# --- read-back and report -----------------------------------------------------------------------


@dataclass
class ReadBack:
    expected: int = 0
    lost: int = 0
    lost_examples: list[str] = field(default_factory=list)
    chains_live: int = 0
    chains_broken: list[str] = field(default_factory=list)


def read_back(base_url: str, world: World, acknowledged: Acknowledged) -> ReadBack:
    client = Client(base_url)
    result = ReadBack()
    try:
        documents: dict[str, dict[str, Any]] = {}
        for user in world.users:
            response = client.call("GET", f"/users/{user}/metadata")
            response.raise_for_status()
            documents[user] = response.json()["metadata"]
        for session in world.sessions:
            response = client.call("GET", f"/sessions/{session.handle}")
            documents[session.handle] = (
                response.json()["session"]["accessTokenPayload"] if response.status_code == 200 else {}
            )
        for subject, keys in acknowledged.keys.items():
            result.expected += len(keys)
            missing = _missing(documents.get(subject, {}), keys)
            result.lost += len(missing)
            if missing and len(result.lost_examples) < 5:
                result.lost_examples.append(f"{subject}: {missing[:5]}")
        for chain in world.chains:
            response = client.call(
                "POST", "/sessions/verify", {"accessToken": chain.access_token, "checkDatabase": True}
            )
            if response.status_code == 200:
                result.chains_live += 1
            else:
                result.chains_broken.append(f"{chain.handle}: {response.status_code} {_error_code(response)}")
    finally:
        client.close()
    return result


def report(
    arguments: argparse.Namespace,
    world: World,
    lanes: list[Lane],
    wall: float,
    timed_out: bool,
    back: ReadBack,
    warmup_failures: Counter[str],
) -> tuple[list[str], bool]:
    """The printed lines, and whether the run passed."""
    latencies: dict[Operation, list[int]] = {
        op: sorted(ns for lane in lanes for ns in lane.latencies_ns[op]) for op in OPERATIONS
    }
    failures: Counter[tuple[Operation, int, str]] = Counter()
    stale: Counter[Operation] = Counter()
    statuses: dict[Operation, Counter[int]] = {op: Counter() for op in OPERATIONS}
    for lane in lanes:
        failures.update(lane.failures)
        stale.update(lane.stale)
        for op in OPERATIONS:
            statuses[op].update(lane.statuses[op])

    def count(op: Operation | None, predicate: Callable[[int, str], bool]) -> int:
        return sum(n for (o, s, c), n in failures.items() if (op is None or o == op) and predicate(s, c))

    def is_5xx(status: int, _: str) -> bool:
        return status >= 500

    def is_claims_413(status: int, code: str) -> bool:
        return status == 413 and code == "ACCESS_TOKEN_PAYLOAD_TOO_LARGE"

    def is_unexpected_4xx(status: int, code: str) -> bool:
        return 400 <= status < 500 and not is_claims_413(status, code)

    def no_answer(status: int, _: str) -> bool:
        return status == 0

    def other(status: int, _: str) -> bool:  # 1xx/3xx: not expected either
        return 0 < status < 400

    header = (
        "operation",
        "requests",
        "2xx",
        "p50 ms",
        "p99 ms",
        "5xx",
        "unexp. 4xx",
        "413 claims",
        "no answer",
        "stale",
    )
    rows: list[tuple[str, ...]] = [header]
    everything: list[int] = []
    for op in OPERATIONS:
        answered = sum(statuses[op].values())
        ok = sum(n for status, n in statuses[op].items() if 200 <= status < 300)
        everything.extend(latencies[op])
        rows.append(
            (
                LABELS[op],
                str(answered + count(op, no_answer)),
                str(ok),
                ms(percentile_ms(latencies[op], 50), 1),
                ms(percentile_ms(latencies[op], 99), 1),
                str(count(op, is_5xx)),
                str(count(op, is_unexpected_4xx)),
                str(count(op, is_claims_413)),
                str(count(op, no_answer)),
                str(stale[op]),
            )
        )
    everything.sort()
    total = sum(int(row[1]) for row in rows[1:])
    total_ok = sum(int(row[2]) for row in rows[1:])
    rows.append(
        (
            "all",
            str(total),
            str(total_ok),
            ms(percentile_ms(everything, 50), 1),
            ms(percentile_ms(everything, 99), 1),
            str(count(None, is_5xx)),
            str(count(None, is_unexpected_4xx)),
            str(count(None, is_claims_413)),
            str(count(None, no_answer)),
            str(stale.total()),
        )
    )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    table = [
        "  ".join(
            [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))]
        )
        for row in rows
    ]

    longest = max((chain.refreshes for chain in world.chains), default=0)
    lines = [
        f"load run: {arguments.threads} threads, {arguments.requests} requests planned, time limit "
        f"{arguments.time_limit:.0f} s, mix metadata/merge/refresh {'/'.join(map(str, arguments.mix))}",
        f"subjects: {len(world.users)} shared users, {len(world.sessions)} shared sessions "
        f"(merges of up to ~{PAYLOAD_BUDGET_BYTES} bytes of claims each), {len(world.chains)} refresh chains "
        f"(one per thread, on shared sessions)",
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} now; client, server and "
        f"DynamoDB Local share it",
        "",
        *table,
        "",
        f"total requests: {total} in {wall:.1f} s = {total / wall if wall > 0 else 0:.1f} req/s"
        + ("  (stopped at the time limit)" if timed_out else ""),
        f"lost updates: {back.lost} of {back.expected} acknowledged keys missing on read-back",
        f"refresh chains: {back.chains_live}/{len(world.chains)} still verify against the database "
        f"(longest {longest} refreshes)",
    ]
    if warmup_failures:
        lines.append("warm-up failures: " + ", ".join(f"{k} x{n}" for k, n in warmup_failures.items()))
    if failures:
        lines.append(
            "non-2xx: "
            + ", ".join(
                f"{op} {status or 'no answer'} {code} x{n}"
                for (op, status, code), n in sorted(failures.items())
            )
        )
    examples = list(dict.fromkeys(example for lane in lanes for example in lane.examples))
    lines.extend(f"  e.g. {example}" for example in examples[:5])
    lines.extend(f"  lost: {example}" for example in back.lost_examples)
    lines.extend(f"  broken chain: {example}" for example in back.chains_broken[:5])
    passed = not (
        count(None, is_5xx)
        or count(None, is_unexpected_4xx)
        or count(None, no_answer)
        or count(None, other)
        or stale.total()
        or back.lost
        or back.chains_broken
        or warmup_failures
    )
    return lines, passed


# --- main ---------------------------------------------------------------------------------------


def _terminate(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks: the server and DynamoDB Local stop


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    began = time.monotonic()
    signal.signal(signal.SIGTERM, _terminate)
    threads: int = arguments.threads
    plan = plans(arguments.requests, threads, arguments.mix, arguments.seed)
    merges = sum(plan_.count("merge") for plan_ in plan)
    key_bytes = len(f'"t{threads - 1}-{merges}":{merges},')
    sessions = max(threads, math.ceil(merges * key_bytes / PAYLOAD_BUDGET_BYTES))
    run_id = uuid.uuid4().hex[:8]
    template = Template.load()
    with tempfile.TemporaryDirectory(prefix="authstate-load-") as scratch:
        log_path = Path(scratch) / "server.log"
        with running_dynamodb(arguments.dynamodb_endpoint) as endpoint:
            create_tables(endpoint, template)
            print("starting the local server ...", file=sys.stderr, flush=True)
            with local_server(endpoint, API_KEY, log_path) as base_url:
                print("warming up ...", file=sys.stderr, flush=True)
                warmup_failures = warm_up(base_url, run_id, threads, arguments.warmup)
                world = prepare(base_url, run_id, threads, arguments.users, sessions)
                acknowledged = Acknowledged()
                print(
                    f"running {arguments.requests} requests on {threads} threads ...",
                    file=sys.stderr,
                    flush=True,
                )
                lanes, wall, timed_out = run_threads(
                    base_url, world, plan, acknowledged, arguments.time_limit
                )
                back = read_back(base_url, world, acknowledged)
                lines, passed = report(arguments, world, lanes, wall, timed_out, back, warmup_failures)
        log = log_path.read_text(errors="replace")
    lines.append(f"elapsed: {time.monotonic() - began:.1f} s in all (start-up, warm-up, run, read-back)")
    lines.append(f"result: {'PASS' if passed else 'FAIL'}")
    if not passed:
        lines += ["", "server log (last 3000 characters):", log[-3000:]]
    print("\n".join(lines), flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
