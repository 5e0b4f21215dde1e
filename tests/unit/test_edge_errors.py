"""Every exception Powertools' event handler can raise is answered as authstate's ``{"code", "message"}``
JSON with a named code, and a JSON body under any spelling of its media type is read as JSON.

Before: ``Content-Type: Application/JSON`` (or ``application/vnd.api+json``) passed authstate's own gate,
then Powertools raised ``RequestUnsupportedContentType``, which nothing mapped: 500 ``INTERNAL_ERROR``,
counted by the 5xx alarm. The resolver runs in-process here, on events as API Gateway builds them.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import aws_lambda_powertools.event_handler as event_handler
import pytest
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import DependencyResolutionError
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ForbiddenError,
    InternalServerError,
    NotFoundError,
    RequestEntityTooLargeError,
    RequestTimeoutError,
    ResponseSizeExceededError,
    ServiceError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from aws_lambda_powertools.event_handler.openapi.compat import ErrorWrapper
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    OpenAPIMergeError,
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
    SchemaValidationError,
    SerializationError,
    ValidationException,
)
from pydantic import BaseModel, ConfigDict

from authstate.edge.app import AuthstateResolver, json_response
from authstate.errors import AuthstateError, ErrorCode
from tools.localrun.gateway import Match, Target, build_event

#: The HTTP resolver's package; the AppSync resolvers' own exceptions are not raised by it.
_OTHER_RESOLVERS = ("graphql_appsync", "events_appsync", "appsync", "bedrock_agent")


def powertools_exception_classes() -> set[type[BaseException]]:
    """Every exception class defined in Powertools' event handler (HTTP resolvers)."""
    found: set[type[BaseException]] = set()
    for module_info in pkgutil.walk_packages(event_handler.__path__, f"{event_handler.__name__}."):
        if any(f".{name}" in module_info.name for name in _OTHER_RESOLVERS):
            continue
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:  # a module for an optional extra (fastjsonschema): its classes are elsewhere
            continue
        for _, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, BaseException) and member.__module__.startswith(event_handler.__name__):
                found.add(member)
    return found


def _body_error() -> list[dict[str, Any]]:
    return [{"loc": ("body", "userId"), "msg": "Field required", "type": "missing"}]


def _caused(cause: Exception) -> DependencyResolutionError:
    try:
        raise DependencyResolutionError("dependency failed") from cause
    except DependencyResolutionError as error:
        return error


