"""What a request no route took is answered: 405 with ``Allow`` for a path the API has under other
methods, 404 ``ROUTE_NOT_FOUND`` otherwise (naming ``/cdi`` for a SuperTokens Core Driver Interface
path: an SDK whose ``connection_uri`` lacks it), all as ``{"code", "message"}`` JSON.

API Gateway sends such requests to the ``$default`` route. The API's routes (method and path template,
API Gateway form) are ``edge.api_routes``, generated from the template's HttpApi events. Besides the
``$default`` function, a route with a path parameter uses them: API Gateway hands
``GET /sessions/verify`` to ``GET /sessions/{sessionHandle}``, which answers the 405 of
``/sessions/verify`` rather than "verify is not a session handle"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property

from authstate.edge.api_routes import API_ROUTES
from authstate.errors import AuthstateError, ErrorCode


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # /users/{userId}/metadata, /cdi/{proxy+}

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.endswith("+}"):
                regex += ".+"
            elif part.startswith("{"):
                regex += "[^/]+"
            else:
                regex += re.escape(part)
        return re.compile(regex + r"\Z")


@cache
def api_routes() -> list[ApiRoute]:
    """The API's routes (``edge.api_routes``, generated from the template)."""
    return [ApiRoute(method, path) for method, path in API_ROUTES]


#: What SuperTokens' SDKs ask their core (CDI 5.4), optionally under ``/appid-<x>`` and a tenant id.
_CDI_PATH = re.compile(r"(/appid-[^/]+)?((/[^/]+)?/recipe(/.*)?|/apiversion|/hello|/user/id|/jwt/jwks\.json)")


def unrouted(method: str, path: str, routes: Iterable[ApiRoute]) -> tuple[AuthstateError, dict[str, str]]:
    """The error for ``method path`` that no route took, and its headers (``Allow`` for a 405)."""
    allowed = sorted({route.method for route in routes if route.pattern.match(path)})
    if allowed and "ANY" not in allowed:
        message = f"{path} does not take {method.upper()}; it takes {', '.join(allowed)}"
        return AuthstateError(ErrorCode.METHOD_NOT_ALLOWED, message), {"Allow": ", ".join(allowed)}
    message = f"no route {method.upper()} {path} (see /openapi.json)"
    if _CDI_PATH.fullmatch(path):
        message = (
            f"no route {method.upper()} {path}: this is a SuperTokens core path, served under /cdi;"
            " SuperTokens SDKs: point connection_uri at …/cdi (this API's URL followed by /cdi)"
        )
    return AuthstateError(ErrorCode.ROUTE_NOT_FOUND, message), {}


def literal_path_error(
    method: str, path: str, routes: Iterable[ApiRoute]
) -> tuple[AuthstateError, dict[str, str]] | None:
    """The 405 (and ``Allow``) of a path that is one of the API's literal paths, taken by another
    method: what a route with a path parameter answers when the parameter is that literal."""
    error, headers = unrouted(method, path, [route for route in routes if "{" not in route.path])
    return (error, headers) if error.code is ErrorCode.METHOD_NOT_ALLOWED else None
