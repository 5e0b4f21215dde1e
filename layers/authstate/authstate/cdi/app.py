"""The resolver of the CDI function: SuperTokens' Core Driver Interface under ``/cdi``.

Admission before routing: the ``/cdi`` base path comes off (``connection_uri = https://<api>/cdi``);
an ``/appid-<x>`` path is refused with a message naming what is supported (one app per deployment);
one trailing slash is allowed; the API key (``api-key``, as the SDKs send it) is checked except on the
public routes (JWKS, hello). Errors are answered in the core's style (``cdi.protocol``): bad input is a
plain-text 400, an unknown route a JSON 404 naming the supported recipes, never a 500 for either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext

from authstate import services
from authstate.cdi.protocol import CDI_VERSIONS, SUPPORTED_RECIPES, CdiBadRequest, bad_request_message
from authstate.documents.jsondoc import dumps, parse_body
from authstate.edge.app import body_text, logger
from authstate.edge.auth import require_api_key
from authstate.errors import AuthstateError, ErrorCode

BASE_PATH = "/cdi"
#: Routes any caller may use: the SDKs fetch the JWKS with no header at all.
PUBLIC_PATHS = frozenset({"/.well-known/jwks.json", "/hello", "/"})
_TEXT = "text/plain; charset=utf-8"


def text_response(status: int, message: str) -> Response[str]:
    return Response(status_code=status, content_type=_TEXT, body=message + "\n")


def json_response(body: Mapping[str, Any], status: int = 200) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=dumps(body))


def _proxy(response: Response[str]) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": dict(response.headers),
        "body": response.body,
        "isBase64Encoded": False,
        "cookies": [],
    }


def _not_found(path: str) -> Response[str]:
    return json_response(
        {
            "message": f"authstate's Core Driver Interface has no route {path}",
            "cdiVersions": CDI_VERSIONS,
            "supportedRecipes": SUPPORTED_RECIPES,
        },
        status=404,
    )


class CdiResolver(APIGatewayHttpResolver):
    def __init__(self) -> None:
        super().__init__(strip_prefixes=[BASE_PATH], serializer=dumps, json_body_deserializer=parse_body)
        self.exception_handler(CdiBadRequest)(self._bad_request)
        self.exception_handler(AuthstateError)(self._authstate_error)
        self.exception_handler(NotFoundError)(lambda _: _not_found(self.current_event.path))
        self.exception_handler(Exception)(self._unexpected_error)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            admitted = self._admit(dict(event))
        except CdiBadRequest as error:
            return _proxy(text_response(error.status, error.message))
        except AuthstateError as error:
            return _proxy(self._authstate_error(error))
        return super().resolve(admitted, context)

    def _admit(self, event: dict[str, Any]) -> dict[str, Any]:
        raw_path = str(event.get("rawPath", ""))
        path = raw_path.removeprefix(BASE_PATH)
        if path.lower().startswith("/appid-"):
            raise CdiBadRequest(
                "authstate serves one app per deployment: connection_uri must be https://<api>/cdi, "
                "without /appid-<x>. Supported: CDI 5.4, the session and usermetadata recipes, "
                "tenants as /cdi/<tenantId>/..."
            )
        if len(path) > 1 and path.endswith("/"):
            event["rawPath"] = raw_path[:-1]
            path = path[:-1]
        headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
        if path not in PUBLIC_PATHS:
            try:
                require_api_key(headers, services.settings())
            except AuthstateError as error:
                if error.status == 401:
                    raise CdiBadRequest("Invalid API key", status=401) from error
                raise
        body = event.get("body")
        if body:
            event["body"] = body_text(body, is_base64=bool(event.get("isBase64Encoded")))
            event["isBase64Encoded"] = False
        return event

    def json(self) -> dict[str, Any]:
        """The request body, strictly parsed: a JSON object, or the core's 400."""
        try:
            body = self.current_event.json_body
        except AuthstateError as error:
            raise CdiBadRequest("Invalid Json Input") from error
        if not isinstance(body, dict):
            raise CdiBadRequest("Invalid Json Input")
        return body

    def query(self, name: str, *, required: bool = True) -> str | None:
        value = self.current_event.get_query_string_value(name)
        if value is None and required:
            raise CdiBadRequest(f"Field name '{name}' is missing in GET request")
        return value

    def _bad_request(self, error: CdiBadRequest) -> Response[str]:
        logger.debug("CDI request rejected", extra={"status": error.status})
        return text_response(error.status, error.message)

    def _authstate_error(self, error: AuthstateError) -> Response[str]:
        """An error no route turned into a status string: bad input (400, plain text), throttling
        (429, which the SDKs retry), or the service failing (5xx, plain text)."""
        if error.code is ErrorCode.THROTTLED:
            return text_response(429, error.message)
        if error.status >= 500:
            logger.error("CDI request failed", extra={"code": str(error.code)}, exc_info=error)
            return text_response(error.status, error.message)
        logger.debug("CDI request rejected", extra={"code": str(error.code)})
        return text_response(400, bad_request_message(error))

    def _unexpected_error(self, error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return text_response(500, "internal error")
