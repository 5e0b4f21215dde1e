"""The OpenAPI document Powertools builds from the functions cannot drift from template.yaml, documents
every error code, and is valid OpenAPI 3.1. Routes are declared once, in each function; the template
holds their events; this keeps the two equal (through public APIs only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from authstate.errors import ErrorCode
from tools.localrun.openapi import build_cdi_openapi, build_openapi, documented_functions
from tools.localrun.runtime import load_module
from tools.localrun.template import ROOT, Template

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@cache
def _template() -> Template:
    return Template.load()


@cache
def _app_module(logical_id: str) -> ModuleType:
    """The function's ``app.py``, loaded as the local runner loads it (a fresh module instance)."""
    return load_module(_template().function(logical_id))


def _template_routes(logical_id: str) -> set[tuple[str, str]]:
    return {(route.method.lower(), route.path) for route in _template().function(logical_id).routes}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


DOCUMENTED = [spec.logical_id for spec in documented_functions(_template())]


def test_only_the_cdi_default_and_direct_functions_are_left_out_of_the_document() -> None:
    """The CDI function answers SuperTokens' protocol under /cdi/{proxy+} (tests/e2e/test_cdi.py); the
    $default one answers for no route (tests/e2e/test_unrouted.py); the key rotation has no route at all
    (invoked directly with IAM: tests/e2e/test_key_rotation.py)."""
    left_out = {spec.logical_id for spec in _template().functions()} - set(DOCUMENTED)
    assert left_out == {"CdiFunction", "UnroutedFunction", "RotateSigningKeysFunction"}
    assert _template_routes("CdiFunction") == {("any", "/cdi/{proxy+}")}
    assert _template_routes("UnroutedFunction") == {("any", "$default")}
    assert _template_routes("RotateSigningKeysFunction") == set()


@pytest.mark.parametrize("logical_id", DOCUMENTED)
def test_each_function_declares_exactly_its_template_routes(logical_id: str) -> None:
    schema = _app_module(logical_id).app.get_openapi_schema()
    declared = {
        (method, path) for path, item in schema.paths.items() for method in item.model_dump(exclude_none=True)
    }
    assert declared == _template_routes(logical_id)


def test_the_document_has_every_route_of_the_template_once(document: dict[str, Any]) -> None:
    documented = [(method, path) for path, method, _ in _operations(document)]
    template = [
        (route.method.lower(), route.path)
        for spec in documented_functions(_template())
        for route in spec.routes
    ]
    assert sorted(documented) == sorted(template)


