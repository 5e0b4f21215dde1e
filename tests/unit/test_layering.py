"""The layer's imports only go down (docs/design.md §0): a module imports modules of lower floors, or of
its own folder; the pure floors import no I/O library at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from localrun.template import ROOT

PACKAGE = ROOT / "layers" / "authstate" / "authstate"

#: Floors, lowest first: each name is a module or folder of the package.
FLOORS: list[set[str]] = [
    {"errors", "limits"},
    {"identifiers", "documents"},
    {"config", "storage", "security"},
    {"metadata", "sessions"},
    {"services"},
    {"edge"},
    {"cdi"},
]
#: What pure code may not import (I/O, AWS, the HTTP framework).
NOT_PURE = ("boto3", "botocore", "aws_lambda_powertools", "pydantic")
PURE = {"documents", "errors", "limits", "identifiers", "sessions.rules", "sessions.model"}


def floor_of(part: str) -> int:
    return next(index for index, names in enumerate(FLOORS) if part in names)


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def imports(path: Path) -> set[str]:
    """Every module it imports, at the top or inside a function (a lazy import is still a dependency)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_part_of_the_package_has_a_floor() -> None:
    parts = {dotted(path).split(".")[0] for path in modules()}
    assert parts == set().union(*FLOORS)


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_imports_go_down_or_stay_in_the_folder(path: Path) -> None:
    own = dotted(path).split(".")[0]
    upward = [
        name
        for name in imports(path)
        if name.startswith("authstate.")
        and (target := name.split(".")[1]) != own
        and floor_of(target) >= floor_of(own)
    ]
    assert upward == [], f"{dotted(path)} imports upward or sideways"


@pytest.mark.parametrize(
    "path", [p for p in modules() if dotted(p).split(".")[0] in PURE or dotted(p) in PURE], ids=dotted
)
def test_pure_modules_do_no_io(path: Path) -> None:
    assert [name for name in imports(path) if name.split(".")[0] in NOT_PURE] == []


#: What the CDI never reaches: DynamoDB, the stores, the keys; it goes through the services (the
#: ``services`` module wires them, ``sessions.service``, ``metadata`` and ``sessions.jwts`` are them).
CDI_NEVER_IMPORTS = (
    "authstate.storage",
    "authstate.sessions.store",
    "authstate.sessions.keys",
    "authstate.sessions.refresh_tokens",
    "boto3",
    "botocore",
)
CDI_MODULES = [path for path in modules() if dotted(path).startswith("cdi.")] + [
    ROOT / "functions" / "cdi" / "app.py"
]


@pytest.mark.parametrize("path", CDI_MODULES, ids=lambda path: path.stem)
def test_the_cdi_reaches_only_the_services(path: Path) -> None:
    reached = [name for name in imports(path) if name.startswith(CDI_NEVER_IMPORTS)]
    assert reached == [], f"{path.name} reaches below the services"


def test_the_cdi_handler_is_a_few_lines() -> None:
    """Routes are declared in the layer (``authstate.cdi.routes``, one router per recipe): the function
    file is its docstring, two imports, the app and the handler."""
    statements = ast.parse((ROOT / "functions" / "cdi" / "app.py").read_text()).body
    assert len(statements) == 5
