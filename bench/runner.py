"""Measure one contender: T threads x N updates on one subject, latencies, DynamoDB calls, lost keys."""

from __future__ import annotations

import argparse
import contextlib
import math
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.workloads import Apply, Contender, Target, Workload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Written once before the measured updates so the subject exists: the counts are the steady state.
FIRST_WRITE_KEY = "bench-first-write"
#: How long the threads may take to reach the start line.
START_TIMEOUT_SECONDS = 60.0


@dataclass
class CallCounter:
    """DynamoDB API calls (``before-call``) and HTTP requests incl. retries (``before-send``)."""

    calls: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def on_call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def on_send(self, **_: Any) -> None:  # must return None: a value would replace the HTTP response
        self.requests += 1

    def reset(self) -> None:
        self.calls.clear()
        self.requests = 0


@dataclass(frozen=True)
class CountedClient:
    client: DynamoDBClient
    counter: CallCounter


def make_clients(endpoint: str, count: int, pool: int) -> list[CountedClient]:
    """One client per thread, each with its own counter; made here, in one thread, from one session."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )
    config = Config(
        max_pool_connections=pool,
        connect_timeout=2,
        read_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 3},
        tcp_keepalive=True,
    )
    clients = []
    for _ in range(count):
        client = session.client("dynamodb", endpoint_url=endpoint, config=config)
        counter = CallCounter()
        client.meta.events.register("before-call.dynamodb.*", counter.on_call)
        client.meta.events.register("before-send.dynamodb.*", counter.on_send)
        clients.append(CountedClient(client, counter))
    return clients


@dataclass
class Lane:
    """What one thread did; only that thread writes it until it has finished."""

    latencies_ns: list[int] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    finished: float | None = None


def _worker(
    thread: int, updates: int, apply: Apply, lane: Lane, start: threading.Barrier, stop: threading.Event
) -> None:
    try:
        start.wait(START_TIMEOUT_SECONDS)
    except threading.BrokenBarrierError:
        return
    for i in range(updates):
        if stop.is_set():
            break
        name = f"t{thread}-{i}"
        began = time.perf_counter_ns()
        try:
            apply(name, i)
        except Exception as error:
            lane.errors[type(error).__name__] += 1
            continue
        lane.latencies_ns.append(time.perf_counter_ns() - began)
        lane.acknowledged.append(name)
    lane.finished = time.perf_counter()


def percentile_ms(sorted_ns: list[int], percent: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_ns:
        return None
    rank = max(1, math.ceil(percent / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


@dataclass(frozen=True)
class Result:
    workload: str
    contender: str
    subject: str
    threads: int
    updates_per_thread: int
    attempted: int
    succeeded: int
    errors: dict[str, int]
    wall_seconds: float
    p50_ms: float | None
    p99_ms: float | None
    calls: dict[str, int]  # API calls by operation, measured updates only
    http_requests: int  # HTTP requests incl. botocore retries, measured updates only
    expected_keys: int  # acknowledged updates
    lost_keys: int  # acknowledged, yet missing from the document read back
    timed_out: bool

    @property
    def ops_per_second(self) -> float:
        return self.succeeded / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def calls_per_update(self) -> float:
        return sum(self.calls.values()) / self.attempted if self.attempted else 0.0

    @property
    def lost_percent(self) -> float:
        return 100 * self.lost_keys / self.expected_keys if self.expected_keys else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "contender": self.contender,
            "subject": self.subject,
            "threads": self.threads,
            "updates_per_thread": self.updates_per_thread,
            "attempted": self.attempted,
            "succeeded": self.succeeded,
            "errors": self.errors,
            "wall_seconds": round(self.wall_seconds, 4),
            "ops_per_second": round(self.ops_per_second, 1),
            "latency_ms": {"p50": _round(self.p50_ms), "p99": _round(self.p99_ms)},
            "calls_per_update": round(self.calls_per_update, 3),
            "calls": self.calls,
            "http_requests": self.http_requests,
            "expected_keys": self.expected_keys,
            "lost_keys": self.lost_keys,
            "lost_percent": round(self.lost_percent, 2),
            "timed_out": self.timed_out,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run(
    workload_name: str,
    workload: Workload,
    contender_name: str,
    contender: Contender,
    *,
    clients: list[CountedClient],
    reader: DynamoDBClient,
    tables: Mapping[str, str],
    subject: str,
    updates: int,
    time_limit: float,
) -> Result:
    """All threads start together on a barrier; the clock runs from the start to the last finish.

    Threads still running at ``time_limit`` are told to stop after their current update (each call
    is bounded by the clients' timeouts and retries), so a run always ends.
    """
    first = Target(subject, tables, clients[0].client)
    if workload.prepare is not None:
        workload.prepare(first)
    applies = [contender(Target(subject, tables, counted.client)) for counted in clients]
    applies[0](FIRST_WRITE_KEY, True)  # the subject's item exists from here on
    for counted in clients:
        counted.counter.reset()

    lanes = [Lane() for _ in clients]
    start, stop = threading.Barrier(len(clients) + 1), threading.Event()
    threads = [
        threading.Thread(
            target=_worker, args=(n, updates, apply, lane, start, stop), name=f"bench-{n}", daemon=True
        )
        for n, (apply, lane) in enumerate(zip(applies, lanes, strict=True))
    ]
    for thread in threads:
        thread.start()
    start.wait(START_TIMEOUT_SECONDS)
    began = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, began + time_limit - time.perf_counter()))
    timed_out = any(thread.is_alive() for thread in threads)
    if timed_out:
        stop.set()
        for thread in threads:
            thread.join(30)
    finished = [lane.finished for lane in lanes]
    ended = max(f for f in finished if f is not None) if None not in finished else time.perf_counter()

    calls: Counter[str] = Counter()
    for counted in clients:
        calls.update(counted.counter.calls)
    http_requests = sum(counted.counter.requests for counted in clients)

    present = workload.read_keys(Target(subject, tables, reader))
    acknowledged = {name for lane in lanes for name in lane.acknowledged}
    latencies = sorted(ns for lane in lanes for ns in lane.latencies_ns)
    errors: Counter[str] = Counter()
    for lane in lanes:
        errors.update(lane.errors)
    if workload.cleanup is not None:
        with contextlib.suppress(Exception):  # best effort; the figures are already taken
            workload.cleanup(Target(subject, tables, reader))
    return Result(
        workload=workload_name,
        contender=contender_name,
        subject=subject,
        threads=len(clients),
        updates_per_thread=updates,
        attempted=len(latencies) + errors.total(),
        succeeded=len(latencies),
        errors=dict(errors),
        wall_seconds=ended - began,
        p50_ms=percentile_ms(latencies, 50),
        p99_ms=percentile_ms(latencies, 99),
        calls=dict(sorted(calls.items())),
        http_requests=http_requests,
        expected_keys=len(acknowledged),
        lost_keys=len(acknowledged - present),
        timed_out=timed_out,
    )


def positive_int(text: str) -> int:
    """argparse type: an int of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an int of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value
