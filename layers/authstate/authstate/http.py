"""HTTP glue shared by every handler: resolver with auth and JSON errors, body parsing, entry point."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from authstate.auth import require_api_key
from authstate.errors import AuthstateError, InvalidRequest
from authstate.jsondoc import decode_body, dumps, parse_object
from authstate.limits import MAX_USER_ID_BYTES
from authstate.models import TENANT_ID_PATTERN

logger = Logger()
metrics = Metrics()

type Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=dumps(body))


def _error_response(error: AuthstateError) -> Response[str]:
    if error.status >= 500:
        logger.error("request failed", extra={"code": error.code}, exc_info=error)
    else:
        logger.info("request rejected", extra={"code": error.code, "status": error.status})
    return json_response(error.status, error.to_body())


def _unexpected_error(error: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return json_response(500, {"code": "INTERNAL_ERROR", "message": "internal error"})


def _not_found(_: Exception) -> Response[str]:
    return json_response(404, {"code": "ROUTE_NOT_FOUND", "message": "no such route"})


def _api_key_middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    require_api_key(app.current_event.headers)
    return next_middleware(app)


def create_app(*, require_key: bool = True) -> APIGatewayHttpResolver:
    """A resolver whose errors are always ``{"code", "message"}`` JSON and never a stack trace."""
    app = APIGatewayHttpResolver(serializer=dumps)
    if require_key:
        app.use(middlewares=[_api_key_middleware])
    app.exception_handler(AuthstateError)(_error_response)
    app.not_found(_not_found)
    app.exception_handler(Exception)(_unexpected_error)
    return app


def json_body[M: BaseModel](app: APIGatewayHttpResolver, model: type[M]) -> M:
    """Parse the body strictly (limits, UTF-8, duplicates, NaN) and validate it against ``model``."""
    event = app.current_event
    data = parse_object(decode_body(event.body, is_base64=bool(event.is_base64_encoded)))
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequest(f"{where}: {first['msg']}", code="VALIDATION_ERROR") from error


def path_parameter(app: APIGatewayHttpResolver, name: str) -> str:
    """A path parameter as API Gateway decoded it (the route's own argument is still percent-encoded)."""
    value = (app.current_event.path_parameters or {}).get(name, "")
    return value


def user_id_parameter(app: APIGatewayHttpResolver) -> str:
    user_id = path_parameter(app, "userId")
    if not user_id.strip() or len(user_id.encode("utf-8", "surrogatepass")) > MAX_USER_ID_BYTES:
        raise InvalidRequest(f"userId must be 1 to {MAX_USER_ID_BYTES} bytes", code="INVALID_USER_ID")
    return user_id


_TENANT_ID = re.compile(TENANT_ID_PATTERN)


def tenant_id_query(app: APIGatewayHttpResolver) -> str | None:
    """The optional ``?tenantId=`` filter, validated like a tenant id in a body."""
    tenant_id = app.current_event.get_query_string_value("tenantId") or None
    if tenant_id is not None and not _TENANT_ID.match(tenant_id):
        raise InvalidRequest("tenantId must match " + TENANT_ID_PATTERN, code="INVALID_TENANT_ID")
    return tenant_id


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def session_handle_parameter(app: APIGatewayHttpResolver) -> str:
    handle = path_parameter(app, "sessionHandle")
    if not _UUID.match(handle):
        raise InvalidRequest("sessionHandle is not a session handle", code="INVALID_SESSION_HANDLE")
    return handle


def lambda_entry(app: APIGatewayHttpResolver) -> Handler:
    """The Lambda handler: structured logs with correlation id, EMF metrics, then the resolver."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return cast(Handler, handler)
