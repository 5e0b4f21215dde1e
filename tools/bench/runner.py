"""The concurrent section: T threads x N updates on one subject, per contender, in interleaved rounds.

One *run* measures one contender once (:func:`run`): every thread starts on a barrier, the clock
runs from the start to the last finish, then the document is read back for lost updates. A workload
is measured in rounds (:func:`run_workload`): each round runs every contender once on fresh subjects,
the starting contender rotating (A B C, B C A, ...), so drift in the machine's load hits all alike.
:class:`Summary` gives the medians over the rounds.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from authstate.storage.client import items_parsed_as_json
from tools.bench.measure import CallCounter, median, percentile_ms, rounded
from tools.bench.workloads import Apply, Contender, Target, Workload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Written once before the measured updates (the connection warm, the item touched once).
FIRST_WRITE_KEY = "bench-first-write"
#: How long the threads may take to reach the start line.
START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class CountedClient:
    client: DynamoDBClient
    counter: CallCounter


def make_clients(endpoint: str, count: int, pool: int, *, as_the_layer: bool = True) -> list[CountedClient]:
    """One client per thread, each with its own counter; made here, in one thread, from one session.
    ``as_the_layer``: items decoded as the layer's own client decodes them (one ``json.loads``), and
    parameters not validated client-side (``authstate.storage.client``)."""
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
        parameter_validation=not as_the_layer,
    )
    clients = []
    for _ in range(count):
        client = session.client("dynamodb", endpoint_url=endpoint, config=config)
        if as_the_layer:
            items_parsed_as_json(client)
        clients.append(CountedClient(client, CallCounter().attach(client)))
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


@dataclass(frozen=True)
class Result:
    """One contender, one round."""

    contender: str
    subject: str
    attempted: int
    succeeded: int
    errors: dict[str, int]
    wall_seconds: float
    latencies_ns: list[int]  # sorted
    calls: dict[str, int]  # API calls by operation, measured updates only
    http_requests: int  # HTTP requests incl. botocore retries, measured updates only
    expected_keys: int  # acknowledged updates
    lost_keys: int  # acknowledged, yet missing from the document read back
    timed_out: bool

    @property
    def ops_per_second(self) -> float:
        return self.succeeded / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class Summary:
    """One contender over every round: medians of the rounds' throughput and p50, p99 of all latencies."""

    contender: str
    rounds: list[Result]

    @property
    def ops_per_second(self) -> float:
        return median(r.ops_per_second for r in self.rounds) or 0.0

    @property
    def p50_ms(self) -> float | None:
        return median(v for r in self.rounds if (v := percentile_ms(r.latencies_ns, 50)) is not None)

    @property
    def p99_ms(self) -> float | None:
        return percentile_ms(sorted(ns for r in self.rounds for ns in r.latencies_ns), 99)

    @property
    def attempted(self) -> int:
        return sum(r.attempted for r in self.rounds)

    @property
    def calls(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for r in self.rounds:
            total.update(r.calls)
        return dict(sorted(total.items()))

    @property
    def calls_per_update(self) -> float:
        return sum(self.calls.values()) / self.attempted if self.attempted else 0.0

    @property
    def retries(self) -> int:
        return sum(r.http_requests for r in self.rounds) - sum(self.calls.values())

    @property
    def expected_keys(self) -> int:
        return sum(r.expected_keys for r in self.rounds)

    @property
    def lost_keys(self) -> int:
        return sum(r.lost_keys for r in self.rounds)

    @property
    def lost_percent(self) -> float:
        return 100 * self.lost_keys / self.expected_keys if self.expected_keys else 0.0

    @property
    def errors(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for r in self.rounds:
            total.update(r.errors)
        return dict(total)

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.rounds)

    def as_json(self, floor: Summary | None) -> dict[str, Any]:
        return {
            "contender": self.contender,
            "rounds": len(self.rounds),
            "ops_per_second": round(self.ops_per_second, 1),
            "ops_per_second_by_round": [round(r.ops_per_second, 1) for r in self.rounds],
            "latency_ms": {"p50": rounded(self.p50_ms), "p99": rounded(self.p99_ms)},
            "attempted": self.attempted,
            "errors": self.errors,
            "calls_per_update": round(self.calls_per_update, 3),
            "calls": self.calls,
            "botocore_retries": self.retries,
            "expected_keys": self.expected_keys,
            "lost_keys": self.lost_keys,
            "lost_percent": round(self.lost_percent, 2),
            "timed_out": self.timed_out,
            "to_floor": None
            if floor is None
            else {
                "ops_per_second": rounded(self.ops_per_second / floor.ops_per_second)
                if floor.ops_per_second
                else None,
                "p50": rounded(self.p50_ms / floor.p50_ms) if self.p50_ms and floor.p50_ms else None,
            },
        }


def run(
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
    workload.prepare(Target(subject, tables, clients[0].client))
    applies = [contender(Target(subject, tables, counted.client)) for counted in clients]
    applies[0](FIRST_WRITE_KEY, True)
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
        contender=contender_name,
        subject=subject,
        attempted=len(latencies) + errors.total(),
        succeeded=len(latencies),
        errors=dict(errors),
        wall_seconds=ended - began,
        latencies_ns=latencies,
        calls=dict(sorted(calls.items())),
        http_requests=http_requests,
        expected_keys=len(acknowledged),
        lost_keys=len(acknowledged - present),
        timed_out=timed_out,
    )


def run_workload(
    name: str,
    workload: Workload,
    *,
    rounds: int,
    warmup: int,
    updates: int,
    subject_prefix: str,
    measure: Callable[..., Result],
) -> list[Summary]:
    """Warm-up (one unmeasured run per contender of ``warmup`` updates per thread), then ``rounds``
    rounds, each running every contender once, the starting one rotating."""
    names = list(workload.contenders)
    if warmup:  # JIT of DynamoDB Local, connection pools, botocore's lazy loading
        _progress(f"warming up {name} ...")
        for position, contender in enumerate(names):
            subject = f"{subject_prefix}-{name}-warmup-{position}"
            measure(workload, contender, workload.contenders[contender], subject=subject, updates=warmup)
    results: dict[str, list[Result]] = {contender: [] for contender in names}
    for number in range(rounds):
        shift = number % len(names)
        for contender in names[shift:] + names[:shift]:
            _progress(f"{name} round {number + 1}/{rounds}: {contender} ...")
            subject = f"{subject_prefix}-{name}-{number}-{names.index(contender)}"
            results[contender].append(
                measure(workload, contender, workload.contenders[contender], subject=subject, updates=updates)
            )
    return [Summary(contender, results[contender]) for contender in names]


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def summaries_json(summaries: Sequence[Summary], floor_name: str) -> list[dict[str, Any]]:
    floor = next((s for s in summaries if s.contender == floor_name), None)
    return [s.as_json(floor) for s in summaries]
