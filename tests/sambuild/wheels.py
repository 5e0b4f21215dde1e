"""What a built layer must be for the Lambda architecture it is built for: every binary wheel in it
tagged for that platform (manylinux for the runtime's glibc, CPython 3.13 or the stable ABI), every
shared object an ELF file for that machine. Pure logic on a directory: the tests of a real
``sam build`` (tests/sambuild/test_built_layer.py) and the unit tests (on fakes) share it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, parse_tag

#: Lambda's python3.13 runtime (Amazon Linux 2023) has glibc 2.34.
RUNTIME_GLIBC = (2, 34)
RUNTIME_PYTHON = (3, 13)
#: ELF ``e_machine`` of each Lambda architecture, and its name in wheel tags and extension suffixes.
MACHINES = {"x86_64": (62, "x86_64"), "arm64": (183, "aarch64")}
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_(\w+)")


@dataclass(frozen=True)
class Wheel:
    """One installed distribution, from its ``.dist-info/WHEEL``."""

    name: str  # normalized: lower case, dashes
    version: str
    purelib: bool
    tags: frozenset[Tag]


def installed_wheels(site: Path) -> list[Wheel]:
    wheels = []
    for metadata in sorted(site.glob("*.dist-info/WHEEL")):
        fields = [line.partition(":") for line in metadata.read_text().splitlines()]
        tags: frozenset[Tag] = frozenset()
        for key, _, value in fields:
            if key.strip() == "Tag":
                tags |= parse_tag(value.strip())
        purelib = any(k.strip() == "Root-Is-Purelib" and v.strip() == "true" for k, _, v in fields)
        name, _, version = metadata.parent.name.removesuffix(".dist-info").rpartition("-")
        wheels.append(Wheel(name.lower().replace("_", "-"), version, purelib, tags))
    return wheels


def tag_problem(tag: Tag, architecture: str) -> str | None:
    """Why a binary wheel's tag cannot load on Lambda's python3.13 for ``architecture``, if it can't."""
    machine = MACHINES[architecture][1]
    legacy, _, legacy_arch = tag.platform.partition("_")
    if legacy in _LEGACY_MANYLINUX:
        glibc, arch = _LEGACY_MANYLINUX[legacy], legacy_arch
    elif match := _MANYLINUX.fullmatch(tag.platform):
        glibc, arch = (int(match[1]), int(match[2])), match[3]
    else:
        return f"platform {tag.platform} is not manylinux"
    if arch != machine:
        return f"platform {tag.platform} is not {machine}"
    if glibc > RUNTIME_GLIBC:
        return f"platform {tag.platform} needs a glibc newer than the runtime's {RUNTIME_GLIBC}"
    version = tag.interpreter.removeprefix("cp")
    if not tag.interpreter.startswith("cp") or not version.isdigit():
        return f"interpreter {tag.interpreter} is not CPython"
    python = (int(version[0]), int(version[1:]))
    if tag.abi == "abi3" and python <= RUNTIME_PYTHON:
        return None
    if python != RUNTIME_PYTHON or tag.abi != f"cp{version}":
        return f"{tag.interpreter}-{tag.abi} does not load on CPython {'.'.join(map(str, RUNTIME_PYTHON))}"
    return None


def elf_machine(path: Path) -> int | None:
    """A 64-bit little-endian ELF file's ``e_machine``; None for anything else."""
    with path.open("rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
        return None
    return int.from_bytes(header[18:20], "little")


def problems(site: Path, architecture: str) -> list[str]:
    """Everything in the layer's ``python/`` directory that would not load on ``architecture``."""
    found = []
    for wheel in installed_wheels(site):
        if wheel.purelib:
            continue
        for tag in sorted(wheel.tags, key=str):
            problem = tag_problem(tag, architecture)
            if problem:
                found.append(f"{wheel.name}: {tag}: {problem}")
    number, machine = MACHINES[architecture]
    for shared in sorted(site.rglob("*.so*")):
        if not shared.is_file():
            continue
        if elf_machine(shared) != number:
            found.append(f"{shared.relative_to(site)}: not a 64-bit ELF for {machine}")
        suffix = re.search(r"\.cpython-\d+-(\w+?)-linux-gnu\.so$", shared.name)
        if suffix and suffix[1] != machine:
            found.append(f"{shared.relative_to(site)}: built for {suffix[1]}")
    return found
