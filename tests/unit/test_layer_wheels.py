"""The built-layer check (tests/sambuild/wheels.py) on fake layers: what it accepts and refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.tags import Tag

from tests.sambuild.wheels import elf_machine, installed_wheels, problems, tag_problem


def elf(machine: int) -> bytes:
    """The first 20 bytes of a 64-bit little-endian ELF shared object for ``machine``."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x03\x00" + machine.to_bytes(2, "little")


def fake_wheel(site: Path, name: str, *tags: str, purelib: bool = False) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Wheel-Version: 1.0", f"Root-Is-Purelib: {str(purelib).lower()}", *(f"Tag: {t}" for t in tags)]
    (info / "WHEEL").write_text("\n".join(lines) + "\n")


def fake_layer(site: Path, machine: int, arch: str) -> None:
    fake_wheel(site, "fast_thing", f"cp313-cp313-manylinux_2_17_{arch}", f"cp313-cp313-manylinux2014_{arch}")
    fake_wheel(site, "stable", f"cp311-abi3-manylinux_2_28_{arch}")
    fake_wheel(site, "pure", "py3-none-any", purelib=True)
    (site / "fast_thing").mkdir()
    (site / "fast_thing" / f"_speed.cpython-313-{arch}-linux-gnu.so").write_bytes(elf(machine) + bytes(100))
    (site / "stable").mkdir()
    (site / "stable" / "_rust.abi3.so").write_bytes(elf(machine))


def test_a_layer_built_for_arm64_passes_for_arm64_only(tmp_path: Path) -> None:
    fake_layer(tmp_path, 183, "aarch64")
    assert problems(tmp_path, "arm64") == []
    assert problems(tmp_path, "x86_64") == [
        "fast-thing: cp313-cp313-manylinux2014_aarch64: platform manylinux2014_aarch64 is not x86_64",
        "fast-thing: cp313-cp313-manylinux_2_17_aarch64: platform manylinux_2_17_aarch64 is not x86_64",
        "stable: cp311-abi3-manylinux_2_28_aarch64: platform manylinux_2_28_aarch64 is not x86_64",
        "fast_thing/_speed.cpython-313-aarch64-linux-gnu.so: not a 64-bit ELF for x86_64",
        "fast_thing/_speed.cpython-313-aarch64-linux-gnu.so: built for aarch64",
        "stable/_rust.abi3.so: not a 64-bit ELF for x86_64",
    ]


def test_a_layer_built_for_x86_64_passes_for_x86_64(tmp_path: Path) -> None:
    fake_layer(tmp_path, 62, "x86_64")
    assert problems(tmp_path, "x86_64") == []
    assert len(problems(tmp_path, "arm64")) == 6


def test_an_extension_that_is_not_elf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thing.so").write_bytes(b"MZ not an ELF file at all")
    assert elf_machine(tmp_path / "thing.so") is None
    assert problems(tmp_path, "arm64") == ["thing.so: not a 64-bit ELF for aarch64"]


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("cp313-cp313-manylinux_2_34_aarch64", None),
        ("cp313-cp313-manylinux1_x86_64", "platform manylinux1_x86_64 is not aarch64"),
        ("cp39-abi3-manylinux2014_aarch64", None),
        ("cp314-abi3-manylinux2014_aarch64", "cp314-abi3 does not load on CPython 3.13"),
        ("cp312-cp312-manylinux2014_aarch64", "cp312-cp312 does not load on CPython 3.13"),
        ("pp310-pypy310_pp73-manylinux2014_aarch64", "interpreter pp310 is not CPython"),
        ("cp313-cp313-musllinux_1_2_aarch64", "platform musllinux_1_2_aarch64 is not manylinux"),
        (
            "cp313-cp313-manylinux_2_39_aarch64",
            "platform manylinux_2_39_aarch64 needs a glibc newer than the runtime's (2, 34)",
        ),
    ],
)
def test_tags_for_lambda_python_3_13_on_arm64(tag: str, problem: str | None) -> None:
    interpreter, abi, platform = tag.split("-")
    assert tag_problem(Tag(interpreter, abi, platform), "arm64") == problem


def test_wheels_are_read_with_their_name_version_and_tags(tmp_path: Path) -> None:
    fake_wheel(tmp_path, "Pydantic_Core", "cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64")
    [wheel] = installed_wheels(tmp_path)
    assert (wheel.name, wheel.version, wheel.purelib) == ("pydantic-core", "1.0", False)
    assert {str(tag) for tag in wheel.tags} == {
        "cp313-cp313-manylinux_2_17_aarch64",
        "cp313-cp313-manylinux2014_aarch64",
    }
