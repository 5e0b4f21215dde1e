"""The printed table and the JSON document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.runner import Result


@dataclass(frozen=True)
class Environment:
    threads: int
    updates: Mapping[str, int]  # per thread, by workload
    warmup: int
    endpoint: str
    dynamodb_version: str  # "external" when --dynamodb-endpoint was given
    cpu_count: int | None
    usable_cpus: int | None
    python: str
    platform: str
    load_average: float  # 1-minute, at the start: other work on the machine skews the figures

    def as_json(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "updates_per_thread": dict(self.updates),
            "warmup_updates_per_thread": self.warmup,
            "dynamodb": {"endpoint": self.endpoint, "version": self.dynamodb_version},
            "machine": {
                "cpu_count": self.cpu_count,
                "usable_cpus": self.usable_cpus,
                "python": self.python,
                "platform": self.platform,
                "load_average_1m": round(self.load_average, 2),
            },
        }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def header(environment: Environment) -> list[str]:
    cores = f"{environment.cpu_count} cores"
    if environment.usable_cpus != environment.cpu_count:
        cores += f" ({environment.usable_cpus} usable)"
    updates = ", ".join(f"{name} {count}" for name, count in environment.updates.items())
    return [
        f"threads: {environment.threads}   updates/thread: {updates}   warm-up: {environment.warmup}/thread",
        f"DynamoDB Local: {environment.dynamodb_version} at {environment.endpoint}",
        f"machine: {cores}, load average {environment.load_average:.2f} at start, "
        f"Python {environment.python}, {environment.platform}",
    ]


def table(
    workload: str, description: str, baseline: str, results: Sequence[Result], parameters: str = ""
) -> list[str]:
    reference = next((r for r in results if r.contender == baseline), None)
    rows = [("contender", "ops/s", "p50 ms", "p99 ms", "calls/upd", "calls", "lost", "lost %", "ops/s ratio")]
    for result in results:
        if result.contender == baseline:
            ratio = "(baseline)"
        elif reference is not None and reference.ops_per_second > 0:
            ratio = f"{result.ops_per_second / reference.ops_per_second:.2f}x"
        else:
            ratio = "-"
        rows.append(
            (
                result.contender,
                f"{result.ops_per_second:.0f}",
                _ms(result.p50_ms),
                _ms(result.p99_ms),
                f"{result.calls_per_update:.2f}",
                "+".join(result.calls) or "-",
                f"{result.lost_keys}/{result.expected_keys}",
                f"{result.lost_percent:.1f}",
                ratio,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [f"[{workload}] {description}"]
    if results:
        first = results[0]
        total = first.threads * first.updates_per_thread
        lines.append(
            f"  {first.threads} threads x {first.updates_per_thread} updates = {total} per contender"
            + (f"; {parameters}" if parameters else "")
        )
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    for result in results:
        notes = []
        if result.errors:
            notes.append("errors " + ", ".join(f"{name} x{count}" for name, count in result.errors.items()))
        retries = result.http_requests - sum(result.calls.values())
        if retries:
            notes.append(f"{retries} botocore retries")
        if result.timed_out:
            notes.append("stopped at the time limit")
        if notes:
            lines.append(f"  {result.contender}: " + "; ".join(notes))
    return lines


def document(environment: Environment, results: Mapping[str, Sequence[Result]]) -> dict[str, Any]:
    return {
        "parameters": environment.as_json(),
        "workloads": {name: [result.as_json() for result in rows] for name, rows in results.items()},
    }
