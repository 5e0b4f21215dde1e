"""The resolver of the CDI function: SuperTokens' Core Driver Interface under ``/cdi``.

Admission before routing, in the core's order (``webserver/WebserverAPI.java``, ``service``): the
``/cdi`` base path comes off (``connection_uri = https://<api>/cdi``); an ``/appid-<x>`` app is refused,
naming what is supported (one app per deployment); one trailing slash is allowed; a tenant route
without its tenant prefix is the public tenant's; the API key (``api-key``, ``x-api-key`` or
``Authorization: Bearer``) is checked but on the public routes; then the ``cdi-version``. A body is
read as JSON whatever its Content-Type, as the core reads it. Powertools then routes and validates
against the routes' models (``routes/``), and every error is answered from ``answers.ANSWERS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from authstate import providers
from authstate.cdi import answers, protocol
from authstate.cdi.router import STATUSES, CdiRouter
from authstate.edge.app import AuthstateResolver, decode_body, encode_path, logger, request_headers
from authstate.edge.auth import require_api_key
from authstate.errors import AuthstateError, ErrorCode

BASE_PATH: Final = "/cdi"
_ONE_APP: Final = (
    "authstate serves one app per deployment: connection_uri must be https://<api>/cdi, without "
    "/appid-<x>. Supported: CDI 5.4, the session, usermetadata and jwt recipes, tenants as "
    "/cdi/<tenantId>/recipe/..."
)


class CdiResolver(AuthstateResolver):
    def __init__(self, *routers: CdiRouter) -> None:
        super().__init__(require_key=False, strict_query=False)
        self._public: set[str] = set()
        self._unversioned: set[str] = set()
        self._tenant_routes: set[tuple[str, str]] = set()
        self._path = ""
        for router in routers:
            self.include_router(router)
            self._public |= router.public_paths
            self._unversioned |= router.unversioned_paths
            self._tenant_routes |= router.tenant_routes

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # The path as requested, for answers given before Powertools has taken the event in (it keeps
        # its current event process-wide: absent on a cold start, the previous request's when warm).
        http = event.get("requestContext", {}).get("http", {})
        self._path = str(http.get("path") or event.get("rawPath", ""))
        return super().resolve(event, context)

    def _admit(self, event: dict[str, Any]) -> dict[str, Any]:
        method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
        path = str(event.get("rawPath", "")).removeprefix(BASE_PATH) or "/"
        if path.lower().startswith("/appid-"):
            raise AuthstateError(ErrorCode.VALIDATION_ERROR, _ONE_APP)
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if (method, path) in self._tenant_routes:
            path = f"/{protocol.PUBLIC_TENANT}{path}"
        headers = request_headers(event)
        if path not in self._public:
            require_api_key(headers, providers.settings())
        refused = protocol.version_refusal(
            headers.get("cdi-version"), any_supported=path in self._unversioned
        )
        if refused is not None:
            raise AuthstateError(ErrorCode.VALIDATION_ERROR, refused)
        if decode_body(event):
            # Read as JSON whatever it says it is, as the core reads it (Powertools reads JSON only).
            event["headers"] = {**headers, "content-type": "application/json"}
        event["rawPath"] = path
        encode_path(event)
        return event

    def refusal(self, error: AuthstateError) -> Response[str]:
        route = self.context.get("_route")
        extensions = (route.openapi_extensions or {}) if route is not None else {}
        return answers.answer(error, frozenset(extensions.get(STATUSES, ())), self._requested_path())

    def _requested_path(self) -> str:
        return self._path

    def _validation_error(self, error: RequestValidationError) -> Response[str]:
        return answers.text_response(400, answers.invalid_input(error))

    def _unexpected_error(self, error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return answers.text_response(500, "internal error")


def cdi_app() -> CdiResolver:
    """The CDI: the core's own routes, then one router per recipe."""
    from authstate.cdi.routes import core, jwt, session, usermetadata

    return CdiResolver(core.router, session.router, usermetadata.router, jwt.router)
