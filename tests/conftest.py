"""Shared fixtures: one DynamoDB Local per test session, tables built from template.yaml."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from authstate.storage.client import items_parsed_as_json
from bench.measure import CallCounter
from localrun.dynamodb import DynamoDBLocal, client, create_tables
from localrun.template import Template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/browser is collected only when ``-m`` selects ``browser`` (make test-browser) or it is
    named on the command line: a plain ``make test`` never imports it (nor Playwright, which only
    scripts/setup-browser.sh installs). Decided here, above it: its own conftest imports Playwright."""
    if not collection_path.is_relative_to(BROWSER_TESTS):
        return None
    named = any(Path(arg.split("::")[0]).resolve().is_relative_to(BROWSER_TESTS) for arg in config.args)
    if named or re.search(r"(?<!not )\bbrowser\b", config.getoption("markexpr") or ""):
        return None
    return True


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


@pytest.fixture
def unique_id(request: pytest.FixtureRequest) -> str:
    """An id no other test uses, so tests never share data (and can run in any order)."""
    import uuid

    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:12]}"
