"""A Powertools Router whose routes are declared with their CDI answer: the 200 body's model (whose
``status`` values are what a refusal may become on this route, ``answers``), the plain-text errors the
route documents, and what admission needs before routing (no API key, any cdi-version, a tenant prefix).
Every route of the CDI is declared through :meth:`CdiRouter.answers`, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from authstate.cdi import answers

#: The route extension that lists the statuses a route answers (read back when an error is answered).
STATUSES: Final = "x-cdi-statuses"
TENANT_PREFIX: Final = "/<tenantId>"


class CdiRouter(Router):
    def __init__(self, tag: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tag = tag
        #: Paths any caller may use, without the API key (the SDKs fetch the JWKS with no header).
        self.public_paths: set[str] = set()
        #: Paths that take any cdi-version up to 5.4 (the core's ``versionNeeded() == false``).
        self.unversioned_paths: set[str] = set()
        #: (method, path) of routes that a tenant may prefix (``/<tenantId>/recipe/...``); without the
        #: prefix the tenant is public.
        self.tenant_routes: set[tuple[str, str]] = set()

    def answers(
        self,
        method: str | list[str],
        rule: str,
        *,
        answer: type[BaseModel] | None,
        summary: str,
        description: str | None = None,
        public: bool = False,
        versioned: bool = True,
        tenant: bool = False,
        body: bool = False,
        storage: bool = True,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        methods = [method] if isinstance(method, str) else method
        if public:
            self.public_paths.add(rule)
        if not versioned:
            self.unversioned_paths.add(rule)
        if tenant:
            self.tenant_routes.update((each, rule) for each in methods)
        extensions: dict[str, Any] = {STATUSES: answers.statuses(answer)}
        if public:
            extensions["security"] = []
        return self.route(
            TENANT_PREFIX + rule if tenant else rule,
            methods,
            summary=summary,
            description=description,
            tags=[self.tag],
            responses=answers.documented(answer, public=public, body=body, storage=storage, tenant=tenant),
            openapi_extensions=extensions,
        )
