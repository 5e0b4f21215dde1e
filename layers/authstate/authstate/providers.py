"""What every recipe's providers share, built once per warm Lambda: the validated settings, the clock, a
table. The services themselves are each recipe's ``providers`` (``recipe.session.providers``,
``recipe.usermetadata.providers``); handlers get them through Powertools' ``Depends`` (so tests override
them with ``app.dependency_overrides``); ``tools/bench`` and tests build their own from these.

Nothing here runs at import: the settings are read, and boto3 is imported, on the first request. The
providers are the only code that reads the environment. Annotations are real types, not strings (no
``from __future__ import annotations``): Powertools reads the providers' type hints on every request,
and strings would be compiled and evaluated each time."""

from functools import cache

from authstate.clock import Clock
from authstate.config import Settings
from authstate.storage.client import dynamodb_client
from authstate.storage.table import Table


@cache
def settings() -> Settings:
    return Settings.from_environment()


@cache
def clock() -> Clock:
    """The one clock every service reads and every retry waits on (the local runner's tests move it)."""
    return Clock()


def table(name: str) -> Table:
    return Table(name, dynamodb_client)
