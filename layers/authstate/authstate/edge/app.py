"""The resolver every function uses, and its Lambda entry point.

Before routing, the envelope is admitted (:meth:`AuthstateResolver.resolve`): the API key first, so a
caller without one learns nothing else; then the body (base64, UTF-8, size, a JSON Content-Type, whose
spelling is then made the one Powertools reads) and the path (characters Powertools' router does not
match are percent-encoded, as a browser would). Powertools then routes, validates parameters and
bodies against the handler's pydantic models, refuses query parameters the route does not declare,
and calls the handler. Every error, whatever raised it, is answered as ``{"code", "message"}`` JSON
with its code's status, never a stack trace: client errors are logged at DEBUG only (the access log
has their status), failures at ERROR.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from functools import cache
from re import Match
from typing import Any, cast
from urllib.parse import quote, unquote

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types, depends
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from authstate import providers
from authstate.documents.jsondoc import dumps, parse_body
from authstate.edge.auth import require_api_key
from authstate.edge.unrouted import api_routes, literal_path_error
from authstate.errors import AuthstateError, ErrorCode, InternalError
from authstate.identifiers import SESSION_HANDLE_EXAMPLE, TENANT_ID_RULE, USER_ID_RULE, looks_like_jwt
from authstate.limits import MAX_BODY_BYTES
from authstate.recipe.session.refresh_tokens import access_token_as_refresh_token

logger = Logger()
metrics = Metrics()

type Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

#: Characters Powertools' route parameters match (RFC 3986 unreserved, sub-delims, ":@%" and a few
#: more); anything else in a path is percent-encoded before routing, as API Gateway's clients do.
_PATH_SAFE = "/-._~()'!*:@,;=+&$%"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NOT_JSON = "the request body must be JSON: send Content-Type: application/json"
#: Powertools' HTTP errors, should one be raised: the code of their status (any other is a bug: 500).
_SERVICE_ERRORS: Mapping[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    404: ErrorCode.ROUTE_NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
#: What each parameter must be, for the error that names it.
_PARAMETER_ERRORS: Mapping[tuple[str, str], tuple[ErrorCode, str]] = {
    ("path", "userId"): (ErrorCode.INVALID_USER_ID, f"userId must be {USER_ID_RULE}"),
    ("path", "sessionHandle"): (
        ErrorCode.INVALID_SESSION_HANDLE,
        f"sessionHandle must be a session handle: a lower-case UUID such as {SESSION_HANDLE_EXAMPLE}",
    ),
    ("query", "tenantId"): (ErrorCode.INVALID_TENANT_ID, f"tenantId must be {TENANT_ID_RULE}"),
}


def _build_dependency_trees_once() -> None:
    """Powertools (3.37) rebuilds a route's ``Depends()`` tree from the functions' type hints on every
    request (``depends.build_dependency_tree``, looked up in its module at each call): about 0.1 ms of
    a warm request's 0.5 ms of overhead. A tree depends only on annotations, which do not change, so
    it is built once per function. Overrides (``app.dependency_overrides``) are applied when the tree
    is solved, per request, so they still work (tests/unit/test_edge_dependencies.py)."""
    if not hasattr(depends.build_dependency_tree, "cache_info"):
        depends.build_dependency_tree = cache(depends.build_dependency_tree)


_build_dependency_trees_once()


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=dumps(body),
        headers=dict(headers or {}),
    )


def respond(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response[str]:
    """A response model as the response body: serialized once, by ``jsondoc.dumps`` (documents' stored
    texts and exact numbers pass through verbatim)."""
    return json_response(status, model.model_dump(mode="python", exclude_unset=True), headers)


def error_response(error: AuthstateError) -> Response[str]:
    if error.status >= 500:
        logger.error("request failed", extra={"code": str(error.code)}, exc_info=error)
    else:  # the caller's mistake, answered: not the service's news (the access log has the status)
        logger.debug("request rejected", extra={"code": str(error.code), "status": error.status})
    return json_response(error.status, error.to_body())


def _proxy_response(response: Response[str]) -> dict[str, Any]:
    """A response built before routing, in API Gateway's payload-v2 shape."""
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **response.headers},
        "body": response.body,
        "isBase64Encoded": False,
        "cookies": [],
    }


