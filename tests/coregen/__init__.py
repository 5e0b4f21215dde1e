"""SuperTokens-core-format keys and tokens from ``CoreGen.java``, a generator written with the JDK only.

The tests use it as the other side of authstate's Python codec (``authstate.recipe.session.core_tokens``): the
core is Java, so its tokens are made by the JDK's own PBKDF2WithHmacSHA512, AES/GCM and SHA256withRSA with
the core's parameters, never by the code under test. ``javac`` compiles it once per source version into
the temporary directory; one ``java`` process then answers every request of a test session.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authstate.documents.jsondoc import dumps

SOURCE = Path(__file__).with_name("CoreGen.java")


class CoreGenError(Exception):
    """The generator refused a request (its message says why)."""


def _compiled() -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError(
            "javac is not on PATH: the core-format generator needs a JDK (Debian: apt-get install -y "
            "openjdk-17-jdk-headless; tools/scripts/setup-migration.sh installs it)"
        )
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"authstate-coregen-{digest}"
    if not (target / "CoreGen.class").exists():
        building = Path(tempfile.mkdtemp(prefix="authstate-coregen-build-"))
        subprocess.run(  # noqa: S603 - the JDK's compiler on our own source
            [javac, "-d", str(building), str(SOURCE)], check=True, capture_output=True, timeout=120
        )
        try:
            building.rename(target)
        except OSError:  # another process compiled it first
            shutil.rmtree(building, ignore_errors=True)
    return target


def _encode(value: str | None) -> str:
    return "~" if value is None else base64.b64encode(value.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class CoreKeyPair:
    """A signing key as the core stores it: ``"<base64 SPKI>|<base64 PKCS#8>"``."""

    value: str

    @property
    def public(self) -> str:
        return self.value.split("|")[0]


class CoreGen:
    """One ``java CoreGen`` process; thread-safe (one request at a time)."""

    def __init__(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java is not on PATH")
        self._process = subprocess.Popen(  # noqa: S603 - the JVM on our own generator
            [java, "-cp", str(_compiled()), "CoreGen"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> CoreGen:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def call(self, operation: str, *arguments: str | None) -> list[str]:
        line = "\t".join([operation, *(_encode(argument) for argument in arguments)])
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline().rstrip("\n")
        status, *fields = answer.split("\t")
        values = [base64.b64decode(field).decode("utf-8") for field in fields]
        if status != "ok":
            raise CoreGenError(values[0] if values else answer)
        return values

    # -- what the core makes ---------------------------------------------------------------------------

    def refresh_token_key(self) -> str:
        return self.call("refresh-key")[0]

    def key_pair(self) -> CoreKeyPair:
        return CoreKeyPair(self.call("rsa-key")[0])

    def refresh_token(
        self,
        key: str,
        *,
        handle: str,
        user_id: str,
        parent_hash1: str | None = None,
        anti_csrf: str | None = None,
        tenant_id: str = "public",
    ) -> str:
        return self.call("seal", key, handle, user_id, parent_hash1, anti_csrf, tenant_id)[0]

    def open(self, key: str, token: str) -> str:
        """The payload's JSON, after the core's own checks (decrypts, nonce equal, ids present)."""
        return self.call("open", key, token)[0]

    def sha256(self, text: str) -> str:
        return self.call("sha256", text)[0]

    def access_token(
        self,
        key: CoreKeyPair,
        *,
        kid: str,
        user_id: str,
        handle: str,
        refresh_hash1: str,
        parent_hash1: str | None = None,
        anti_csrf: str | None = None,
        tenant_id: str = "public",
        issued_at: int,
        expires_at: int,
        claims: dict[str, Any] | None = None,
        version: int = 5,
    ) -> str:
        return self.call(
            "access-token",
            str(version),
            kid,
            key.value,
            user_id,
            user_id,
            tenant_id,
            handle,
            refresh_hash1,
            parent_hash1,
            anti_csrf,
            str(issued_at),
            str(expires_at),
            dumps(claims or {}),
        )[0]
