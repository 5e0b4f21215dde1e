"""The layer's imports only go down (docs/design.md §0), between the package's parts and inside each of
them; nothing imports in a cycle; and a module that says it does no I/O (its docstring, or its
package's, says "no I/O") reaches no storage, botocore or boto3 by any path, however indirect."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from tools.localrun.template import ROOT

PACKAGE = ROOT / "layers" / "authstate" / "authstate"

#: Floors of the package, lowest first: each name is a module or folder of the package.
FLOORS: list[set[str]] = [
    {"errors", "limits"},
    {"identifiers", "documents", "clock"},
    {"config", "storage", "security"},
    {"providers"},
    {"recipe"},
    {"edge"},
    {"cdi"},
]
#: Every recipe's floors (``recipe/<name>/``), lowest first: what both have, and what the session's
#: has beside (a recipe uses the names it needs, and only these).
RECIPE_FLOORS: list[set[str]] = [
    {"model", "rules", "items", "access_tokens", "refresh_tokens", "signing_keys", "core_tokens"},
    {"data_store", "key_store"},
    {"store"},
    {"core_sessions", "jwts", "tokens"},
    {"refresh"},
    {"service"},
    {"providers"},
]
#: The modules every recipe has, by the same names (supertokens-python's recipes share theirs too).
RECIPE_SHAPE = {"model", "rules", "store", "service", "providers"}
RECIPES = ("session", "usermetadata")
#: Floors inside a folder, lowest first (a folder not named here has one floor): a module imports the
#: modules of lower floors of its folder, or of its own floor.
INNER_FLOORS: dict[str, list[set[str]]] = {
    "storage": [{"client"}, {"table"}, {"documents"}],
    **{f"recipe.{name}": RECIPE_FLOORS for name in RECIPES},
    "edge": [
        {"api_routes", "models", "auth"},
        {"responses", "unrouted"},
        {"session", "usermetadata"},
        {"app"},
        {"admin"},
    ],
    "cdi": [{"protocol"}, {"models"}, {"answers"}, {"router"}, {"routes"}, {"app"}],
}
#: No module of the layer is longer: past it, a module does more than one thing.
MAX_MODULE_LINES = 300
#: What pure code may not import (I/O, AWS, the HTTP framework) directly.
NOT_PURE = ("boto3", "botocore", "aws_lambda_powertools", "pydantic")
#: What pure code may not reach by any path: the layer's DynamoDB access, and the AWS SDK.
NEVER_REACHED_BY_PURE = ("storage", "boto3", "botocore")
#: Modules that must say they do no I/O (so that deleting the words cannot drop them from the checks).
MUST_BE_PURE = {
    "documents.merge",
    "documents.capped",
    "documents.jsondoc",
    "documents.expressions",
    "documents.items",
    *(f"recipe.{name}.{module}" for name in RECIPES for module in ("model", "rules")),
    "recipe.session.items",
    "recipe.session.access_tokens",
    "recipe.session.refresh_tokens",
    "recipe.session.signing_keys",
    "recipe.session.core_tokens",
}
SAYS_NO_IO = re.compile(r"\bno I/O\b", re.IGNORECASE)


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def module_path(name: str, package: Path = PACKAGE) -> Path | None:
    """The file of ``authstate.<name>`` (a module, or a package's ``__init__``), if it is one."""
    base = package.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def imports(path: Path, package: Path = PACKAGE) -> frozenset[str]:
    """Every module it imports, at the top, inside a function or for type checking only (a lazy import is
    still a dependency); ``from authstate.a import b`` names ``authstate.a.b`` when ``b`` is a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module.startswith("authstate"):
                inner = node.module.removeprefix("authstate").lstrip(".")
                for alias in node.names:
                    name = f"{inner}.{alias.name}" if inner else alias.name
                    if module_path(name, package) not in (None, package / "__init__.py"):
                        found.add(f"authstate.{name}")
    return frozenset(found)


def layer_imports(path: Path) -> set[str]:
    """The layer's modules it imports, as dotted names under ``authstate`` (``recipe.session.model``)."""
    return {
        name.removeprefix("authstate.")
        for name in imports(path)
        if name.startswith("authstate.") and module_path(name.removeprefix("authstate.")) is not None
    }


def reached(start: str, package: Path = PACKAGE) -> dict[str, list[str]]:
    """Every module ``start`` reaches by imports, each with one path to it (``start`` first)."""
    paths = {start: [start]}
    pending = [start]
    while pending:
        current = pending.pop()
        file = module_path(current, package)
        if file is None:
            continue
        for name in sorted(imports(file, package)):
            target = name.removeprefix("authstate.") if name.startswith("authstate.") else name
            if target not in paths:
                paths[target] = [*paths[current], target]
                if name.startswith("authstate."):
                    pending.append(target)
    return paths


def says_no_io(path: Path) -> bool:
    """Its docstring, or its folder's (``__init__.py``), says it does no I/O."""
    own = ast.get_docstring(ast.parse(path.read_text())) or ""
    init = path.parent / "__init__.py"
    folder = ast.get_docstring(ast.parse(init.read_text())) or "" if path.parent != PACKAGE else ""
    return bool(SAYS_NO_IO.search(own) or SAYS_NO_IO.search(folder))


def pure_modules() -> list[Path]:
    return [path for path in modules() if says_no_io(path)]


def floor_of(part: str, floors: list[set[str]] = FLOORS) -> int:
    return next(index for index, names in enumerate(floors) if part in names)


def test_every_part_of_the_package_has_a_floor() -> None:
    parts = {dotted(path).split(".")[0] for path in modules()}
    assert parts == set().union(*FLOORS)


def folder_of(name: str) -> str | None:
    """The folder of ``INNER_FLOORS`` a module is in (``recipe.session`` for ``recipe.session.store``)."""
    return next((folder for folder in INNER_FLOORS if name.startswith(f"{folder}.")), None)


def part_in(folder: str, name: str) -> str:
    """What a module is in its folder: ``store`` of ``recipe.session.store``, ``session`` of
    ``edge.session.models``."""
    return name.removeprefix(f"{folder}.").split(".")[0]


@pytest.mark.parametrize("folder", INNER_FLOORS)
def test_every_module_of_a_folder_with_floors_has_one(folder: str) -> None:
    inside = {part_in(folder, dotted(path)) for path in modules() if folder_of(dotted(path)) == folder}
    assert inside
    assert inside <= set().union(*INNER_FLOORS[folder])


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


@pytest.mark.parametrize("path", [path for path in modules() if folder_of(dotted(path))], ids=dotted)
def test_inside_a_folder_imports_go_down_or_stay_on_their_floor(path: Path) -> None:
    folder = folder_of(dotted(path))
    assert folder is not None
    own, floors = part_in(folder, dotted(path)), INNER_FLOORS[folder]
    upward = sorted(
        name
        for name in layer_imports(path)
        if name.startswith(f"{folder}.")
        and (target := part_in(folder, name)) != own
        and floor_of(target, floors) > floor_of(own, floors)
    )
    assert upward == [], f"{dotted(path)} imports a module above it in {folder}/"


@pytest.mark.parametrize(
    "path", [path for path in modules() if dotted(path).startswith("recipe.")], ids=dotted
)
def test_a_recipe_imports_no_other_recipe(path: Path) -> None:
    own = dotted(path).split(".")[1]
    others = [
        name for name in layer_imports(path) if name.startswith("recipe.") and name.split(".")[1] != own
    ]
    assert others == [], f"{dotted(path)} imports another recipe"


@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_has_the_same_shape(name: str) -> None:
    """Someone who knows one recipe knows where everything of the other is: the same file names."""
    files = {path.stem for path in (PACKAGE / "recipe" / name).glob("*.py")} - {"__init__"}
    assert files >= RECIPE_SHAPE


def test_no_module_of_the_layer_is_over_the_limit() -> None:
    lines = {dotted(path): len(path.read_text().splitlines()) for path in modules()}
    assert {name: count for name, count in lines.items() if count > MAX_MODULE_LINES} == {}


def test_no_module_imports_in_a_cycle() -> None:
    graph = {dotted(path): layer_imports(path) for path in modules()}
    cycles = [
        path
        for name in graph
        for target, path in reached(name).items()
        if target != name and target in graph and name in graph[target]
    ]
    assert cycles == []


def test_the_modules_that_must_be_pure_say_so() -> None:
    assert {dotted(path) for path in pure_modules()} >= MUST_BE_PURE


@pytest.mark.parametrize("path", pure_modules(), ids=dotted)
def test_pure_modules_do_no_io(path: Path) -> None:
    assert [name for name in imports(path) if name.split(".")[0] in NOT_PURE] == []


@pytest.mark.parametrize("path", pure_modules(), ids=dotted)
def test_pure_modules_reach_no_storage_by_any_path(path: Path) -> None:
    """Not through another module either: ``model -> refresh_tokens -> storage.table`` is I/O too."""
    paths = reached(dotted(path))
    found = [
        " -> ".join(paths[name]) for name in sorted(paths) if name.split(".")[0] in NEVER_REACHED_BY_PURE
    ]
    assert found == [], f"{dotted(path)} says it does no I/O, yet reaches: {found}"


def test_an_indirect_path_to_storage_is_found(tmp_path: Path) -> None:
    """The check fails on the path this layer had (issue 23): ``sessions/model.py`` said it did no I/O
    and imported ``refresh_tokens``, which imported ``storage.table`` (botocore)."""
    files = {
        "sessions/model.py": '"""Values (no I/O)."""\nfrom authstate.sessions.refresh_tokens import Token\n',
        "sessions/refresh_tokens.py": "from authstate.storage.table import Table\n",
        "storage/table.py": "from botocore.exceptions import ClientError\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    paths = reached("sessions.model", tmp_path)
    assert [" -> ".join(paths[name]) for name in ("storage.table", "botocore.exceptions")] == [
        "sessions.model -> sessions.refresh_tokens -> storage.table",
        "sessions.model -> sessions.refresh_tokens -> storage.table -> botocore.exceptions",
    ]


#: What the CDI never reaches: DynamoDB, the stores, the keys; it goes through the services (each
#: recipe's ``providers`` wire them; ``service`` and the session's ``jwts`` are them).
CDI_NEVER_IMPORTS = (
    "authstate.storage",
    "authstate.recipe.session.store",
    "authstate.recipe.session.key_store",
    "authstate.recipe.session.refresh_tokens",
    "authstate.recipe.usermetadata.store",
    "boto3",
    "botocore",
)
CDI_MODULES = [path for path in modules() if dotted(path).startswith("cdi.")] + [
    ROOT / "functions" / "cdi" / "app.py"
]


@pytest.mark.parametrize("path", CDI_MODULES, ids=lambda path: path.stem)
def test_the_cdi_reaches_only_the_services(path: Path) -> None:
    reached_names = [name for name in imports(path) if name.startswith(CDI_NEVER_IMPORTS)]
    assert reached_names == [], f"{path.name} reaches below the services"


def test_the_cdi_handler_is_a_few_lines() -> None:
    """Routes are declared in the layer (``authstate.cdi.routes``, one router per recipe): the function
    file is its docstring, two imports, the app and the handler."""
    statements = ast.parse((ROOT / "functions" / "cdi" / "app.py").read_text()).body
    assert len(statements) == 5
