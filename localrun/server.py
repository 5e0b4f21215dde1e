"""Serve the template's HttpApi routes over HTTP, as API Gateway HTTP API (payload v2) would; and,
local only, the OpenAPI document at /openapi.json and Swagger UI at /docs (where no route matches)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localrun.runtime import Functions
from localrun.template import ROOT, Route, Template

#: API Gateway HTTP API's own request payload limit.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
#: Where the local server (only) serves the OpenAPI document, when no template route matches it.
OPENAPI_PATH = "/openapi.json"
#: Swagger UI for the document, from the npm package swagger-ui-dist (localrun/package.json): no CDN.
DOCS_PATH = "/docs"
SWAGGER_UI = ROOT / "localrun" / "node_modules" / "swagger-ui-dist"
_SWAGGER_UI_FILES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
_DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>authstate API (local)</title>
  <link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{DOCS_PATH}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_PATH}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{OPENAPI_PATH}",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      persistAuthorization: true,
    }});
  </script>
</body>
</html>
""".encode()


def openapi_document() -> bytes:
    """The contract Powertools builds from the functions (not a template route: local only)."""
    from localrun.openapi import openapi_json

    return openapi_json()


class Router:
    def __init__(self, template: Template, functions: Functions) -> None:
        self.functions = functions
        self.routes: list[tuple[Route, str]] = [
            (route, spec.logical_id) for spec in template.functions() for route in spec.routes
        ]
        # Literal segments win over parameters, as in API Gateway (/sessions/verify over /sessions/{handle}).
        self.routes.sort(key=lambda pair: pair[0].path.count("{"))

    def match(self, method: str, raw_path: str) -> tuple[Route, str, dict[str, str]] | None:
        for route, logical_id in self.routes:
            found = route.pattern.match(raw_path)
            if found and route.method in (method, "ANY"):
                return route, logical_id, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def build_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    route: Route,
    path_parameters: dict[str, str],
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event."""
    parts = urlsplit(target)
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if parts.query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";") if c.strip()]
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


class _Handler(BaseHTTPRequestHandler):
    server_version = "authstate-local"
    protocol_version = "HTTP/1.1"
    router: Router
    quiet: bool

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _gateway_error(self, status: int, message: str) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode())

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._gateway_error(413, "Request Entity Too Large")
            return
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        found = self.router.match(self.command, path)
        if found is None:
            if self.command in ("GET", "HEAD") and path == OPENAPI_PATH:
                self._send(200, {"Content-Type": "application/json"}, openapi_document())
                return
            if self.command in ("GET", "HEAD") and (path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/")):
                self._send_docs(path.removeprefix(DOCS_PATH).lstrip("/"))
                return
            self._gateway_error(404, "Not Found")
            return
        route, logical_id, path_parameters = found
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        event = build_event(self.command, self.path, headers, body, route, path_parameters)
        try:
            response = self.router.functions.invoke(logical_id, event)
        except Exception:  # the function crashed: API Gateway answers 500 without details
            self._gateway_error(500, "Internal Server Error")
            return
        self._send_lambda_response(response)

    def _send_docs(self, name: str) -> None:
        """Swagger UI: the page, or one of a fixed set of files of swagger-ui-dist (nothing else)."""
        if not (SWAGGER_UI / "swagger-ui-bundle.js").is_file():
            self._gateway_error(404, "Swagger UI is not installed: run `npm ci` in localrun/")
        elif name in ("", "index.html"):
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, _DOCS_PAGE)
        elif name in _SWAGGER_UI_FILES:
            self._send(200, {"Content-Type": _SWAGGER_UI_FILES[name]}, (SWAGGER_UI / name).read_bytes())
        else:
            self._gateway_error(404, "Not Found")

    def _send_lambda_response(self, response: Any) -> None:
        if not isinstance(response, dict) or "statusCode" not in response:
            body = json.dumps(response).encode()
            self._send(200, {"Content-Type": "application/json"}, body)
            return
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else str(payload).encode()
        headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ",".join(str(v) for v in values)
        self._send(int(response["statusCode"]), headers, data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle
    # API Gateway takes any method: one no route has gets the JSON 404, not http.server's HTML 501.
    do_TRACE = do_CONNECT = do_QUERY = _handle

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    template: Template, functions: Functions, host: str, port: int, quiet: bool
) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"router": Router(template, functions), "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
