"""What each operation costs: DynamoDB calls, capacity units and US dollars per million requests, by
document size.

Every operation is one warm Lambda handler called in this process with an API Gateway (v2) event,
as the operations section calls them (:class:`bench.operations.Functions`), on the layer's own
DynamoDB client (``authstate.storage.client.dynamodb_client``, configured as in Lambda). The bench
asks that client's calls for ``ReturnConsumedCapacity=TOTAL`` through a botocore hook
(:class:`bench.measure.CapacityMeter`), so the product code is unchanged; DynamoDB Local reports
the units as DynamoDB bills them (the whole item's size, not the change's).

Sizes (:data:`SIZES`) are those of the document the operation touches: a user's metadata for the
metadata routes; the session *data* for the session routes (the access-token payload stays two small
claims; the data has an item of its own, so the claims, refresh and verify rows stay flat). Verifying
without the database and the JWKS touch neither and are measured once.

Each operation and size is sampled ``rounds`` times, interleaved (:func:`bench.measure.interleave`);
the calls and units are the same in every sample (a row that varies says so), the handler's time is
the median. Dollars: :mod:`bench.prices`, at the template's memory and architecture, and for
256/512/1024 MB on both architectures at the same measured time.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authstate import providers
from tools.bench import prices
from tools.bench.measure import (
    CallCounter,
    CapacityMeter,
    interleave,
    median_ms,
    ms,
    render_table,
    rounded,
)
from tools.bench.operations import API_KEY, Functions, quiet
from tools.bench.sweep import Size
from tools.bench.workloads import USER_METADATA, metadata_item
from tools.localrun.runtime import configure_environment
from tools.localrun.template import Template

#: Document sizes: 300-byte keys (``"k00000":"x...x"``), so 34, 341 and 1,000 keys make about 10 KB,
#: 100 KB and 300 KB of compact JSON.
SIZES = (
    Size("empty", 0, 0),
    Size("10 KB", 34, 288),
    Size("100 KB", 341, 288),
    Size("300 KB", 1000, 288),
)
#: Memory sizes the Lambda price is shown for.
MEMORY_SIZES_MB = (256, 512, 1024)
ARCHITECTURES: tuple[prices.Architecture, ...] = ("x86_64", "arm64")
PAYLOAD = {"plan": "pro", "role": "admin"}
ANY_SIZE = "any"
#: Why a row's units may differ between samples, and which are shown.
VARIED = (
    "not the same in every sample, the highest shown: a write that moves the session's expiry also "
    "rewrites its byUser index entry (1 unit more), unless two fall in the same second"
)

# Operation names, in the order printed.
CREATE = "create (POST /sessions)"
VERIFY = "verify, no database"
VERIFY_DB = "verify, checkDatabase"
ONLINE = "online merge (POST /sessions/merge)"
OFFLINE = "offline merge (PATCH payload)"
DATA_MERGE = "session data merge (PATCH data)"
REFRESH = "refresh (POST /sessions/refresh)"
READ_SESSION = "read session (GET /sessions/{h})"
READ_DATA = "read session data (GET data)"
REVOKE = "revoke (DELETE /sessions/{h})"
MD_MERGE = "metadata merge (PATCH)"
MD_MINIMAL = "metadata merge, return=minimal"
MD_READ = "metadata read (GET)"
JWKS = "JWKS (GET /.well-known/jwks.json)"
OPERATIONS = (
    CREATE,
    VERIFY,
    VERIFY_DB,
    ONLINE,
    OFFLINE,
    DATA_MERGE,
    REFRESH,
    READ_SESSION,
    READ_DATA,
    REVOKE,
    MD_MERGE,
    MD_MINIMAL,
    MD_READ,
    JWKS,
)


@dataclass(frozen=True)
class Usage:
    """What one sample of one operation did."""

    calls: str  # e.g. "UpdateItem"; "" for none
    read_units: float
    write_units: float
    unreported: int  # calls answered without units (errors)


@dataclass(frozen=True)
class Row:
    """One operation at one size: its usage (the costliest of the samples: see :data:`VARIED`) and
    handler times."""

    operation: str
    size: str
    usage: Usage
    varied: bool  # not every sample had that usage
    wall_ns: list[int]
    cpu_ns: list[int]

    @property
    def median_ms(self) -> float:
        return median_ms(self.wall_ns) or 0.0

    @property
    def cpu_ms(self) -> float:
        return median_ms(self.cpu_ns) or 0.0

    def cost(self, memory_mb: int, architecture: prices.Architecture) -> prices.Cost:
        return prices.per_million(
            read_units=self.usage.read_units,
            write_units=self.usage.write_units,
            duration_ms=self.median_ms,
            memory_mb=memory_mb,
            architecture=architecture,
        )

    def as_json(self, memory_mb: int, architecture: prices.Architecture) -> dict[str, Any]:
        cost = self.cost(memory_mb, architecture)
        return {
            "operation": self.operation,
            "size": self.size,
            "dynamodb_calls": self.usage.calls or None,
            "read_units": self.usage.read_units,
            "write_units": self.usage.write_units,
            "calls_without_units": self.usage.unreported,
            "usage_varied": self.varied,
            "samples": len(self.wall_ns),
            "median_ms": rounded(self.median_ms),
            "cpu_ms": rounded(self.cpu_ms),
            "usd_per_million": {
                "api_gateway": rounded(cost.api, 4),
                "lambda": rounded(cost.lambda_, 4),
                "dynamodb": rounded(cost.dynamodb, 4),
                "total": rounded(cost.total, 4),
            },
            "lambda_usd_per_million_by_memory": {
                f"{memory}MB-{arch}": {
                    "at_measured_time": rounded(self.cost(memory, arch).lambda_, 4),
                    "cpu_scaled_estimate": rounded(
                        prices.lambda_usd(
                            prices.cpu_scaled_ms(self.median_ms, self.cpu_ms, memory), memory, arch
                        )
                        * 1e6,
                        4,
                    ),
                }
                for memory in MEMORY_SIZES_MB
                for arch in ARCHITECTURES
            },
        }


@dataclass(frozen=True)
class Results:
    rows: list[Row]
    memory_mb: int  # the template's
    architecture: prices.Architecture  # the template's default

    def row(self, operation: str, size: str) -> Row:
        return next(r for r in self.rows if r.operation == operation and r.size in (size, ANY_SIZE))

    def lines(self) -> list[str]:
        return [*self.units_table(), "", *self.memory_table(), "", *self.markdown_table()]

    def markdown_table(self) -> list[str]:
        """The total per million by size, with the units behind it: the README's cost table."""
        labels = [size.label for size in SIZES]
        lines = [
            f"[cost] the README's table: USD per million requests ({self.memory_mb} MB {self.architecture}), "
            "and the read (r) or write (w) units of one",
            "",
            "| Request | DynamoDB calls | " + " | ".join(labels) + " |",
            "|---|---|" + "---:|" * len(labels),
        ]
        for operation in OPERATIONS:
            rows = {row.size: row for row in self.rows if row.operation == operation}
            cells = []
            for label in labels:
                row = rows.get(label) or rows.get(ANY_SIZE)
                if row is None:
                    cells.append("-")
                elif row.size == ANY_SIZE and label != labels[0]:
                    cells.append("same")
                else:
                    usage = row.usage
                    units = " + ".join(
                        f"{_units(value)} {kind}"
                        for value, kind in ((usage.read_units, "r"), (usage.write_units, "w"))
                        if value
                    )
                    total = row.cost(self.memory_mb, self.architecture).total
                    cells.append(f"{total:.2f} ({units or 'none'})")
            # by size, when they differ (a session created or revoked without data has no data item)
            calls = " / ".join(dict.fromkeys(row.usage.calls or "none" for row in rows.values()))
            lines.append(f"| {operation} | {calls or 'none'} | " + " | ".join(cells) + " |")
        return lines

    def units_table(self) -> list[str]:
        p = prices.PRICES
        body = []
        for row in self.rows:
            cost = row.cost(self.memory_mb, self.architecture)
            body.append(
                (
                    row.operation,
                    row.size,
                    row.usage.calls or "-",
                    _units(row.usage.read_units) + ("*" if row.varied else ""),
                    _units(row.usage.write_units) + ("*" if row.varied else ""),
                    ms(row.median_ms),
                    f"{cost.dynamodb:.3f}",
                    f"{cost.lambda_:.3f}",
                    f"{cost.api:.2f}",
                    f"{cost.total:.2f}",
                )
            )
        notes = []
        if any(row.varied for row in self.rows):
            notes.append(f"  * {VARIED}")
        unreported = sum(row.usage.unreported for row in self.rows)
        if unreported:
            notes.append(f"  {unreported} calls answered without consumed units (errors): not counted")
        return [
            "[cost] DynamoDB calls and capacity units per warm invocation (ReturnConsumedCapacity=TOTAL "
            "on the layer's own client),",
            f"  by document size (session routes: the session data); USD per million requests at "
            f"{p.region} list prices in force since {p.in_force_since}",
            f"  ({self.memory_mb} MB {self.architecture} Lambda at the median handler time measured "
            "here, billed per started ms; on-demand DynamoDB; HTTP API)",
            *render_table(
                (
                    "operation",
                    "size",
                    "DynamoDB calls",
                    "read units",
                    "write units",
                    "warm ms",
                    "DynamoDB $",
                    "Lambda $",
                    "API $",
                    "total $/M",
                ),
                body,
            ),
            *notes,
            "  sizes, in bytes of compact JSON: "
            + ", ".join(f"{size.label} {size.json_bytes:,}" for size in SIZES)
            + f"; prices: tools/bench/prices.py ({', '.join(p.sources)})",
        ]

    def memory_table(self) -> list[str]:
        smallest = SIZES[0].label
        columns = [(memory, arch) for memory in MEMORY_SIZES_MB for arch in ARCHITECTURES]
        body = []
        for row in self.rows:
            if row.size not in (smallest, ANY_SIZE):
                continue
            body.append(
                (
                    row.operation,
                    ms(row.median_ms),
                    ms(row.cpu_ms),
                    *(f"{row.cost(memory, arch).lambda_:.3f}" for memory, arch in columns),
                    *(f"{self.cpu_scaled(row, memory):.3f}" for memory in MEMORY_SIZES_MB),
                )
            )
        arch = "x86" if self.architecture == "x86_64" else self.architecture
        return [
            f"[cost] Lambda USD per million invocations ({smallest} documents): 0.20 per million requests "
            "+ GB-seconds, at the handler time measured here by memory and architecture, and (est.) with",
            f"  its CPU time stretched to the CPU share the memory buys ({prices.MB_PER_VCPU} MB = one vCPU: "
            "256, 512, 1024 MB get 0.14, 0.29, 0.58 of one), this machine's core taken as one vCPU",
            *render_table(
                (
                    "operation",
                    "warm ms",
                    "CPU ms",
                    *(f"{memory} MB {'x86' if a == 'x86_64' else a}" for memory, a in columns),
                    *(f"{memory} {arch} est." for memory in MEMORY_SIZES_MB),
                ),
                body,
            ),
            "  arm64 costs 20% less per GB-second; Graviton's speed for this code is not measured here "
            "(an x86 machine).",
        ]

    def cpu_scaled(self, row: Row, memory_mb: int) -> float:
        """The Lambda USD per million at the template's architecture, CPU time stretched to the share."""
        duration = prices.cpu_scaled_ms(row.median_ms, row.cpu_ms, memory_mb)
        return prices.lambda_usd(duration, memory_mb, self.architecture) * 1e6

    def as_json(self) -> dict[str, Any]:
        p = prices.PRICES
        return {
            "memory_mb": self.memory_mb,
            "architecture": self.architecture,
            "prices": {
                "region": p.region,
                "in_force_since": p.in_force_since,
                "checked": p.checked,
                "sources": list(p.sources),
            },
            "sizes": [{"label": s.label, "keys": s.keys, "json_bytes": s.json_bytes} for s in SIZES],
            "rows": [row.as_json(self.memory_mb, self.architecture) for row in self.rows],
        }


