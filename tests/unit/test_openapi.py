"""The route catalogue (authstate.openapi) cannot drift from template.yaml or from the handlers, and
the document generated from it is valid OpenAPI 3.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import pytest

from authstate.openapi import PATH_PARAMETERS, ROUTES, Route, build_openapi
from localrun.runtime import load_module
from localrun.template import Template

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@cache
def _template() -> Template:
    return Template.load()


@cache
def _app_module(logical_id: str) -> ModuleType:
    """The function's ``app.py``, loaded as the local runner loads it (a fresh module instance)."""
    return load_module(_template().function(logical_id))


def _registered_routes(logical_id: str) -> set[tuple[str, str]]:
    app = _app_module(logical_id).app
    return {(route.method, route.path) for route in [*app._static_routes, *app._dynamic_routes]}


def test_catalogue_equals_the_template_http_api_events() -> None:
    template_routes = {
        (route.method, route.path, spec.logical_id)
        for spec in _template().functions()
        for route in spec.routes
    }
    catalogue = [(route.method, route.path, route.function) for route in ROUTES]
    assert len(catalogue) == len(set(catalogue)), "a route is listed twice"
    assert set(catalogue) == template_routes


@pytest.mark.parametrize("logical_id", sorted({route.function for route in ROUTES}))
def test_each_function_registers_exactly_its_catalogue_routes(logical_id: str) -> None:
    expected = {(route.method, route.powertools_rule) for route in ROUTES if route.function == logical_id}
    assert _registered_routes(logical_id) == expected


@pytest.mark.parametrize("logical_id", sorted({route.function for route in ROUTES}))
def test_api_key_requirement_matches_the_catalogue(logical_id: str) -> None:
    app = _app_module(logical_id).app
    needs_key = {route.api_key for route in ROUTES if route.function == logical_id}
    assert needs_key == {bool(app._router_middlewares)}


def _synthetic_event(route: Route) -> dict[str, Any]:
    values = {"userId": "user-1", "sessionHandle": "286956d5-6135-4ae9-b41a-2cb2ff73aca0"}
    path = route.path
    for name in route.path_parameter_names:
        path = path.replace(f"{{{name}}}", values[name])
    return {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "pathParameters": {name: values[name] for name in route.path_parameter_names} or None,
        "requestContext": {
            "http": {"method": route.method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "test",
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize("route", [r for r in ROUTES if r.api_key], ids=lambda r: f"{r.method} {r.path}")
def test_each_catalogue_route_reaches_its_handler(route: Route) -> None:
    """Routed by the function's own resolver (not ROUTE_NOT_FOUND): the API-key check answers first."""
    response = _app_module(route.function).app.resolve(_synthetic_event(route), None)
    assert response["statusCode"] == 401, response
    assert '"code":"MISSING_API_KEY"' in response["body"]


# -- the document ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi()


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
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    assert "$defs" not in str(document), "a $defs reference was left behind"
    operation_ids = []
    operations = 0
    for path, item in document["paths"].items():
        names = re.findall(r"\{([^}]+)\}", path)
        for method, operation in item.items():
            assert method in METHODS
            operations += 1
            operation_ids.append(operation["operationId"])
            parameters = operation.get("parameters", [])
            assert sorted(p["name"] for p in parameters if p["in"] == "path") == sorted(names)
            assert all(p["required"] for p in parameters if p["in"] == "path")
            statuses = set(operation["responses"])
            assert any(status.startswith("2") for status in statuses)
            assert {"500"} <= statuses
            error_ref = "#/components/schemas/ErrorResponse"
            for status, response in operation["responses"].items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert (ref == error_ref) == (int(status) >= 400), (path, method, status)
            if operation.get("security") == []:
                assert "401" not in statuses
            else:
                assert "401" in statuses
            if "requestBody" in operation:
                assert {"400", "413"} <= statuses
    assert operations == len(ROUTES)
    assert len(operation_ids) == len(set(operation_ids))
    assert set(PATH_PARAMETERS) == {name for route in ROUTES for name in route.path_parameter_names}


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


def test_error_codes_are_documented_per_status(document: dict[str, Any]) -> None:
    create = document["paths"]["/sessions"]["post"]["responses"]
    assert "PROTECTED_CLAIM" in create["400"]["description"]
    assert "ACCESS_TOKEN_PAYLOAD_TOO_LARGE" in create["413"]["description"]
    assert (
        "TOKEN_THEFT_DETECTED"
        in document["paths"]["/sessions/refresh"]["post"]["responses"]["401"]["description"]
    )
