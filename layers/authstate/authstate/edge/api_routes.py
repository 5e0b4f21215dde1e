"""The API's routes (method, path in API Gateway's form): generated from template.yaml's
HttpApi events by ``make routes`` (``tools/api_routes.py``); do not edit. A unit test fails while it
differs from the template."""

from typing import Final

API_ROUTES: Final[tuple[tuple[str, str], ...]] = (
    ("GET", "/.well-known/jwks.json"),
    ("ANY", "/cdi/{proxy+}"),
    ("POST", "/sessions"),
    ("PATCH", "/sessions/data"),
    ("PUT", "/sessions/data"),
    ("POST", "/sessions/merge"),
    ("POST", "/sessions/refresh"),
    ("POST", "/sessions/verify"),
    ("DELETE", "/sessions/{sessionHandle}"),
    ("GET", "/sessions/{sessionHandle}"),
    ("GET", "/sessions/{sessionHandle}/data"),
    ("PATCH", "/sessions/{sessionHandle}/data"),
    ("PUT", "/sessions/{sessionHandle}/data"),
    ("PATCH", "/sessions/{sessionHandle}/payload"),
    ("DELETE", "/users/{userId}/metadata"),
    ("GET", "/users/{userId}/metadata"),
    ("PATCH", "/users/{userId}/metadata"),
    ("DELETE", "/users/{userId}/sessions"),
    ("GET", "/users/{userId}/sessions"),
)
