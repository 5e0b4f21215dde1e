"""Cold import: each function's module imported in a fresh interpreter, against the baseline
``import boto3; boto3.client("dynamodb")`` timed the same way, interleaved.

As deployed (:func:`measure_deployed`, when ``make sam-build`` has built this machine's architecture):
the same imports from the built artifacts, with the bytecode ``make sam-build`` ships in them, against
the same artifacts without it, which is what a plain ``sam build`` ships (its pip workflow drops
``__pycache__``; Lambda's /opt and /var/task are read-only, so every cold start compiled every module).

Each sample is a new ``python`` process (this one's interpreter), the layer on ``sys.path`` and the
function's environment from template.yaml, as in a Lambda execution environment; only the import is
timed (by the child itself), not the interpreter's own start. The functions import no boto3 at
import time (``authstate.storage.client`` does on the first request), so a cold start's first
request adds about the baseline again.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.bench.measure import ratio, rounded
from tools.localrun.template import ROOT, Template

BASELINE = 'import boto3; boto3.client("dynamodb")'
#: The baseline is sampled before every second function of a round: A B C A D E A ...
BASELINE_EVERY = 2

#: The child: argv[1] is the module's file, or "-" for the baseline; argv[2:] the layer directories.
_CHILD = """
import importlib.util, sys, time
sys.path[:0] = sys.argv[2:]
began, cpu = time.perf_counter(), time.process_time()
if sys.argv[1] == "-":
    import boto3
    boto3.client("dynamodb")
