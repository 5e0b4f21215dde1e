"""Load and call the template's Lambda handlers in this process, the layer importable as in Lambda.

Lambda runs one invocation at a time per execution environment, and Powertools' resolver keeps the
current event on the module's ``app``. So each function gets a pool of environments (separate
module instances of its ``app.py``); a busy one is never re-entered, a new one is loaded instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from localrun.template import FunctionSpec, Template

DEFAULT_API_KEY = "local-dev-key"
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


def configure_environment(template: Template, dynamodb_endpoint: str, api_key: str) -> None:
    """Process environment as Lambda would see it, pointed at DynamoDB Local, never at AWS."""
    for layer_dir in template.layer_dirs():
        if str(layer_dir) not in sys.path:
            sys.path.insert(0, str(layer_dir))
    merged: dict[str, str] = {}
    for spec in template.functions():
        for name, value in spec.environment.items():
            if merged.setdefault(name, value) != value:
                raise ValueError(f"functions disagree on {name}; the local runner shares one environment")
    os.environ.update(merged)
    os.environ.pop("API_KEY_SECRET_ID", None)
    os.environ.update(
        {
            "AUTHSTATE_API_KEYS": api_key,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines are noise locally


class FunctionPool:
    """Execution environments of one function; each serves one invocation at a time."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._idle: list[ModuleType] = []
        self._lock = threading.Lock()

    def _load(self) -> ModuleType:
        module_file, _, _ = self.spec.handler.rpartition(".")
        path = self.spec.code_dir / f"{module_file}.py"
        name = f"_localrun_{self.spec.logical_id}_{next(_counter)}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            module = self._idle.pop() if self._idle else None
        if module is None:
            module = self._load()
        try:
            handler = getattr(module, self.spec.handler.rpartition(".")[2])
            request_id = str(uuid.uuid4())
            context = LambdaContext(
                function_name=self.spec.logical_id,
                invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{self.spec.logical_id}",
                aws_request_id=request_id,
                deadline_ms=int(time.time() * 1000) + 10_000,
            )
            return handler(event, context)
        finally:
            with self._lock:
                self._idle.append(module)


class Functions:
    """Every function of the template, by logical id."""

    def __init__(self, template: Template) -> None:
        self.pools = {spec.logical_id: FunctionPool(spec) for spec in template.functions()}

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        if logical_id not in self.pools:
            raise KeyError(f"no function {logical_id!r} (known: {', '.join(self.pools)})")
        return self.pools[logical_id].invoke(event)
