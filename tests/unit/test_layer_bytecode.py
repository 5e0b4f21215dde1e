"""The built-artifact bytecode check (tests/sambuild/bytecode.py) on fake artifacts."""

from __future__ import annotations

import py_compile
from pathlib import Path

from tests.sambuild.bytecode import bytecode_problems

UNCHECKED = py_compile.PycInvalidationMode.UNCHECKED_HASH


def module(root: Path, name: str, text: str = "VALUE = 1\n") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_unchecked_hash_bytecode_of_every_module_passes(tmp_path: Path) -> None:
    for name in ("app.py", "package/__init__.py", "package/deep/module.py"):
        py_compile.compile(str(module(tmp_path, name)), invalidation_mode=UNCHECKED, doraise=True)
    assert bytecode_problems(tmp_path) == []


def test_each_unusable_bytecode_is_named(tmp_path: Path) -> None:
    module(tmp_path, "missing.py")
    py_compile.compile(
        str(module(tmp_path, "timestamp.py")),
        invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
        doraise=True,
    )
    py_compile.compile(
        str(module(tmp_path, "checked.py")),
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        doraise=True,
    )
    stale = module(tmp_path, "stale.py")
    py_compile.compile(str(stale), invalidation_mode=UNCHECKED, doraise=True)
    stale.write_text("VALUE = 2\n")
    assert bytecode_problems(tmp_path) == [
        "checked.py: bytecode hash-based, checked against its source on every import",
        "missing.py: no bytecode",
        "stale.py: bytecode of another source",
        "timestamp.py: bytecode validated by timestamp",
    ]