else:
    spec = importlib.util.spec_from_file_location("app", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
print(time.perf_counter() - began, time.process_time() - cpu)
"""


@dataclass(frozen=True)
class Import:
    """One module's imports: wall time, and the CPU time of the same imports (which other work on a
    shared machine does not inflate: what a Lambda with its CPU to itself would wait for)."""

    name: str  # the function's logical id, or the baseline
    seconds: list[float]
    cpu_seconds: list[float]

    @classmethod
    def of_samples(cls, name: str, samples: list[tuple[float, float]]) -> Import:
        """From (wall, CPU) samples."""
        return cls(name, [wall for wall, _ in samples], [cpu for _, cpu in samples])

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu_seconds) * 1000

    def as_json(self, baseline: Import) -> dict[str, Any]:
        return {
            "name": self.name,
            "median_ms": round(self.median_ms, 1),
            "cpu_median_ms": round(self.cpu_median_ms, 1),
            "samples_ms": [round(s * 1000, 1) for s in self.seconds],
            "cpu_samples_ms": [round(s * 1000, 1) for s in self.cpu_seconds],
            "to_baseline": rounded(ratio(self.median_ms, baseline.median_ms)),
            "cpu_to_baseline": rounded(ratio(self.cpu_median_ms, baseline.cpu_median_ms)),
        }


def _environment(base: Mapping[str, str], function: Mapping[str, str]) -> dict[str, str]:
    environment = {**base, **function}
    environment.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "AUTHSTATE_API_KEYS": "bench-cold-key",
        }
    )
    environment.pop("API_KEY_SECRET_ID", None)
    return environment


def _sample(
    module: str, layers: list[str], cwd: Path, environment: Mapping[str, str], *, write_bytecode: bool = True
) -> tuple[float, float]:
    """(wall, CPU) seconds of the import in a fresh interpreter."""
    flags = [] if write_bytecode else ["-B"]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *flags, "-c", _CHILD, module, *layers],
        cwd=cwd,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{completed.stderr[-2000:]}")
    wall, cpu = completed.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def measure(
    template: Template, *, runs: int, base_environment: Mapping[str, str] | None = None
) -> list[Import]:
    """``runs`` samples of every function (after one unrecorded round, which also writes the bytecode
    caches), in rounds that run each once, the baseline before every ``BASELINE_EVERY``-th of them."""
    base = dict(os.environ if base_environment is None else base_environment)
    layers = [str(path) for path in template.layer_dirs()]
    specs = template.functions()
    cases: dict[str, tuple[str, Path, dict[str, str]]] = {}
    for spec in specs:
        module_file = spec.code_dir / f"{spec.handler.rpartition('.')[0]}.py"
        cases[spec.logical_id] = (str(module_file), spec.code_dir, _environment(base, spec.environment))
    baseline_environment = _environment(base, specs[0].environment if specs else {})
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in [BASELINE, *cases]}
    names = list(cases)
    for number in range(runs + 1):
        print(f"cold imports: round {number + 1}/{runs + 1} ...", file=sys.stderr, flush=True)
        shift = number % len(names) if names else 0
        for position, name in enumerate(names[shift:] + names[:shift]):
            if position % BASELINE_EVERY == 0:
                baseline = _sample("-", layers, ROOT, baseline_environment)
                if number:
                    samples[BASELINE].append(baseline)
            module, cwd, environment = cases[name]
            sample = _sample(module, layers, cwd, environment)
            if number:
                samples[name].append(sample)
    return [Import.of_samples(name, pairs) for name, pairs in samples.items()]


#: This machine's architecture's build by ``make sam-build`` (a built layer's native wheels load only there).
_BUILD_DIRS = {"x86_64": ROOT / ".aws-sam" / "build-x86_64", "aarch64": ROOT / ".aws-sam" / "build"}
#: What the as-deployed figures import: the CDI function (the largest) and a native one.
DEPLOYED_FUNCTIONS = ("CdiFunction", "UserMetadataUpdateFunction")
SHIPPED, NONE = "with the shipped bytecode", "without (a plain sam build)"


@dataclass(frozen=True)
class Deployed:
    """The imports of one module from the built artifacts: with their bytecode and without it."""

    name: str
    shipped: Import
    none: Import

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cpu_median_ms": round(self.shipped.cpu_median_ms, 1),
            "cpu_median_ms_without_bytecode": round(self.none.cpu_median_ms, 1),
            "without_to_with": rounded(ratio(self.none.cpu_median_ms, self.shipped.cpu_median_ms)),
        }


def built_tree() -> Path | None:
    """``make sam-build``'s build for this machine's architecture, if there is one."""
    build = _BUILD_DIRS.get(platform.machine())
    return build if build is not None and (build / "AuthstateLayer" / "python").is_dir() else None


def measure_deployed(
    template: Template, build: Path, *, runs: int, base_environment: Mapping[str, str] | None = None
) -> list[Deployed]:
    """``runs`` samples of the baseline (boto3 from the built layer) and :data:`DEPLOYED_FUNCTIONS`,
    each from ``build`` as built and from a copy without ``__pycache__``, alternating; neither run
    writes bytecode (``-B``), as on Lambda's read-only file system."""
    base = dict(os.environ if base_environment is None else base_environment)
    specs = {spec.logical_id: spec for spec in template.functions()}
    with tempfile.TemporaryDirectory(prefix="authstate-cold-") as scratch:
        bare = Path(scratch) / "build"
        shutil.copytree(build, bare, ignore=shutil.ignore_patterns("__pycache__"))
        cases: dict[str, tuple[str, str, dict[str, str]]] = {
            BASELINE: ("-", "AuthstateLayer", _environment(base, {}))
        }
        for name in DEPLOYED_FUNCTIONS:
            spec = specs[name]
            module = f"{name}/{spec.handler.rpartition('.')[0]}.py"
            cases[name] = (module, name, _environment(base, spec.environment))
        samples: dict[tuple[str, Path], list[tuple[float, float]]] = {}
        for number in range(runs):
            print(f"cold imports as deployed: round {number + 1}/{runs} ...", file=sys.stderr, flush=True)
            for name, (module, directory, environment) in cases.items():
                for tree in (build, bare) if number % 2 == 0 else (bare, build):
                    path = module if module == "-" else str(tree / module)
                    layer = [str(tree / "AuthstateLayer" / "python")]
                    sample = _sample(path, layer, tree / directory, environment, write_bytecode=False)
                    samples.setdefault((name, tree), []).append(sample)

        return [
            Deployed(
                name,
                Import.of_samples(name, samples[(name, build)]),
                Import.of_samples(name, samples[(name, bare)]),
            )
            for name in cases
        ]
