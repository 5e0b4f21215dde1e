"""What a built artifact must ship for Lambda's read-only code directories: beside every module, the
bytecode of CPython 3.13 (the runtime's) for that exact source, hash-based and unchecked. ``sam
build`` ships none and zips every file with the date 1980-01-01, so bytecode validated by timestamp
would never match either: every cold start would compile every module. Pure logic on a directory,
shared by the test of a real build (tests/sambuild) and the unit tests (on fakes)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.sambuild.wheels import RUNTIME_PYTHON

#: The flags word of a hash-based pyc whose source is never checked (PEP 552).
UNCHECKED_HASH = 0b01
_FLAGS = {0b00: "validated by timestamp", 0b11: "hash-based, checked against its source on every import"}


def bytecode_problems(root: Path) -> list[str]:
    """Every module under ``root`` whose bytecode Lambda's python3.13 would not use as it is."""
    if sys.version_info[:2] != RUNTIME_PYTHON:
        return [f"checked with Python {sys.version_info[0]}.{sys.version_info[1]}, not the runtime's"]
    found = []
    for source in sorted(root.rglob("*.py")):
        where = source.relative_to(root)
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            found.append(f"{where}: no bytecode")
            continue
        header = cached.read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != importlib.util.MAGIC_NUMBER:
            found.append(f"{where}: bytecode of another Python")
        elif flags != UNCHECKED_HASH:
            found.append(f"{where}: bytecode {_FLAGS.get(flags, f'with flags {flags}')}")
        elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
            found.append(f"{where}: bytecode of another source")
    return found
