"""Shared fixtures: one DynamoDB Local per test session, tables built from template.yaml."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from authstate.storage.client import items_parsed_as_json
from tests.coregen import CoreGen
from tools.bench.measure import CallCounter
from tools.localrun.dynamodb import DynamoDBLocal, client, create_tables
from tools.localrun.template import Template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


#: Directories collected only when ``-m`` selects their marker or they are named on the command line:
#: tests/browser (make test-browser; its own conftest imports Playwright, which only
#: tools/scripts/setup-browser.sh installs), tests/migration (make test-migration; the databases of
#: tools/scripts/setup-migration.sh) and tests/sambuild (make sam-build: they read what it built).
SELECTED_ONLY = {
    Path(__file__).parent / "browser": "browser",
    Path(__file__).parent / "migration": "migration",
    Path(__file__).parent / "sambuild": "sam_build",
}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A plain ``make test`` never imports the directories of :data:`SELECTED_ONLY`. Decided here,
    above them: their conftests import what only their own setup installs."""
    for directory, marker in SELECTED_ONLY.items():
        if not collection_path.is_relative_to(directory):
            continue
        named = any(Path(arg.split("::")[0]).resolve().is_relative_to(directory) for arg in config.args)
        if named or re.search(rf"(?<!not )\b{marker}\b", config.getoption("markexpr") or ""):
            return None
        return True
    return None


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load()


@pytest.fixture(scope="session")
def dynamodb_endpoint(template: Template) -> Iterator[str]:
    """DynamoDB Local with the template's tables (``DYNAMODB_ENDPOINT`` reuses a running one)."""
    existing = os.environ.get("DYNAMODB_ENDPOINT")
    if existing:
        create_tables(existing, template)
        yield existing
        return
    with DynamoDBLocal() as local:
        create_tables(local.endpoint, template)
        yield local.endpoint


@pytest.fixture(scope="session")
def rotation_dynamodb_endpoint(template: Template) -> Iterator[str]:
    """A DynamoDB Local of its own for the tests that rotate the signing keys: an emergency rotation
    retires every key of the table, which would fail the tokens of every other test's server."""
    with DynamoDBLocal() as local:
        create_tables(local.endpoint, template)
        yield local.endpoint


@pytest.fixture
def dynamodb(dynamodb_endpoint: str) -> DynamoDBClient:
    """A client configured as the layer configures its own (items decoded by ``json.loads``)."""
    return items_parsed_as_json(client(dynamodb_endpoint))


@pytest.fixture
def call_counter(dynamodb: DynamoDBClient) -> CallCounter:
    return CallCounter().attach(dynamodb)


@pytest.fixture
def table_names(template: Template) -> dict[str, str]:
    """Logical id -> table name, e.g. ``table_names["UserMetadataTable"]``."""
    return {
        logical_id: template.table_name(logical_id)
        for logical_id in template.resources("AWS::DynamoDB::Table")
    }


@pytest.fixture(scope="session")
def coregen() -> Iterator[CoreGen]:
    """The JDK-only generator of SuperTokens-core-format keys and tokens (tests/coregen)."""
    with CoreGen() as generator:
        yield generator


@pytest.fixture
def unique_id(request: pytest.FixtureRequest) -> str:
    """An id no other test uses, so tests never share data (and can run in any order)."""
    import uuid

    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:12]}"