def _units(value: float) -> str:
    return f"{value:g}"


def deployed_as(template: Template) -> tuple[int, prices.Architecture]:
    """The functions' memory and architecture, from the template's Globals (parameters resolved)."""
    function = template.raw["Globals"]["Function"]

    def value(raw: Any) -> str:
        return template.parameter(raw["Ref"]) if isinstance(raw, dict) else str(raw)

    architecture = value(function["Architectures"][0])
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r} in template.yaml")
    return int(value(function["MemorySize"])), architecture


@dataclass(frozen=True)
class _Case:
    """One operation at one size: ``run`` makes exactly one handler call (the one measured);
    ``prepare`` (unmeasured, uncounted) readies it first."""

    operation: str
    size: str
    run: Callable[[int], object]
    prepare: Callable[[int], None] | None = None


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(
    template: Template, endpoint: str, tables: Mapping[str, str], run_id: str, *, rounds: int, warmup: int
) -> Results:
    """Every operation at every size, interleaved; units and calls counted on the layer's client."""
    configure_environment(template, endpoint, API_KEY)
    from authstate.storage.client import dynamodb_client

    memory_mb, architecture = deployed_as(template)
    with quiet():
        functions = Functions(template)
        client = dynamodb_client()
        _progress("cost: preparing sessions and documents ...")
        cases = _size_independent_cases(functions, run_id)
        for index, size in enumerate(SIZES):
            cases += _cases(functions, client, tables, run_id, index, size)
        meter, counter = CapacityMeter(), CallCounter()
        meter.attach(client)
        counter.attach(client)
        try:
            rows = _sample(cases, functions, meter, counter, rounds=rounds, warmup=warmup)
        finally:
            meter.detach(client)
            client.meta.events.unregister("before-call.dynamodb.*", counter)
            client.meta.events.unregister("before-send.dynamodb.*", counter.on_send)
    order = {name: index for index, name in enumerate(OPERATIONS)}
    rows.sort(key=lambda row: order[row.operation])
    return Results(rows, memory_mb, architecture)


