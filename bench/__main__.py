"""``python -m bench [--threads T] [--updates N] [--workload W] [--dynamodb-endpoint URL] [--json [PATH]]``.

Starts DynamoDB Local in memory (unless ``--dynamodb-endpoint`` names one already running), creates
the template's tables, then for every workload runs each contender in turn with the same threads,
the same keys and one subject of its own, and prints one table per workload.
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
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from bench.report import Environment, document, header, table
from bench.runner import Result, make_clients, non_negative_int, positive_int, run
from bench.workloads import WORKLOADS
from localrun.dynamodb import client, create_tables, find_jar, running_dynamodb
from localrun.template import Template


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--threads", type=positive_int, default=8, help="concurrent threads (default 8)")
    defaults = ", ".join(f"{name} {workload.updates}" for name, workload in WORKLOADS.items())
    parser.add_argument(
        "--updates", type=positive_int, help=f"updates per thread, every workload (default: {defaults})"
    )
    parser.add_argument(
        "--warmup",
        type=non_negative_int,
        default=20,
        help="unmeasured updates per thread and contender first, on throwaway subjects (default 20)",
    )
    parser.add_argument(
        "--dynamodb-endpoint", metavar="URL", help="use this DynamoDB (Local) instead of starting one"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="also write the figures as JSON: to PATH, or as the last line of stdout without one",
    )
    parser.add_argument(
        "--workload", choices=sorted(WORKLOADS), action="append", help="run only this workload (repeatable)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="stop a contender's threads after this long (default 120)",
    )
    return parser.parse_args(argv)


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
    threads = arguments.threads
    names = arguments.workload or list(WORKLOADS)
    updates = {name: arguments.updates or WORKLOADS[name].updates for name in names}
    template = Template.load()
    tables = {
        logical_id: template.table_name(logical_id)
        for logical_id in template.resources("AWS::DynamoDB::Table")
    }
    run_id = uuid.uuid4().hex[:8]
    with dynamodb(arguments.dynamodb_endpoint) as (endpoint, version):
        create_tables(endpoint, template)
        clients = make_clients(endpoint, threads, pool=threads * 2)
        reader = client(endpoint)
        environment = Environment(
            threads=threads,
            updates=updates,
            warmup=arguments.warmup,
            endpoint=endpoint,
            dynamodb_version=version,
            cpu_count=os.cpu_count(),
            usable_cpus=os.process_cpu_count(),
            python=platform.python_version(),
            platform=f"{platform.system()} {platform.machine()}",
            load_average=load_average,
        )
        results: dict[str, list[Result]] = {}
        for name in names:
            workload = WORKLOADS[name]

            measure = functools.partial(
                run,
                name,
                workload,
                clients=clients,
                reader=reader,
                tables=tables,
                time_limit=arguments.time_limit,
            )
            if arguments.warmup:  # JIT of DynamoDB Local, connection pools, botocore's lazy loading
                print(f"warming up {name} ...", file=sys.stderr, flush=True)
                for position, (contender_name, contender) in enumerate(workload.contenders.items()):
                    subject = f"bench-{run_id}-{name}-warmup-{position}"
                    measure(contender_name, contender, subject=subject, updates=arguments.warmup)
            results[name] = []
            for position, (contender_name, contender) in enumerate(workload.contenders.items()):
                print(f"running {name}: {contender_name} ...", file=sys.stderr, flush=True)
                subject = f"bench-{run_id}-{name}-{position}"
                results[name].append(
                    measure(contender_name, contender, subject=subject, updates=updates[name])
                )

    lines = header(environment)
    for name, rows in results.items():
        workload = WORKLOADS[name]
        lines += ["", *table(name, workload.description, workload.baseline, rows, workload.parameters)]
    elapsed = time.monotonic() - began
    lines += ["", f"elapsed: {elapsed:.1f} s in all (start-up, warm-up, every contender)"]
    print("\n".join(lines), flush=True)
    if arguments.json is not None:
        text = json.dumps({**document(environment, results), "elapsed_seconds": round(elapsed, 2)})
        if arguments.json == "-":
            print(text)
        else:
            Path(arguments.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
