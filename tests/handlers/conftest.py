"""The in-process tier, between the unit tests (no network) and the HTTP tests (the local server): each
function's own ``lambda_handler``, loaded from its ``functions/<name>/app.py`` as Lambda loads it, called
in this process on API Gateway events against DynamoDB Local. No server, no subprocess: an event takes
milliseconds. The services come through Powertools' dependency overrides (``app.dependency_overrides``):
the same wiring as in Lambda (each recipe's ``providers``), on a clock the test moves, and signing keys and a
core key of this test run's own partitions (the shared DynamoDB Local serves other tests' servers too)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from authstate import providers
from authstate.config import Settings
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.jwts import JwtSigner
from authstate.recipe.session.key_store import load_mac_key
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.usermetadata import providers as metadata_providers
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from tests.clock import ManualClock
from tools.localrun.events import EventCase, error_code, response_body
from tools.localrun.runtime import (
    DEFAULT_API_KEY,
    UNSET_LOCALLY,
    LambdaContext,
    lambda_environment,
    load_module,
)
from tools.localrun.template import Template

#: Every provider the functions take through ``Depends``.
PROVIDERS = (
    providers.settings,
    providers.clock,
    metadata_providers.user_metadata,
    session_providers.sessions,
    session_providers.verifying_sessions,
    session_providers.verifying_keyring,
    session_providers.jwt_signer,
)


@dataclass
class TestServices:
    """What the overrides hand out: built once per test, as a warm Lambda builds them once."""

    config: Settings
    clock: ManualClock
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        keys = f"handlers-keys-{self.run}"
        signing = session_providers.keyring(self.config, can_sign=True, partition=keys)
        self.verifying = session_providers.keyring(self.config, can_sign=False, partition=keys)
        table = providers.table(self.config.signing_keys_table)
        codec = cache(lambda: RefreshTokenCodec(load_mac_key(table, f"handlers-mac-{self.run}")))
        core = f"handlers-core-{self.run}"
        self.sessions = session_providers.build_sessions(
            self.config, signing, codec, self.clock, core_key_partition=core
        )
        self.verifying_sessions = session_providers.build_sessions(
            self.config, self.verifying, codec, self.clock, core_key_partition=core
        )
        metadata_table = providers.table(self.config.user_metadata_table)
        self.metadata = UserMetadata(MetadataStore(metadata_table, sleep=self.clock.sleep))
        self.jwt = JwtSigner(signing, self.clock)

    def overrides(self) -> dict[Callable[..., Any], Callable[[], Any]]:
        return {
            providers.settings: lambda: self.config,
            providers.clock: lambda: self.clock,
            metadata_providers.user_metadata: lambda: self.metadata,
            session_providers.sessions: lambda: self.sessions,
            session_providers.verifying_sessions: lambda: self.verifying_sessions,
            session_providers.verifying_keyring: lambda: self.verifying,
            session_providers.jwt_signer: lambda: self.jwt,
        }


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        return error_code(self.body) if self.status >= 400 else None


class Handlers:
    """Every function of the template with a route, its handler loaded once in this process."""

    def __init__(self, template: Template) -> None:
        self._template = template
        self._modules: dict[str, Any] = {}
        self.services: TestServices | None = None

    def module(self, function: str) -> Any:
        if function not in self._modules:
            self._modules[function] = load_module(self._template.function(function))
        module = self._modules[function]
        module.app.dependency_overrides.clear()
        if self.services is not None:
            module.app.dependency_overrides.update(self.services.overrides())
        return module

    def invoke(self, function: str, event: dict[str, Any]) -> Answer:
        context = LambdaContext(function_name=function, deadline_ms=2**62)
        response = self.module(function).lambda_handler(event, context)
        return Answer(response["statusCode"], response_body(response), dict(response.get("headers", {})))

    def invoke_case(self, case: EventCase, *, body: Any = None, path: str | None = None) -> Answer:
        """The event of ``case``; ``body``: a JSON body in place of its own; ``path``: another path of
        the same route (its parameters follow, as API Gateway fills them)."""
        event = json.loads(case.path.read_text())
        if body is not None:
            event["body"] = json.dumps(body)
        if path is not None:
            route = event["routeKey"].split(" ", 1)[1]
            event["rawPath"] = event["requestContext"]["http"]["path"] = path
            event["pathParameters"] = _parameters(route, path)
        return self.invoke(case.function, event)

    def close(self) -> None:
        for module in self._modules.values():
            module.app.dependency_overrides.clear()


def _parameters(route: str, path: str) -> dict[str, str]:
    """``{"sessionHandle": "…"}`` of ``/sessions/…`` for the route ``/sessions/{sessionHandle}``."""
    return {
        name[1:-1]: value
        for name, value in zip(route.split("/"), path.split("/"), strict=True)
        if name.startswith("{")
    }


@pytest.fixture(scope="package")
def lambda_env(template: Template, dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    """This process's environment as a function's in Lambda (the events' API key), for these tests
    only (restored after them); the providers' caches emptied before and
    after, so nothing leaks."""
    environment = lambda_environment(template, dynamodb_endpoint, DEFAULT_API_KEY)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        for name in UNSET_LOCALLY:
            patch.delenv(name, raising=False)
        _forget_services()
        yield environment
        _forget_services()


def _forget_services() -> None:
    for provider in (*PROVIDERS, session_providers.signing_keyring, session_providers.refresh_token_codec):
        provider.cache_clear()


@pytest.fixture(scope="package")
def loaded(template: Template, lambda_env: dict[str, str]) -> Iterator[Handlers]:
    handlers = Handlers(template)
    yield handlers
    handlers.close()


@pytest.fixture
def handlers(loaded: Handlers, lambda_env: dict[str, str]) -> Iterator[Handlers]:
    """The handlers, on services of this test's own: a fresh clock (now), keys of their own."""
    loaded.services = TestServices(Settings.from_environment(lambda_env), ManualClock())
    try:
        yield loaded
    finally:
        loaded.services = None