def _sample(
    cases: list[_Case],
    functions: Functions,
    meter: CapacityMeter,
    counter: CallCounter,
    *,
    rounds: int,
    warmup: int,
) -> list[Row]:
    usages: dict[str, list[Usage]] = {}
    times: dict[str, tuple[list[int], list[int]]] = {}

    def sampled(key: str, case: _Case) -> Callable[[], None]:
        usages[key], times[key] = [], ([], [])
        number = [0]

        def sample() -> None:
            number[0] += 1
            if case.prepare is not None:
                case.prepare(number[0])
            meter.reset()
            counter.reset()
            functions.handler_ns = None
            case.run(number[0])
            if functions.handler_ns is None:
                raise RuntimeError(f"{case.operation}: no handler was called")
            usages[key].append(
                Usage("+".join(counter.calls), meter.read_units, meter.write_units, meter.unreported)
            )
            times[key][0].append(functions.handler_ns[0])
            times[key][1].append(functions.handler_ns[1])

        return sample

    keyed = {f"{case.operation}\0{case.size}": case for case in cases}
    _progress(f"cost: {len(keyed)} operations and sizes x {rounds} rounds, interleaved ...")
    # at least one warm-up round: a function's first event is its cold start (keys loaded)
    interleave({key: sampled(key, case) for key, case in keyed.items()}, rounds=rounds, warmup=max(1, warmup))
    rows = []
    for key, case in keyed.items():
        seen = Counter(usages[key][-rounds:])
        wall, cpu = times[key]
        rows.append(
            Row(
                case.operation,
                case.size,
                max(seen, key=lambda usage: (usage.read_units + usage.write_units, usage.calls)),
                len(seen) > 1,
                wall[-rounds:],
                cpu[-rounds:],
            )
        )
    return rows


