"""What a request no route took is answered: 405 with ``Allow`` for a path the API has under other
methods, 404 ``ROUTE_NOT_FOUND`` otherwise, both as ``{"code", "message"}`` JSON.

API Gateway sends such requests to the ``$default`` route. Its function gets the API's routes (method
and path template, API Gateway form) in ``API_ROUTES``; a unit test keeps that list equal to the
template's HttpApi events."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

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


def parse_routes(text: str) -> list[ApiRoute]:
    """``GET /a,POST /a/{b}`` (``API_ROUTES``)."""
    routes = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        method, _, path = entry.partition(" ")
        routes.append(ApiRoute(method.upper(), path))
    return routes


def unrouted(method: str, path: str, routes: Iterable[ApiRoute]) -> tuple[AuthstateError, dict[str, str]]:
    """The error for ``method path`` that no route took, and its headers (``Allow`` for a 405)."""
    allowed = sorted({route.method for route in routes if route.pattern.match(path)})
    if allowed and "ANY" not in allowed:
        message = f"{path} does not take {method.upper()}; it takes {', '.join(allowed)}"
        return AuthstateError(ErrorCode.METHOD_NOT_ALLOWED, message), {"Allow": ", ".join(allowed)}
    return AuthstateError(
        ErrorCode.ROUTE_NOT_FOUND, f"no route {method.upper()} {path} (see /openapi.json)"
    ), {}
