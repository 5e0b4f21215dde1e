"""``python -m tools.bench [--section S ...] [--json [PATH]] [...]``: authstate against the honest baselines.

Starts DynamoDB Local in memory (unless ``--dynamodb-endpoint`` names one already running), creates
the template's tables, then runs the sections (all by default, about 5 minutes on 2 cores):

- baselines: concurrent updates of one document, T threads, per contender: the floor (bare
  UpdateItem), authstate, version-locked Get+Put, naive Get+Put; ops/s, p50/p99, calls, lost updates;
- sweep: a one-key merge as the document grows (empty to ~300 KB), in process;
- http: the same over HTTP through the local server;
- operations: each warm Lambda handler's DynamoDB calls and latency against the floor; JWT µs;
- cost: each operation's DynamoDB calls, read and write units and USD per million requests, by
  document size (empty to 300 KB), and the Lambda price by memory and architecture;
- cold: each function's cold import against ``import boto3; boto3.client("dynamodb")``;
- sdk: the unmodified supertokens-python SDK with authstate's /cdi as its core: concurrent online and
  offline merges (keys lost), beside the native offline merge; the SDK's requests per operation;
- caps: DynamoDB calls per merge for each case of the capped write (common, near the cap, refused,
  big), beside the write-measure-undo design's.

Every comparison is measured in the same run, interleaved, and reported as medians and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from tools.bench import caps, cold, costs, operations, report, sdk, sweep
from tools.bench.measure import non_negative_int, positive_int
from tools.bench.runner import make_clients, run, run_workload
from tools.bench.workloads import WORKLOADS
from tools.localrun.dynamodb import client, create_tables, find_jar, running_dynamodb
from tools.localrun.template import ROOT, Template

SECTIONS = ("baselines", "sweep", "http", "operations", "cost", "cold", "sdk", "caps")
#: Where a bare ``--json`` writes (tools/bench/.gitignore keeps it out of git).
DEFAULT_JSON = ROOT / "tools" / "bench" / "results.json"
#: ``--quick``: a smoke run of every section, in about a minute; figures too few to compare.
QUICK = {
    "rounds": 1,
    "updates": 3,
    "warmup": 2,
    "sweep_rounds": 2,
    "operation_rounds": 5,
    "cost_rounds": 1,
    "cold_runs": 1,
    "sdk_keys": 3,
}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--section", choices=SECTIONS, action="append", help="run only this section (repeatable; default all)"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const=str(DEFAULT_JSON),
        metavar="PATH",
        help=f"also write the figures as JSON: to PATH, {DEFAULT_JSON.relative_to(ROOT)} without one, "
        "- for stdout",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: every section, tiny samples")
    group = parser.add_argument_group("baselines")
    group.add_argument("--threads", type=positive_int, default=8, help="concurrent threads (default 8)")
    defaults = ", ".join(f"{name} {workload.updates}" for name, workload in WORKLOADS.items())
    group.add_argument(
        "--updates", type=positive_int, help=f"updates per thread and round (default: {defaults})"
    )
    group.add_argument("--rounds", type=positive_int, default=3, help="interleaved rounds (default 3)")
    group.add_argument(
        "--warmup",
        type=non_negative_int,
        default=10,
        help="unmeasured updates per thread and contender first, on throwaway subjects (default 10)",
    )
    group.add_argument(
        "--workload", choices=sorted(WORKLOADS), action="append", help="run only this workload (repeatable)"
    )
    group.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="stop a contender's threads after this long (default 120)",
    )
    group = parser.add_argument_group("sweep, http, operations, cost, cold")
    group.add_argument(
        "--sweep-rounds", type=positive_int, default=25, help="samples per case and size (default 25)"
    )
    group.add_argument(
        "--operation-rounds", type=positive_int, default=200, help="samples per operation (default 200)"
    )
    group.add_argument(
        "--cost-rounds", type=positive_int, default=15, help="samples per operation and size (default 15)"
    )
    group.add_argument(
        "--cold-runs", type=positive_int, default=4, help="fresh interpreters per function (default 4)"
    )
    group = parser.add_argument_group("sdk")
    group.add_argument("--sdk-tabs", type=positive_int, default=8, help="tabs of one session (default 8)")
    group.add_argument("--sdk-keys", type=positive_int, default=25, help="keys each tab merges (default 25)")
    parser.add_argument(
        "--dynamodb-endpoint", metavar="URL", help="use this DynamoDB (Local) instead of starting one"
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        for name, value in QUICK.items():
            if name != "updates" or arguments.updates is None:
                setattr(arguments, name, value)
    return arguments


def dynamodb_local_version() -> str:
    """The release of the bundled DynamoDB Local, from its README's release notes."""
    jar = find_jar()
    readme = jar.parent / "README.txt"
    if readme.exists():
        match = re.search(
            r"^(\d{4}-\d{2}-\d{2}) \((\d+(?:\.\d+)+)\)", readme.read_text(errors="replace"), re.M
        )
        if match:
            return f"{match[2]} ({match[1]})"
    return jar.parent.name


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


@contextlib.contextmanager
def dynamodb(endpoint: str | None) -> Iterator[tuple[str, str]]:
    """(endpoint, version); DynamoDB Local is stopped however the block ends."""
    if endpoint:
        yield endpoint, "external"
        return
    version = dynamodb_local_version()
    with running_dynamodb() as local_endpoint:
        yield local_endpoint, version


