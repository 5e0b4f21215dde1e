"""The API's OpenAPI 3.1 document, built by Powertools from the functions themselves.

Every function of template.yaml declares its routes, parameters, request and response models and
documented errors once, in its ``app.py``; Powertools' OpenAPI merge reads each of them and joins their
schemas. What Powertools adds that this API never answers (its 422 validation response: validation
errors are 400 ``{"code", "message"}`` here) is taken out.
Not part of the deployed layer: the local server serves it at /openapi.json, tests check it.
"""

from __future__ import annotations

import json
import sys
import warnings
from functools import cache
from typing import Any

from localrun.template import FunctionSpec, Template

TITLE = "authstate"
VERSION = "0.2.0"
API_KEY_SCHEME = "ApiKeyAuth"
X_API_KEY_SCHEME = "XApiKeyAuth"
BEARER_SCHEME = "BearerAuth"
CDI_PREFIX = "/cdi/"
_POWERTOOLS_ONLY_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def documented_functions(template: Template) -> list[FunctionSpec]:
    """Every function but the CDI's (under /cdi/: SuperTokens' Core Driver Interface, which SuperTokens
    documents), the $default route's (it answers for no route: 404 and 405) and those with no route at
    all (invoked directly with IAM, e.g. the key rotation)."""
    return [
        spec
        for spec in template.functions()
        if not all(route.path.startswith(CDI_PREFIX) or route.path == "$default" for route in spec.routes)
    ]


def build_openapi(template: Template | None = None) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBearer

    template = template or Template.load()
    for layer in template.layer_dirs():
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        description=(
            "Sessions with custom access-token claims, session data and user metadata. Every route but "
            "the JWKS needs the API key (`api-key`, `x-api-key` or `Authorization: Bearer`). Errors are "
            '`{"code", "message"}` JSON; each response lists the codes it can carry.'
        ),
        security_schemes={
            API_KEY_SCHEME: APIKey.model_validate({"type": "apiKey", "in": "header", "name": "api-key"}),
            X_API_KEY_SCHEME: APIKey.model_validate({"type": "apiKey", "in": "header", "name": "x-api-key"}),
            BEARER_SCHEME: HTTPBearer(description="The API key as a bearer token"),
        },
        security=[{API_KEY_SCHEME: []}, {X_API_KEY_SCHEME: []}, {BEARER_SCHEME: []}],
        on_conflict="error",
    )
    for spec in documented_functions(template):
        merge.add_file(spec.code_dir / f"{spec.handler.rpartition('.')[0]}.py", resolver_name="app")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a function that fails to load must fail the build, not vanish
        document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if "204" in responses:  # no body (Powertools gives every response the return type's schema)
                responses["204"].pop("content", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in _POWERTOOLS_ONLY_SCHEMAS:
        schemas.pop(name, None)
    return document


@cache
def openapi_json() -> bytes:
    return json.dumps(build_openapi(), ensure_ascii=False).encode()
