"""The layer ``sam build`` built (``make sam-build``: the template's default architecture into
.aws-sam/build, x86_64 into .aws-sam/build-x86_64), without Docker: every native extension in it
must load on Lambda's python3.13 for that architecture, it ships the pinned versions, and every
module of the layer and the functions ships its bytecode."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.sambuild.bytecode import bytecode_problems
from tests.sambuild.wheels import installed_wheels, problems
from tools.localrun.template import ROOT, Template

pytestmark = pytest.mark.sam_build

#: The layer's dependencies that ship native code (a new one must be added here, and checked).
BINARY = {"cffi", "cryptography", "pydantic-core", "simplejson"}
REQUIREMENTS = ROOT / "layers" / "authstate" / "requirements.txt"


def configured_architecture() -> str:
    """What a plain ``sam build`` builds: samconfig.toml's parameter_overrides (global or build)
    may set ``Architecture``; else the template's default."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text()).get("default", {})
    for command in ("build", "global"):
        overrides = str(config.get(command, {}).get("parameters", {}).get("parameter_overrides", ""))
        match = re.search(r"\bArchitecture=\"?(\w+)", overrides)
        if match:
            return match[1]
    return Template.load().parameter("Architecture")


BUILDS = [
    (ROOT / ".aws-sam" / "build", configured_architecture()),
    (ROOT / ".aws-sam" / "build-x86_64", "x86_64"),
]


def layer(build_dir: Path) -> Path:
    site = build_dir / "AuthstateLayer" / "python"
    assert site.is_dir(), f"no layer built in {build_dir}: run make sam-build"
    return site


@pytest.mark.parametrize(("build_dir", "architecture"), BUILDS, ids=[a for _, a in BUILDS])
def test_every_native_extension_is_built_for_the_architecture(build_dir: Path, architecture: str) -> None:
    site = layer(build_dir)
    assert {wheel.name for wheel in installed_wheels(site) if not wheel.purelib} == BINARY
    assert problems(site, architecture) == []


@pytest.mark.parametrize(("build_dir", "architecture"), BUILDS, ids=[a for _, a in BUILDS])
def test_the_layer_ships_the_pinned_versions(build_dir: Path, architecture: str) -> None:
    installed = {wheel.name: wheel.version for wheel in installed_wheels(layer(build_dir))}
    pinned = {}
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            pinned[name.strip().lower().replace("_", "-")] = version.strip()
    assert {name: installed.get(name) for name in pinned} == pinned


@pytest.mark.parametrize(("build_dir", "architecture"), BUILDS, ids=[a for _, a in BUILDS])
def test_every_module_ships_the_runtimes_bytecode(build_dir: Path, architecture: str) -> None:
    layer(build_dir)
    functions = [build_dir / spec.logical_id for spec in Template.load().functions()]
    assert all((function / "app.py").is_file() for function in functions)
    assert bytecode_problems(build_dir) == []