#: Each class, how to make one, and what the client is answered: the caller's mistakes a named 4xx;
#: what only a bug in authstate could raise (authstate raises AuthstateError; Powertools raises these
#: only from features authstate does not use: response validation, schema middleware, ALB, merges)
#: 500 INTERNAL_ERROR, logged. A Powertools upgrade that adds a class fails here until it is placed.
CASES: dict[type[BaseException], tuple[Callable[[], Exception], int, str]] = {
    RequestValidationError: (lambda: RequestValidationError(_body_error()), 400, "VALIDATION_ERROR"),
    RequestUnsupportedContentType: (
        lambda: RequestUnsupportedContentType("Unsupported content type", errors=[]),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    BadRequestError: (lambda: BadRequestError("bad request"), 400, "VALIDATION_ERROR"),
    NotFoundError: (lambda: NotFoundError(), 404, "ROUTE_NOT_FOUND"),
    RequestEntityTooLargeError: (lambda: RequestEntityTooLargeError("too large"), 413, "BODY_TOO_LARGE"),
    DependencyResolutionError: (
        lambda: _caused(AuthstateError(ErrorCode.INVALID_USER_ID, "userId must be ...")),
        400,
        "INVALID_USER_ID",
    ),
    ServiceError: (lambda: ServiceError(500, "failed"), 500, "INTERNAL_ERROR"),
    UnauthorizedError: (lambda: UnauthorizedError("no"), 500, "INTERNAL_ERROR"),
    ForbiddenError: (lambda: ForbiddenError("no"), 500, "INTERNAL_ERROR"),
    RequestTimeoutError: (lambda: RequestTimeoutError("slow"), 500, "INTERNAL_ERROR"),
    InternalServerError: (lambda: InternalServerError("failed"), 500, "INTERNAL_ERROR"),
    ServiceUnavailableError: (lambda: ServiceUnavailableError("down"), 500, "INTERNAL_ERROR"),
    ValidationException: (lambda: ValidationException([]), 500, "INTERNAL_ERROR"),
    ResponseValidationError: (lambda: ResponseValidationError([]), 500, "INTERNAL_ERROR"),
    SchemaValidationError: (lambda: SchemaValidationError([]), 500, "INTERNAL_ERROR"),
    SerializationError: (lambda: SerializationError("cannot"), 500, "INTERNAL_ERROR"),
    OpenAPIMergeError: (lambda: OpenAPIMergeError("conflict"), 500, "INTERNAL_ERROR"),
    ErrorWrapper: (lambda: ErrorWrapper(ValueError("x"), ("body",)), 500, "INTERNAL_ERROR"),
    ResponseSizeExceededError: (
        lambda: ResponseSizeExceededError(actual_size=2, max_size=1),
        500,
        "INTERNAL_ERROR",
    ),
}


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    userId: str


_raising: list[Exception] = []
app = AuthstateResolver(require_key=False)


@app.post("/raise")
def raise_it() -> Response[str]:
    raise _raising[0]


@app.post("/echo")
def echo(request: Echo) -> Response[str]:
    return json_response(200, {"userId": request.userId})


@app.get("/echo")
def read() -> Response[str]:
    return json_response(200, {"read": True})


def invoke(
    method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None, query: str = ""
) -> tuple[int, dict[str, Any]]:
    event = build_event(
        method, Target(path, query), headers or {}, body.encode(), Match("Test", f"{method} {path}", {})
    )
    response = app.resolve(event, None)  # type: ignore[arg-type]  # no Lambda context needed
    return int(response["statusCode"]), json.loads(response["body"])


@pytest.fixture
def raising() -> Iterator[Callable[[Exception], tuple[int, dict[str, Any]]]]:
    def run(error: Exception) -> tuple[int, dict[str, Any]]:
        _raising[:] = [error]
        return invoke("POST", "/raise", body="{}", headers={"content-type": "application/json"})

    yield run
    _raising.clear()


def test_every_exception_class_of_the_event_handler_is_placed() -> None:
    assert {cls.__qualname__ for cls in powertools_exception_classes()} == {cls.__qualname__ for cls in CASES}


@pytest.mark.parametrize("cls", list(CASES), ids=lambda cls: cls.__name__)
def test_each_is_answered_with_a_named_code(
    cls: type[Exception], raising: Callable[[Exception], tuple[int, dict[str, Any]]]
) -> None:
    make, status, code = CASES[cls]
    error = make()
    assert type(error) is cls
    answered, body = raising(error)
    assert (answered, body["code"]) == (status, code)
    assert set(body) == {"code", "message"}
    assert ErrorCode[body["code"]].status == answered


JSON_SPELLINGS = [
    "application/json",
    "Application/JSON",
    "APPLICATION/JSON",
    "application/json; charset=UTF-8",
    "application/vnd.api+json",
    "application/merge-patch+json",
    "Application/Problem+JSON ; charset=utf-8",
]


@pytest.mark.parametrize("content_type", JSON_SPELLINGS)
def test_a_json_body_is_json_under_any_spelling_of_its_media_type(content_type: str) -> None:
    answered = invoke("POST", "/echo", body='{"userId":"alice"}', headers={"content-type": content_type})
    assert answered == (200, {"userId": "alice"})


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"userId":"alice"}'),
        ("text/plain", ""),  # no body: was a 500 (Powertools' RequestUnsupportedContentType)
        ("multipart/form-data", ""),  # was a 500 (a ValueError: no boundary)
        ("application/x-www-form-urlencoded", ""),
        ("application/jsonx", '{"userId":"alice"}'),
        ("text/json+xml", '{"userId":"alice"}'),
    ],
)
def test_any_other_media_type_is_415(content_type: str, body: str) -> None:
    assert invoke("POST", "/echo", body=body, headers={"content-type": content_type}) == (
        415,
        {
            "code": "UNSUPPORTED_MEDIA_TYPE",
            "message": "the request body must be JSON: send Content-Type: application/json",
        },
    )


def test_a_read_ignores_the_media_type_of_a_body_it_does_not_take() -> None:
    assert invoke("GET", "/echo", headers={"content-type": "text/plain"}) == (200, {"read": True})


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("/echo", "tenant=public", "unknown query parameter `tenant`: GET /echo takes none"),
        ("/echo", "b=1&a=2", "unknown query parameter `a`, `b`: GET /echo takes none"),
    ],
)
def test_an_unknown_query_parameter_is_a_named_400(path: str, query: str, message: str) -> None:
    assert invoke("GET", path, query=query) == (400, {"code": "UNKNOWN_QUERY_PARAMETER", "message": message})