def _size_independent_cases(functions: Functions, run_id: str) -> list[_Case]:
    """Verifying a token without the database, and the JWKS: no document is read or written."""
    created = functions.json(
        "POST", "/sessions", {"userId": f"bench-{run_id}-cost-verify", "accessTokenPayload": PAYLOAD}, 201
    )
    token = created["accessToken"]["token"]
    return [
        _Case(VERIFY, ANY_SIZE, lambda _: functions.call("POST", "/sessions/verify", {"accessToken": token})),
        _Case(JWKS, ANY_SIZE, lambda _: functions.call("GET", "/.well-known/jwks.json")),
    ]


def _cases(
    functions: Functions, client: Any, tables: Mapping[str, str], run_id: str, index: int, size: Size
) -> list[_Case]:
    """Every other operation on documents of ``size``: a user's metadata; sessions whose data has
    that size (one to merge into and read, one refreshed again and again, fresh ones to revoke)."""
    document = size.document()
    subject = f"bench-{run_id}-cost-{index}"
    user = f"{subject}-user"
    client.put_item(TableName=tables[USER_METADATA], Item=metadata_item(user, document))

    def create(_: int) -> dict[str, Any]:
        body = {"userId": f"{subject}-session", "accessTokenPayload": PAYLOAD, "sessionData": document}
        return functions.json("POST", "/sessions", body, 201)

    created = create(0)
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    refresh_token = [create(0)["refreshToken"]["token"]]
    to_revoke: list[str] = []

    def refresh(_: int) -> None:
        # In use, a session is refreshed once an access token has expired, not within the second of its
        # last refresh, so its expiry moves and the byUser index is written: the services' clock moves a
        # second first (a faster run would otherwise measure the rarer case).
        providers.clock().offset += 1
        body = functions.json("POST", "/sessions/refresh", {"refreshToken": refresh_token[0]})
        refresh_token[0] = body["refreshToken"]["token"]

    def new_session(_: int) -> None:
        to_revoke.append(create(0)["session"]["handle"])

    label, metadata = size.label, f"/users/{user}/metadata"
    return [
        _Case(CREATE, label, create),
        _Case(
            VERIFY_DB,
            label,
            lambda _: functions.call(
                "POST", "/sessions/verify", {"accessToken": token, "checkDatabase": True}
            ),
        ),
        _Case(
            ONLINE,
            label,
            lambda i: functions.call("POST", "/sessions/merge", {"accessToken": token, "update": {"hot": i}}),
        ),
        _Case(
            OFFLINE,
            label,
            lambda i: functions.call("PATCH", f"/sessions/{handle}/payload", {"update": {"hot": i}}),
        ),
        _Case(
            DATA_MERGE,
            label,
            lambda i: functions.call("PATCH", f"/sessions/{handle}/data", {"update": {"hot": i}}),
        ),
        _Case(REFRESH, label, refresh),
        _Case(READ_SESSION, label, lambda _: functions.call("GET", f"/sessions/{handle}")),
        _Case(READ_DATA, label, lambda _: functions.call("GET", f"/sessions/{handle}/data")),
        _Case(REVOKE, label, lambda _: functions.call("DELETE", f"/sessions/{to_revoke.pop()}"), new_session),
        _Case(MD_MERGE, label, lambda i: functions.call("PATCH", metadata, {"metadataUpdate": {"hot": i}})),
        _Case(
            MD_MINIMAL,
            label,
            lambda i: functions.call(
                "PATCH", metadata, {"metadataUpdate": {"hot": i}}, 204, {"prefer": "return=minimal"}
            ),
        ),
        _Case(MD_READ, label, lambda _: functions.call("GET", metadata)),
    ]
