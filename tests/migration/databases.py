"""PostgreSQL and MariaDB from Debian (tools/scripts/setup-migration.sh), started by the tests as they start
DynamoDB Local: each in a temporary directory, on a free loopback port, stopped however the tests end.
PostgreSQL refuses to run as root, so as root its programs run as the ``postgres`` user."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.localrun.dynamodb import free_port

SETUP = (
    "tools/scripts/setup-migration.sh installs them (Debian: apt-get install -y postgresql mariadb-server)"
)


def _wait(probe: Any, process: subprocess.Popen[bytes], log: Path, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            probe()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{what} did not start: {log.read_text(errors='replace')[-2000:]}"
                ) from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster; yields the superuser's URL (``postgresql://postgres@127.0.0.1:PORT``)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not binaries:
        raise RuntimeError(f"PostgreSQL is not installed: {SETUP}")
    bin_dir = Path(binaries[-1])
    as_user: dict[str, Any] = {}
    directory = Path(tempfile.mkdtemp(prefix="authstate-pg-"))
    if os.getuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid}
    data, log = directory / "data", directory / "server.log"
    try:
        subprocess.run(  # noqa: S603 - Debian's initdb
            [str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C.UTF-8"],
            check=True, capture_output=True, timeout=120, **as_user,
        )  # fmt: skip
        port = free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - Debian's postgres
                [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(directory),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"],
                stdout=output, stderr=subprocess.STDOUT, **as_user,
            )  # fmt: skip
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            import psycopg

            _wait(lambda: psycopg.connect(url, connect_timeout=2).close(), process, log, "PostgreSQL")
            yield url
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def mariadb() -> Iterator[dict[str, Any]]:
    """A MariaDB server; yields ``{"host", "port", "socket"}`` (root over the socket, no password)."""
    server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    install = shutil.which("mariadb-install-db")
    if not Path(server).exists() or install is None:
        raise RuntimeError(f"MariaDB is not installed: {SETUP}")
    directory = Path(tempfile.mkdtemp(prefix="authstate-mariadb-"))
    data, log, socket = directory / "data", directory / "server.log", directory / "mysqld.sock"
    user = ["--user=root"] if os.getuid() == 0 else []
    try:
        subprocess.run(  # noqa: S603 - Debian's mariadb-install-db
            [install, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
             "--skip-test-db", *user],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        port = free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - Debian's mariadbd
                [server, "--no-defaults", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
                 f"--socket={socket}", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
                 "--innodb-flush-log-at-trx-commit=0", *user],
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            import pymysql

            _wait(
                lambda: pymysql.connect(unix_socket=str(socket), user="root").close(), process, log, "MariaDB"
            )
            yield {"host": "127.0.0.1", "port": port, "socket": str(socket)}
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