class AuthstateResolver(APIGatewayHttpResolver):
    def __init__(self, *, require_key: bool = True, strict_query: bool = True) -> None:
        """``strict_query``: a query parameter no route declares is refused (SuperTokens' core, whose
        protocol the CDI answers, ignores them)."""
        super().__init__(enable_validation=True, serializer=dumps, json_body_deserializer=parse_body)
        self.requires_api_key = require_key
        self.exception_handler(AuthstateError)(self.refusal)
        self.exception_handler(RequestValidationError)(self._validation_error)
        self.exception_handler(RequestUnsupportedContentType)(self._unsupported_media_type)
        self.exception_handler(NotFoundError)(self._route_not_found)
        self.exception_handler(ServiceError)(self._service_error)
        self.exception_handler(Exception)(self._unexpected_error)
        if strict_query:
            self.use([refuse_unknown_query_parameters])

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            admitted = self._admit(dict(event))
        except AuthstateError as error:
            return _proxy_response(self.refusal(error))
        return super().resolve(admitted, context)

    def refusal(self, error: AuthstateError) -> Response[str]:
        """The answer to an error raised before routing (or by a route)."""
        return error_response(error)

    def _admit(self, event: dict[str, Any]) -> dict[str, Any]:
        headers = request_headers(event)
        if self.requires_api_key:
            require_api_key(headers, providers.settings())
        decode_body(event)
        content_type = headers.get("content-type")
        method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
        if content_type is not None and is_json_media_type(content_type):
            # Powertools reads a body only under the exact spelling `application/json`.
            others = {
                name: value
                for name, value in (event.get("headers") or {}).items()
                if str(name).lower() != "content-type"
            }
            event["headers"] = {**others, "content-type": content_types.APPLICATION_JSON}
        elif content_type is not None and method in _BODY_METHODS:
            raise AuthstateError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, _NOT_JSON)
        encode_path(event)
        return event

    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        """Route arguments as API Gateway decoded them (the matched path is percent-encoded)."""
        decoded = self.current_event.path_parameters or {}
        return {name: decoded.get(name, unquote(value)) for name, value in match.groupdict().items()}

    def _validation_error(self, error: RequestValidationError) -> Response[str]:
        first = error.errors()[0]
        location = tuple(str(part) for part in first.get("loc", ()))
        if location == ("body",) and first.get("type") == "missing":
            return error_response(
                AuthstateError(ErrorCode.INVALID_JSON, "the request body is empty; a JSON object is required")
            )
        if location[:1] == ("path",):
            # GET /sessions/verify reaches GET /sessions/{sessionHandle}: "verify" is a route, not a handle.
            event = self.current_event
            literal = literal_path_error(event.http_method, event.path, api_routes())
            if literal is not None:
                response = error_response(literal[0])
                response.headers.update(literal[1])
                return response
        if location == ("body", "refreshToken") and looks_like_jwt(str(first.get("input", ""))):
            return error_response(access_token_as_refresh_token())
        named = _PARAMETER_ERRORS.get((location[0], location[1])) if len(location) >= 2 else None
        if named is not None:
            return error_response(AuthstateError(*named))
        where = ".".join(location) or "request"
        return error_response(AuthstateError(ErrorCode.VALIDATION_ERROR, f"{where}: {first.get('msg')}"))

    def _unsupported_media_type(self, _: RequestUnsupportedContentType) -> Response[str]:
        return self.refusal(AuthstateError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, _NOT_JSON))

    def _route_not_found(self, _: NotFoundError) -> Response[str]:
        return self.refusal(AuthstateError(ErrorCode.ROUTE_NOT_FOUND, "no such route in this function"))

    def _service_error(self, error: ServiceError) -> Response[str]:
        """One of Powertools' HTTP errors (authstate raises :class:`AuthstateError` instead)."""
        code = _SERVICE_ERRORS.get(int(error.status_code))
        if code is None:
            return self._unexpected_error(error)
        message = error.msg if isinstance(error.msg, str) else code.when
        return self.refusal(AuthstateError(code, message))

    def _unexpected_error(self, error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return json_response(500, InternalError().to_body())


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The event's headers, names lower-cased."""
    return {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}


def decode_body(event: dict[str, Any]) -> bool:
    """The event's body as checked text (:func:`body_text`), in place; whether there is one."""
    body = event.get("body")
    if not body:
        return False
    event["body"] = body_text(body, is_base64=bool(event.get("isBase64Encoded")))
    event["isBase64Encoded"] = False
    return True


def encode_path(event: dict[str, Any]) -> None:
    """Characters Powertools' router does not match percent-encoded in ``rawPath``, in place."""
    event["rawPath"] = quote(str(event.get("rawPath", "")), safe=_PATH_SAFE)


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type (RFC 6839), in any case (RFC 9110), any parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == content_types.APPLICATION_JSON or media_type.endswith("+json")


def refuse_unknown_query_parameters(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware
) -> Response[Any]:
    """Bodies are strict, so are query strings: a parameter the route does not declare is a named 400
    (``?tenant=public`` is not silently ignored)."""
    route = app.context["_route"]
    taken = sorted(str(field.alias) for field in route.dependant.query_params)
    unknown = sorted(set(app.current_event.query_string_parameters or {}) - set(taken))
    if unknown:
        names = ", ".join(f"`{name[:64]}`" for name in unknown[:5])
        takes = f"takes only {', '.join(f'`{name}`' for name in taken)}" if taken else "takes none"
        message = f"unknown query parameter {names}: {route.method} {route.openapi_path} {takes}"
        raise AuthstateError(ErrorCode.UNKNOWN_QUERY_PARAMETER, message)
    return next_middleware(app)


def body_text(body: str, *, is_base64: bool) -> str:
    """The request body as text: base64 undone, UTF-8 checked, size limit applied."""
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise AuthstateError(ErrorCode.INVALID_JSON, "the request body is not valid base64") from error
    else:
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as error:
            raise AuthstateError(ErrorCode.INVALID_UTF8, "the request body is not valid UTF-8") from error
    if len(raw) > MAX_BODY_BYTES:
        raise AuthstateError(ErrorCode.BODY_TOO_LARGE, f"the request body exceeds {MAX_BODY_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AuthstateError(ErrorCode.INVALID_UTF8, "the request body is not valid UTF-8") from error


def lambda_entry(app: APIGatewayHttpResolver) -> Handler:
    """The Lambda handler: structured logs with correlation id, EMF metrics, then the resolver."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return cast(Handler, handler)