def _terminate(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks, so DynamoDB Local is stopped


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    began, load_average = time.monotonic(), os.getloadavg()[0]  # load before our own DynamoDB Local
    signal.signal(signal.SIGTERM, _terminate)
    chosen = [section for section in SECTIONS if section in (arguments.section or SECTIONS)]
    base_environment = dict(os.environ)  # before the operations section configures this process
    names = arguments.workload or list(WORKLOADS)
    updates = {name: arguments.updates or WORKLOADS[name].updates for name in names}
    template = Template.load()
    tables = {
        logical_id: template.table_name(logical_id)
        for logical_id in template.resources("AWS::DynamoDB::Table")
    }
    run_id = uuid.uuid4().hex[:8]
    sections: dict[str, Any] = {}
    timings: dict[str, float] = {}
    with dynamodb(arguments.dynamodb_endpoint) as (endpoint, version):
        create_tables(endpoint, template)
        environment = report.Environment(
            threads=arguments.threads,
            updates=updates,
            rounds=arguments.rounds,
            warmup=arguments.warmup,
            endpoint=endpoint,
            dynamodb_version=version,
            cpu_count=os.cpu_count(),
            usable_cpus=os.process_cpu_count(),
            cpu_model=cpu_model(),
            python=platform.python_version(),
            platform=f"{platform.system()} {platform.machine()}",
            load_average=load_average,
        )
        reader = client(endpoint)

        def timed(section: str, measure: Callable[[], Any], *, part_of: str | None = None) -> None:
            """Measure ``section`` if chosen (or, ``part_of`` another, if that one is)."""
            if (part_of or section) in chosen:
                started = time.monotonic()
                sections[section] = measure()
                timings[section] = time.monotonic() - started

        def baselines() -> dict[str, Any]:
            clients = make_clients(endpoint, arguments.threads, pool=arguments.threads * 2)
            measure = functools.partial(
                run, clients=clients, reader=reader, tables=tables, time_limit=arguments.time_limit
            )
            return {
                name: run_workload(
                    name,
                    WORKLOADS[name],
                    rounds=arguments.rounds,
                    warmup=arguments.warmup,
                    updates=updates[name],
                    subject_prefix=f"bench-{run_id}",
                    measure=measure,
                )
                for name in names
            }

        def in_process() -> dict[str, Any]:
            metadata, sessions = sweep.in_process(
                lambda: make_clients(endpoint, 1, pool=2, as_the_layer=False)[0].client,
                tables,
                run_id,
                rounds=arguments.sweep_rounds,
                warmup=2,
            )
            return {"metadata": metadata, "sessions": sessions}

        timed("baselines", baselines)
        timed("sweep", in_process)
        timed(
            "http",
            lambda: sweep.over_http(
                endpoint, reader, tables, run_id, rounds=arguments.sweep_rounds, warmup=2
            ),
        )
        # cold before operations, which configures this process's environment for the handlers
        timed(
            "cold",
            lambda: cold.measure(template, runs=arguments.cold_runs, base_environment=base_environment),
        )
        built = cold.built_tree()
        if built is not None:
            timed(
                "cold_deployed",
                lambda: cold.measure_deployed(
                    template, built, runs=arguments.cold_runs, base_environment=base_environment
                ),
                part_of="cold",
            )
        timed(
            "operations",
            lambda: operations.measure(
                template, endpoint, tables, run_id, rounds=arguments.operation_rounds, warmup=3
            ),
        )
        timed(
            "cost",
            lambda: costs.measure(template, endpoint, tables, run_id, rounds=arguments.cost_rounds, warmup=1),
        )
        timed(
            "sdk",
            lambda: sdk.measure(endpoint, run_id, tabs=arguments.sdk_tabs, keys_per_tab=arguments.sdk_keys),
        )
        timed("caps", lambda: caps.measure(endpoint, tables, run_id))

    lines = report.header(environment)
    for name, summaries in sections.get("baselines", {}).items():
        lines += ["", *report.concurrent_table(name, summaries, environment)]
    if "sweep" in sections:
        lines += ["", report.sizes_line()]
        lines += ["", *report.sweep_table(sections["sweep"]["metadata"], sweep.FLOOR)]
        lines += report.versus_locked(sections["sweep"]["metadata"], [(sweep.MD_DEFAULT, sweep.MD_LOCKED)])
        lines += ["", *report.sweep_table(sections["sweep"]["sessions"], sweep.FLOOR)]
        lines += report.versus_locked(
            sections["sweep"]["sessions"],
            [(sweep.S_ONLINE, sweep.S_ONLINE_LOCKED), (sweep.S_DATA, sweep.S_DATA_LOCKED)],
        )
    if "http" in sections:
        lines += ["", *report.sweep_table(sections["http"])]
    if "operations" in sections:
        lines += ["", *report.operations_table(sections["operations"])]
    if "cost" in sections:
        lines += ["", *sections["cost"].lines()]
    if "cold" in sections:
        lines += ["", *report.cold_table(sections["cold"])]
        lines += ["", *report.deployed_table(sections.get("cold_deployed"))]
    if "sdk" in sections:
        lines += ["", *sections["sdk"].lines()]
    if "caps" in sections:
        lines += ["", *sections["caps"].lines()]
    found = report.goals(sections)
    if found:
        lines += ["", *report.goals_table(found)]
    elapsed = time.monotonic() - began
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    lines += ["", f"elapsed: {elapsed:.0f} s in all ({spent})"]
    print("\n".join(lines), flush=True)
    if arguments.json is not None:
        text = json.dumps(
            {
                **report.document(environment, sections, found),
                "elapsed_seconds": round(elapsed, 1),
                "section_seconds": {name: round(seconds, 1) for name, seconds in timings.items()},
            }
        )
        if arguments.json == "-":
            print(text)
        else:
            Path(arguments.json).write_text(text + "\n")
            print(f"figures written to {arguments.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
