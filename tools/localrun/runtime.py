"""Load and call the template's Lambda handlers, the layer importable as in Lambda.

Lambda runs one invocation at a time per execution environment, in a process of its own. The server
does the same: each function gets a pool of worker processes; a busy one is never re-entered, a new
one is started instead (its first event is its cold start).
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import multiprocessing
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any, TextIO, cast

from tools.localrun.template import FunctionSpec, Template

DEFAULT_API_KEY = "local-dev-key"
#: Execution environments per function the server starts at most (``serve --max-environments``).
DEFAULT_MAX_ENVIRONMENTS = 4
_counter = itertools.count()


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    deadline_ms: int = 0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def lambda_environment(
    template: Template, dynamodb_endpoint: str, api_key: str, *, metrics: bool = False
) -> dict[str, str]:
    """The variables a function sees in Lambda (the template's), pointed at DynamoDB Local, never at
    AWS. ``metrics``: the functions print Powertools' EMF metric lines (noise locally, so off by default)."""
    merged: dict[str, str] = {}
    for spec in template.functions():
        for name, value in spec.environment.items():
            if merged.setdefault(name, value) != value:
                raise ValueError(f"functions disagree on {name}; the local runner shares one environment")
    merged.pop("API_KEY_SECRET_ID", None)
    merged.update(
        {
            "AUTHSTATE_API_KEYS": api_key,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_METRICS_DISABLED": "false" if metrics else "true",
        }
    )
    return merged


#: What the environment of this machine must not pass on to a function run locally.
UNSET_LOCALLY = ("API_KEY_SECRET_ID", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def configure_environment(
    template: Template, dynamodb_endpoint: str, api_key: str, *, metrics: bool = False
) -> None:
    """This process's environment as Lambda would give it (:func:`lambda_environment`), and the
    layer importable as in Lambda."""
    for layer_dir in template.layer_dirs():
        if str(layer_dir) not in sys.path:
            sys.path.insert(0, str(layer_dir))
    for name in UNSET_LOCALLY:
        os.environ.pop(name, None)
    os.environ.update(lambda_environment(template, dynamodb_endpoint, api_key, metrics=metrics))


def metrics_enabled() -> bool:
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() not in ("true", "1")


#: How every CloudWatch embedded-metric-format line starts (Powertools prints them on stdout).
EMF_PREFIX = '{"_aws":'


class WithoutMetrics(io.TextIOBase):
    """``stream`` less its EMF lines. POWERTOOLS_METRICS_DISABLED silences Powertools' metrics
    except the ColdStart one (``single_metric`` ignores it), so the lines are dropped here."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._line = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str, /) -> int:
        self._line += text
        while "\n" in self._line:
            line, _, self._line = self._line.partition("\n")
            if not line.startswith(EMF_PREFIX):
                self._stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        # a partial line is kept until its end unless it cannot be the start of a metric line
        if self._line and not (self._line.startswith(EMF_PREFIX) or EMF_PREFIX.startswith(self._line)):
            self._stream.write(self._line)
            self._line = ""
        self._stream.flush()


def function_output(stream: TextIO) -> TextIO:
    """Where a function's own output (logs, metrics) should go: ``stream``, less metrics unless
    enabled; then also no warning that a request had no metric to publish (each error path's)."""
    if metrics_enabled():
        return stream
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    return cast(TextIO, WithoutMetrics(stream))


def load_module(spec: FunctionSpec) -> ModuleType:
    """Import the function's module afresh (under a unique name: every function's file is app.py)."""
    module_file, _, _ = spec.handler.rpartition(".")
    path = spec.code_dir / f"{module_file}.py"
    name = f"_localrun_{spec.logical_id}_{next(_counter)}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _load_handler(spec: FunctionSpec) -> Callable[[dict[str, Any], LambdaContext], Any]:
    handler: Callable[[dict[str, Any], LambdaContext], Any] = getattr(
        load_module(spec), spec.handler.rpartition(".")[2]
    )
    return handler


def _context(spec: FunctionSpec) -> LambdaContext:
    return LambdaContext(
        function_name=spec.logical_id,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{spec.logical_id}",
        aws_request_id=str(uuid.uuid4()),
        deadline_ms=int(time.time() * 1000) + 10_000,
    )


class InProcessEnvironment:
    """The function loaded into this process: for one-off invocations (``localrun invoke``)."""

    def __init__(self, spec: FunctionSpec) -> None:
        self._spec = spec
        self._handler = _load_handler(spec)

    def invoke(self, event: dict[str, Any], clock_offset: float | None = None) -> Any:
        if clock_offset is not None:
            move_clock(clock_offset)
        return self._handler(event, _context(self._spec))

    def close(self) -> None:
        pass


def move_clock(offset: float) -> None:
    """Set the layer's clock ``offset`` seconds ahead of the wall clock (``serve --test-clock``): every
    service of this process reads it from its next call on."""
    from authstate import providers

    providers.clock().offset = offset


def _serve_invocations(spec: FunctionSpec, connection: Connection) -> None:
    """A worker process: load the function on the first event (its cold start), then answer events
    one at a time until the server goes away."""
    handler = None
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # each log line on the console as it is written
    sys.stdout = function_output(sys.stdout)  # before the function's Logger takes sys.stdout
    while True:
        try:
            event, clock_offset = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if handler is None:
                handler = _load_handler(spec)
            if clock_offset is not None:
                move_clock(clock_offset)
            connection.send(("ok", handler(event, _context(spec))))
        except Exception as error:  # the function crashed: the gateway answers 500
            connection.send(("error", f"{type(error).__name__}: {error}"))


class WorkerProcess:
    """One execution environment in a process of its own, as in Lambda. Powertools keeps the
    current event in a class attribute (process-wide), so concurrent invocations must never share
    a process."""

    def __init__(self, spec: FunctionSpec) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve_invocations, args=(spec, child), name=f"localrun-{spec.logical_id}", daemon=True
        )
        self._process.start()
        child.close()

    def invoke(self, event: dict[str, Any], clock_offset: float | None = None) -> Any:
        self._connection.send((event, clock_offset))
        status, result = self._connection.recv()
        if status != "ok":
            raise RuntimeError(f"function failed: {result}")
        return result

    def close(self) -> None:
        self._connection.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()


class FunctionPool:
    """Execution environments of one function; each serves one invocation at a time, and a new one
    is started (a cold start) when all are busy, up to ``max_environments`` (as a reserved
    concurrency would cap it in Lambda). Beyond that an invocation waits for a free environment
    rather than starting another cold process: on a laptop, twenty cold starts at once compete for
    the same cores and all of them take seconds."""

    def __init__(self, spec: FunctionSpec, *, isolated: bool, max_environments: int) -> None:
        self.spec = spec
        self._isolated = isolated
        self._max_environments = max_environments
        self._idle: list[InProcessEnvironment | WorkerProcess] = []
        self._all: list[InProcessEnvironment | WorkerProcess] = []
        self._starting = 0
        self._changed = threading.Condition()

    def _take_idle(self) -> InProcessEnvironment | WorkerProcess | None:
        """An idle environment, or None when this invocation may start a new one (counted as starting)."""
        with self._changed:
            while not self._idle and len(self._all) + self._starting >= self._max_environments:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._starting += 1
            return None

    def _start(self) -> InProcessEnvironment | WorkerProcess:
        environment: InProcessEnvironment | WorkerProcess | None = None
        try:
            environment = WorkerProcess(self.spec) if self._isolated else InProcessEnvironment(self.spec)
            return environment
        finally:
            with self._changed:  # counted as starting until counted as started: the cap always holds
                self._starting -= 1
                if environment is not None:
                    self._all.append(environment)
                self._changed.notify()

    def invoke(self, event: dict[str, Any], clock_offset: float | None = None) -> Any:
        environment = self._take_idle() or self._start()
        try:
            return environment.invoke(event, clock_offset)
        finally:
            with self._changed:
                self._idle.append(environment)
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            environments, self._all, self._idle = self._all, [], []
        for environment in environments:
            environment.close()


class Functions:
    """Every function of the template, by logical id. ``isolated``: each execution environment in
    a process of its own (the server); otherwise in this process (a single ``invoke``).
    ``test_clock``: ``clock_offset`` (seconds ahead of the wall clock) goes with every invocation, so a
    test moves the time every function sees (``serve --test-clock``); otherwise the functions' clock is
    the wall clock, untouched."""

    def __init__(
        self,
        template: Template,
        *,
        isolated: bool = False,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
        test_clock: bool = False,
    ) -> None:
        self.pools = {
            spec.logical_id: FunctionPool(spec, isolated=isolated, max_environments=max_environments)
            for spec in template.functions()
        }
        self.clock_offset: float | None = 0.0 if test_clock else None

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        if logical_id not in self.pools:
            raise KeyError(f"no function {logical_id!r} (known: {', '.join(self.pools)})")
        return self.pools[logical_id].invoke(event, self.clock_offset)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
