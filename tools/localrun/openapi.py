"""The API's OpenAPI 3.1 documents, built by Powertools from the functions themselves: the native API's,
and the Core Driver Interface's (SuperTokens' protocol under /cdi, for its SDKs).

Every function of template.yaml declares its routes, parameters, request and response models and
documented errors once, in its ``app.py``; Powertools' OpenAPI merge reads each of them and joins their
schemas. What Powertools adds that this API never answers (its 422 validation response: validation
errors are 400 here) is taken out. Not part of the deployed layer: the local server serves the API's at
/openapi.json, ``make openapi`` writes both, tests check them and schemathesis fuzzes both.
"""

from __future__ import annotations

import json
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Any

from tools.localrun.template import FunctionSpec, Template

TITLE = "authstate"
VERSION = "0.2.0"
API_KEY_SCHEME = "ApiKeyAuth"
X_API_KEY_SCHEME = "XApiKeyAuth"
BEARER_SCHEME = "BearerAuth"
CDI_PREFIX = "/cdi/"
CDI_FUNCTION = "CdiFunction"
TENANT_PREFIX = "/{tenantId}"
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
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBearer

    template = template or Template.load()
    return _document(
        documented_functions(template),
        template,
        title=TITLE,
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
    )


def build_cdi_openapi(template: Template | None = None) -> dict[str, Any]:
    """The CDI function's own document (SuperTokens' Core Driver Interface 5.4 as authstate answers it),
    from the same declarations, under the server ``/cdi``. A route a tenant may prefix is declared as
    ``/{tenantId}/recipe/...``; its unprefixed form (the public tenant's) is added beside it."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBearer, Server

    template = template or Template.load()
    document = _document(
        [template.function(CDI_FUNCTION)],
        template,
        title=f"{TITLE}: SuperTokens Core Driver Interface",
        description=(
            "CDI 5.4 for the unmodified SuperTokens backend SDKs (`connection_uri = https://<api>/cdi`): "
            "the session, user-metadata and JWT recipes. A 200 refusal is told by its `status`; any other "
            "error is plain text. Every route but hello and the JWKS needs the API key (`api-key` or "
            "`Authorization: Bearer`); the SDKs send `cdi-version: 5.4`."
        ),
        servers=[Server(url=CDI_PREFIX.rstrip("/"))],
        security_schemes={
            API_KEY_SCHEME: APIKey.model_validate({"type": "apiKey", "in": "header", "name": "api-key"}),
            BEARER_SCHEME: HTTPBearer(description="The API key as a bearer token"),
        },
        security=[{API_KEY_SCHEME: []}, {BEARER_SCHEME: []}],
    )
    paths = document["paths"]
    for path in [path for path in paths if path.startswith(TENANT_PREFIX)]:
        public: dict[str, Any] = {}
        for method, operation in paths[path].items():
            public[method] = {
                **operation,
                "operationId": f"{operation['operationId']}_public",
                "parameters": [p for p in operation.get("parameters", []) if p["name"] != "tenantId"],
            }
            if not public[method]["parameters"]:
                del public[method]["parameters"]
        paths.setdefault(path.removeprefix(TENANT_PREFIX), {}).update(public)
    document["paths"] = dict(sorted(paths.items()))
    return document


def _document(functions: list[FunctionSpec], template: Template, **settings: Any) -> dict[str, Any]:
    """Powertools' OpenAPI merge of these functions, less what Powertools adds that they never answer
    (its 422 validation response: they answer 400)."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    for layer in template.layer_dirs():
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    merge = OpenAPIMerge(version=VERSION, openapi_version="3.1.0", on_conflict="error", **settings)
    for spec in functions:
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


def write_documents(directory: Path) -> list[Path]:
    """``make openapi``: the API's document and the CDI's, as files."""
    written = []
    for name, document in (("openapi.json", build_openapi()), ("cdi-openapi.json", build_cdi_openapi())):
        path = directory / name
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
