"""What ``python -m tools.bench`` prints (one table per section, then the goals) and writes as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.bench import cold, costs, operations, sdk, sweep
from tools.bench.measure import ms, ratio, render_table, rounded, times
from tools.bench.runner import Summary
from tools.bench.workloads import WORKLOADS


@dataclass(frozen=True)
class Environment:
    threads: int
    updates: Mapping[str, int]  # per thread and round, by workload
    rounds: int
    warmup: int
    endpoint: str
    dynamodb_version: str  # "external" when --dynamodb-endpoint was given
    cpu_count: int | None
    usable_cpus: int | None
    cpu_model: str
    python: str
    platform: str
    load_average: float  # 1-minute, at the start: other work on the machine skews the figures

    def as_json(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "updates_per_thread_per_round": dict(self.updates),
            "rounds": self.rounds,
            "warmup_updates_per_thread": self.warmup,
            "dynamodb": {"endpoint": self.endpoint, "version": self.dynamodb_version},
            "machine": {
                "cpu_count": self.cpu_count,
                "usable_cpus": self.usable_cpus,
                "cpu_model": self.cpu_model,
                "python": self.python,
                "platform": self.platform,
                "load_average_1m": round(self.load_average, 2),
            },
        }


def header(environment: Environment) -> list[str]:
    cores = f"{environment.cpu_count} cores"
    if environment.usable_cpus != environment.cpu_count:
        cores += f" ({environment.usable_cpus} usable)"
    return [
        f"machine: {cores} ({environment.cpu_model}), load average {environment.load_average:.2f} at start, "
        f"Python {environment.python}, {environment.platform}; DynamoDB Local {environment.dynamodb_version}",
        "All figures are medians; every ratio is against a baseline measured in the same run, interleaved.",
    ]


# --- sections ------------------------------------------------------------------------------------


def concurrent_table(name: str, summaries: Sequence[Summary], environment: Environment) -> list[str]:
    workload = WORKLOADS[name]
    floor = next((s for s in summaries if s.contender == workload.floor), None)
    rows = []
    for summary in summaries:
        rows.append(
            (
                summary.contender,
                f"{summary.ops_per_second:.0f}",
                ms(summary.p50_ms),
                ms(summary.p99_ms),
                f"{summary.calls_per_update:.2f}",
                "+".join(summary.calls) or "-",
                f"{summary.lost_keys}/{summary.expected_keys}",
                f"{summary.lost_percent:.1f}",
                times(ratio(summary.ops_per_second, floor.ops_per_second if floor else None)),
                times(ratio(summary.p50_ms, floor.p50_ms if floor else None)),
            )
        )
    updates = environment.updates.get(name, workload.updates)
    lines = [
        f"[{name}] {workload.description}",
        f"  {environment.threads} threads x {updates} updates per contender and round, {environment.rounds} "
        "rounds interleaved; ops/s and p50: median of the rounds; p99: all rounds"
        + (f"; {workload.parameters}" if workload.parameters else ""),
        *render_table(
            (
                "contender",
                "ops/s",
                "p50 ms",
                "p99 ms",
                "calls/upd",
                "calls",
                "lost",
                "lost %",
                "ops/s vs floor",
                "p50 vs floor",
            ),
            rows,
        ),
    ]
    for summary in summaries:
        notes = []
        if summary.errors:
            notes.append(
                "errors " + ", ".join(f"{error} x{count}" for error, count in summary.errors.items())
            )
        if summary.retries:
            notes.append(f"{summary.retries} botocore retries")
        if summary.timed_out:
            notes.append("stopped at the time limit")
        if notes:
            lines.append(f"  {summary.contender}: " + "; ".join(notes))
    return lines


def sweep_table(table: sweep.SweepTable, reference: str | None = None) -> list[str]:
    """Median ms by size; the largest over the empty document; that growth over the floor's (the
    floor row of the same item: :data:`sweep.S_FLOORS` for the session data's in process, else
    ``reference``, or :data:`sweep.H_FLOORS` for the HTTP routes); and, with a ``reference`` (the floor
    in process), each row against it at the largest size."""
    base = table.row(reference) if reference else None
    labels = [size.label for size in sweep.SIZES]
    header_row = (
        "median ms by size",
        *labels,
        "300KB/empty",
        "vs floor's growth",
        *(("300KB vs floor",) if base else ()),
        "DynamoDB calls",
    )
    rows = []
    for row in table.rows:
        calls = sorted({c for c in row.calls if c})
        floor = (
            table.row(sweep.S_FLOORS.get(row.name, "")) or base or table.row(sweep.H_FLOORS.get(row.name, ""))
        )
        rows.append(
            (
                row.name,
                *(ms(row.median_ms(index), 1) for index in range(len(labels))),
                times(row.growth),
                times(ratio(row.growth, floor.growth)) if floor else "-",
                *((times(ratio(row.median_ms(-1), base.median_ms(-1))),) if base else ()),
                " / ".join(calls) or "-",
            )
        )
    return [
        f"[sweep] {table.title}",
        *render_table(header_row, rows),
    ]


def sizes_line() -> str:
    last = sweep.SIZES[-1]
    return (
        "  sizes, in bytes of compact JSON: "
        + ", ".join(f"{size.label} {size.json_bytes:,}" for size in sweep.SIZES)
        + f" ({last.label}: {last.keys:,} keys of {last.value_chars}-character strings)"
    )


def versus_locked(table: sweep.SweepTable, pairs: Sequence[tuple[str, str]]) -> list[str]:
    lines = []
    for mine, locked in pairs:
        a, b = table.row(mine), table.row(locked)
        if a is None or b is None:
            continue
        cells = ", ".join(
            f"{size.label} {times(ratio(a.median_ms(i), b.median_ms(i)))}"
            for i, size in enumerate(sweep.SIZES)
        )
        lines.append(f"  {mine} / {locked}: {cells}")
    return lines


def operations_table(measured: operations.Results) -> list[str]:
    floor, results, jwt = measured.floor, measured.operations, measured.jwt
    rows = [
        (
            op.name,
            op.calls or "-",
            f"{op.calls_per_call:.2f}",
            ms(op.median_ms),
            ms(op.dynamodb_ms),
            ms(op.own_ms),
            ms(op.cpu_ms),
            times(ratio(op.median_ms, floor.median_ms)),
        )
        for op in results
    ]
    return [
        "[operations] warm Lambda handlers in process (API Gateway v2 events), interleaved with the floor;",
        "  medians of: the whole call, the part inside DynamoDB calls (botocore before-call to after-call), "
        "the rest, and this process's CPU time (DynamoDB Local's not included)",
        *render_table(
            (
                "operation",
                "DynamoDB calls",
                "calls/inv",
                "warm ms",
                "in calls",
                "outside",
                "CPU ms",
                "vs floor",
            ),
            rows,
        ),
        f"  JWT with keys cached (RS256, 2048-bit, {jwt.custom_claims_bytes} bytes of custom claims): "
        f"sign {ms(jwt.sign_us, 0)} us, verify {ms(jwt.verify_us, 0)} us (median of {jwt.samples})",
    ]


def cold_table(imports: Sequence[cold.Import]) -> list[str]:
    baseline = next(i for i in imports if i.name == cold.BASELINE)
    rows = [
        (
            imp.name,
            f"{imp.median_ms:.0f}",
            times(ratio(imp.median_ms, baseline.median_ms)),
            f"{imp.cpu_median_ms:.0f}",
            times(ratio(imp.cpu_median_ms, baseline.cpu_median_ms)),
            str(len(imp.seconds)),
        )
        for imp in imports
    ]
    return [
        "[cold] import in a fresh interpreter (layer on sys.path, the function's environment), interleaved;",
        "  wall time, and the CPU time of the same imports (not inflated by other work on the machine)",
        *render_table(("module", "wall ms", "vs boto3", "CPU ms", "CPU vs boto3", "samples"), rows),
        "  the functions import boto3 on their first request, not at import: a cold start pays about the "
        "baseline again then",
    ]


def deployed_table(deployed: Sequence[cold.Deployed] | None) -> list[str]:
    if deployed is None:
        return ["[cold] as deployed: no build for this machine's architecture (make sam-build builds it)"]
    rows = [
        (
            d.name,
            f"{d.shipped.cpu_median_ms:.0f}",
            f"{d.none.cpu_median_ms:.0f}",
            times(ratio(d.none.cpu_median_ms, d.shipped.cpu_median_ms)),
            str(len(d.shipped.seconds)),
        )
        for d in deployed
    ]
    return [
        "[cold] as deployed: the same imports from make sam-build's artifacts (the built layer on sys.path),",
        f"  CPU time {cold.SHIPPED} and {cold.NONE}; neither writes bytecode, as on Lambda's read-only /opt",
        *render_table(("module", "CPU ms, shipped", "CPU ms, none", "none / shipped", "samples"), rows),
    ]


# --- goals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    name: str
    measured: float | None
    limit: float
    unit: str = "x"
    detail: str = ""

    @property
    def met(self) -> bool | None:
        """Judged on the figure as printed (two decimals): 2.004x is "at most 2x"."""
        return None if self.measured is None else round(self.measured, 2) <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "goal": self.name,
            "measured": rounded(self.measured),
            "limit": self.limit,
            "met": self.met,
            "detail": self.detail,
        }


def _worst(pairs: Sequence[tuple[float | None, str]]) -> tuple[float | None, str]:
    known = [(value, label) for value, label in pairs if value is not None]
    return max(known) if known else (None, "")


def goals(sections: Mapping[str, Any]) -> list[Goal]:
    found: list[Goal] = []
    in_process: dict[str, sweep.SweepTable] = sections.get("sweep", {})

    http: sweep.SweepTable | None = sections.get("http")
    if http is not None:
        for name, limit, what in (
            (sweep.H_MD_MINIMAL, 1.15, "no document back"),
            (sweep.H_MD_DEFAULT, 1.3, "document back"),
            (sweep.H_OFFLINE, 1.3, "payload back"),
            (sweep.H_ONLINE, 1.3, "token back"),
            (sweep.H_DATA, 1.3, "data back"),
        ):
            row, floor = http.row(name), http.row(sweep.H_FLOORS[name])
            if row is not None and floor is not None:
                found.append(
                    Goal(
                        f"HTTP {name}: growth to ~300 KB / the floor's",
                        ratio(row.growth, floor.growth),
                        limit,
                        detail=f"{what}; route {times(row.growth)}, floor {times(floor.growth)}",
                    )
                )
        # issue 22.2: the session data has an item of its own, so a payload merge does not see it
        for name in (sweep.H_ONLINE, sweep.H_OFFLINE):
            row = http.row(name)
            if row is not None:
                found.append(
                    Goal(f"HTTP {name}: time with ~300 KB of session data / with none", row.growth, 1.1)
                )
    spent: costs.Results | None = sections.get("cost")
    if spent is not None:
        for operation in (costs.VERIFY_DB, costs.ONLINE, costs.OFFLINE, costs.REFRESH):
            big, none = spent.row(operation, "300 KB").usage, spent.row(operation, "empty").usage
            found.append(
                Goal(
                    f"[cost] {operation}: capacity units with ~300 KB of session data",
                    big.read_units + big.write_units,
                    5,
                    unit="",
                    detail=f"with none: {none.read_units + none.write_units:g}",
                )
            )
    for key, mine, locked in (
        ("metadata", sweep.MD_DEFAULT, sweep.MD_LOCKED),
        ("sessions", sweep.S_ONLINE, sweep.S_ONLINE_LOCKED),
        ("sessions", sweep.S_DATA, sweep.S_DATA_LOCKED),
    ):
        table = in_process.get(key)
        a, b = (table.row(mine), table.row(locked)) if table else (None, None)
        if a is not None and b is not None:
            worst, label = _worst(
                [(ratio(a.median_ms(i), b.median_ms(i)), size.label) for i, size in enumerate(sweep.SIZES)]
            )
            found.append(Goal(f"{mine} / {locked}, worst size", worst, 1.0, detail=label))
    metadata = in_process.get("metadata")
    if metadata is not None:
        row, floor = metadata.row(sweep.MD_MINIMAL), metadata.row(sweep.FLOOR)
        if row is not None and floor is not None:
            found.append(
                Goal(
                    f"in process {sweep.MD_MINIMAL}: growth to ~300 KB / the floor's",
                    ratio(row.growth, floor.growth),
                    1.15,
                    detail=f"merge {times(row.growth)}, floor {times(floor.growth)}",
                )
            )
    ops: operations.Results | None = sections.get("operations")
    if ops:
        small = ops.operation(operations.SMALL_MERGE)
        found.append(
            Goal(
                f"warm handler {operations.SMALL_MERGE} / bare UpdateItem",
                ratio(small.median_ms, ops.floor.median_ms),
                1.3,
            )
        )
    imports: list[cold.Import] | None = sections.get("cold")
    if imports:
        baseline = next(i for i in imports if i.name == cold.BASELINE)
        functions = [i for i in imports if i.name != cold.BASELINE]
        worst, label = _worst([(ratio(i.median_ms, baseline.median_ms), i.name) for i in functions])
        found.append(
            Goal("cold import of each function / boto3 + client, wall, worst", worst, 1.5, detail=label)
        )
        worst, label = _worst([(ratio(i.cpu_median_ms, baseline.cpu_median_ms), i.name) for i in functions])
        found.append(
            Goal("cold import of each function / boto3 + client, CPU, worst", worst, 1.5, detail=label)
        )
    measured_sdk: sdk.Results | None = sections.get("sdk")
    if measured_sdk:
        for name in (sdk.ONLINE, sdk.OFFLINE_NATIVE):
            found.append(Goal(f"[sdk] {name}: keys lost", measured_sdk.merge(name).lost, 0, unit=""))
    concurrent: dict[str, list[Summary]] = sections.get("baselines", {})
    for name, summaries in concurrent.items():
        for summary in summaries:
            if summary.contender.startswith("authstate"):
                found.append(
                    Goal(f"[{name}] {summary.contender}: lost updates", summary.lost_keys, 0, unit="")
                )
    return found


def goals_table(found: Sequence[Goal]) -> list[str]:
    rows = []
    for goal in found:
        measured = (
            "-"
            if goal.measured is None
            else (times(goal.measured) if goal.unit == "x" else f"{goal.measured:.0f}")
        )
        limit = (
            times(goal.limit, 2 if round(goal.limit, 1) != goal.limit else 1)
            if goal.unit == "x"
            else f"{goal.limit:.0f}"
        )
        verdict = "-" if goal.met is None else "met" if goal.met else "MISSED"
        rows.append(
            (goal.name + (f" ({goal.detail})" if goal.detail else ""), measured, f"<= {limit}", verdict)
        )
    return ["[goals]", *render_table(("goal", "measured", "target", ""), rows)]


def document(environment: Environment, sections: Mapping[str, Any], found: Sequence[Goal]) -> dict[str, Any]:
    body: dict[str, Any] = {"parameters": environment.as_json()}
    if "baselines" in sections:
        body["baselines"] = {
            name: [
                s.as_json(next((f for f in rows if f.contender == WORKLOADS[name].floor), None)) for s in rows
            ]
            for name, rows in sections["baselines"].items()
        }
    if "sweep" in sections or "http" in sections:
        body["sweep"] = {
            "sizes": [{"label": s.label, "keys": s.keys, "json_bytes": s.json_bytes} for s in sweep.SIZES],
            **{key: table.as_json(sweep.SIZES) for key, table in sections.get("sweep", {}).items()},
            **({"http": sections["http"].as_json(sweep.SIZES)} if "http" in sections else {}),
        }
    if "operations" in sections:
        ops: operations.Results = sections["operations"]
        body["operations"] = {
            "handlers": [op.as_json(ops.floor) for op in ops.operations],
            "jwt": ops.jwt.as_json(),
        }
    if "cold" in sections:
        imports: list[cold.Import] = sections["cold"]
        baseline = next(i for i in imports if i.name == cold.BASELINE)
        body["cold_import"] = [imp.as_json(baseline) for imp in imports]
    if "cold_deployed" in sections:
        body["cold_import_deployed"] = [d.as_json() for d in sections["cold_deployed"]]
    if "cost" in sections:
        body["cost"] = sections["cost"].as_json()
    if "sdk" in sections:
        body["sdk"] = sections["sdk"].as_json()
    if "caps" in sections:
        body["caps"] = sections["caps"].as_json()
    body["goals"] = [goal.as_json() for goal in found]
    return body