@pytest.mark.parametrize("logical_id", DOCUMENTED)
def test_security_follows_what_each_function_requires(document: dict[str, Any], logical_id: str) -> None:
    needs_key = _app_module(logical_id).app.requires_api_key
    for method, path in _template_routes(logical_id):
        operation = document["paths"][path][method]
        assert ("security" not in operation) == needs_key, (method, path)
        assert ("401" in operation["responses"]) == needs_key, (method, path)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_document_structure(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    operation_ids = []
    for path, method, operation in _operations(document):
        assert method in METHODS
        operation_ids.append(operation["operationId"])
        names = re.findall(r"\{([^}]+)\}", path)
        parameters = operation.get("parameters", [])
        assert sorted(p["name"] for p in parameters if p["in"] == "path") == sorted(names)
        statuses = set(operation["responses"])
        assert "422" not in statuses, (path, method)
        assert any(status.startswith("2") for status in statuses)
        assert "500" in statuses
        for status, response in operation["responses"].items():
            if status == "204":
                assert "content" not in response
                continue
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert (ref == "#/components/schemas/ErrorResponse") == (int(status) >= 400), (
                path,
                method,
                status,
            )
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses
    assert len(operation_ids) == len(set(operation_ids))


def test_document_validates_against_the_openapi_31_meta_schema(document: dict[str, Any]) -> None:
    """With the OpenAPI 3.1 schema schemathesis ships, and every component as a 2020-12 schema."""
    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    errors = [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    import openapi_spec_validator

    openapi_spec_validator.validate(document)


def _documented_codes(document: dict[str, Any]) -> dict[str, set[int]]:
    codes: dict[str, set[int]] = {}
    for _, _, operation in _operations(document):
        for status, response in operation["responses"].items():
            for code in re.findall(r"`([A-Z0-9_]+)`", response["description"]):
                codes.setdefault(code, set()).add(int(status))
    return codes


def test_every_code_a_route_documents_is_under_its_own_status(document: dict[str, Any]) -> None:
    for code, statuses in _documented_codes(document).items():
        assert statuses == {ErrorCode[code].status}, code


def test_every_error_code_is_documented_by_some_route(document: dict[str, Any]) -> None:
    """ROUTE_NOT_FOUND and METHOD_NOT_ALLOWED are the $default route's (answered for no route)."""
    assert set(_documented_codes(document)) | {"ROUTE_NOT_FOUND", "METHOD_NOT_ALLOWED"} == set(ErrorCode)


def _readme_error_table() -> list[tuple[int, str, str]]:
    text = Path(ROOT / "README.md").read_text()
    section = text.split("\n## Errors\n", 1)[1]
    rows = re.findall(r"^\| (\d{3}) \| `([A-Z0-9_]+)` \| (.+) \|$", section, flags=re.MULTILINE)
    return [(int(status), code, when) for status, code, when in rows]


def test_the_readme_error_table_is_exactly_the_error_codes() -> None:
    """Every code, once, with its status and its description (``ErrorCode.when``), in the enum's order."""
    expected = [(code.status, str(code), code.when) for code in ErrorCode]
    assert _readme_error_table() == expected


# -- the CDI's own document -------------------------------------------------------------------------

CDI_OPERATIONS = {
    ("get", "/apiversion"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/user/id"),
    *(("get", "/hello"), ("post", "/hello"), ("put", "/hello"), ("delete", "/hello")),
    ("post", "/recipe/session"),
    ("post", "/{tenantId}/recipe/session"),
    ("post", "/recipe/session/verify"),
    ("post", "/recipe/session/refresh"),
    ("post", "/recipe/session/regenerate"),
    ("get", "/recipe/session"),
    ("put", "/recipe/session/data"),
    ("put", "/recipe/jwt/data"),
    ("get", "/recipe/session/user"),
    ("get", "/{tenantId}/recipe/session/user"),
    ("post", "/recipe/session/remove"),
    ("post", "/{tenantId}/recipe/session/remove"),
    ("get", "/recipe/user/metadata"),
    ("put", "/recipe/user/metadata"),
    ("post", "/recipe/user/metadata/remove"),
    ("post", "/recipe/jwt"),
    ("get", "/recipe/jwt/jwks"),
}


@pytest.fixture(scope="module")
def cdi_document() -> dict[str, Any]:
    return build_cdi_openapi()


def test_the_cdi_document_has_each_route_once(cdi_document: dict[str, Any]) -> None:
    """Every request of docs/cdi-requests.md, declared once in authstate/cdi/routes; a route a tenant
    may prefix is documented in both forms, the unprefixed one being the public tenant's."""
    operations = [(method, path) for path, method, _ in _operations(cdi_document)]
    assert sorted(operations) == sorted(CDI_OPERATIONS)
    assert cdi_document["servers"] == [{"url": "/cdi"}]


def test_the_cdi_document_validates_as_openapi_31(cdi_document: dict[str, Any]) -> None:
    import jsonschema_rs
    import openapi_spec_validator
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(cdi_document)] == []
    openapi_spec_validator.validate(cdi_document)
    for name, schema in cdi_document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_cdi_errors_are_plain_text_and_refusals_are_200s(cdi_document: dict[str, Any]) -> None:
    for path, method, operation in _operations(cdi_document):
        responses = operation["responses"]
        assert {"200", "400", "500", "503"} <= set(responses), (method, path)
        assert "422" not in responses
        assert ("401" in responses) == (path not in {"/hello", "/.well-known/jwks.json"}), (method, path)
        for status, response in responses.items():
            content = set(response["content"])
            if status in ("200", "404"):
                assert content <= {"application/json", "text/plain; charset=utf-8"}
            else:
                assert content == {"text/plain; charset=utf-8"}, (method, path, status)
    verify = cdi_document["paths"]["/recipe/session/verify"]["post"]
    assert verify["x-cdi-statuses"] == ["OK", "UNAUTHORISED", "TRY_REFRESH_TOKEN"]
