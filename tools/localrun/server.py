"""Serve the template's HttpApi routes over HTTP/1.1, as API Gateway HTTP API (payload v2) would;
and, local only, the OpenAPI document at /openapi.json, Swagger UI at /docs and the Lambda Invoke API
for the functions without a route (where no route matches, before ``$default``).

HTTP parsing is h11's (a strict, maintained HTTP/1.1 state machine that does no I/O and sends
nothing of its own), so every response this server sends is one it built: the function's, or the
gateway's JSON ``{"message": ...}``. Each connection has a thread; each invocation goes to a worker
process of the function (runtime.py), one invocation at a time per process, as in Lambda.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import socketserver
import sys
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, TextIO, cast
from urllib.parse import unquote

import h11

from tools.localrun.gateway import BadTarget, Match, Router, Target, build_event, percent_encode_non_ascii
from tools.localrun.runtime import Functions
from tools.localrun.template import ROOT, Template

#: API Gateway HTTP API's own request payload limit.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
#: The request line (method, target, version); a longer one is answered 414.
MAX_REQUEST_LINE_BYTES = 10 * 1024
#: The request line and headers together; more is answered 431 (h11's default limit).
MAX_HEAD_BYTES = 16 * 1024
#: How long one read of a request may wait (then 408), and how long an idle keep-alive connection
#: stays open.
REQUEST_TIMEOUT_SECONDS = 30.0
#: Where the local server (only) serves the OpenAPI document, when no template route matches it.
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
#: ``serve --test-clock`` only: ``GET`` the functions' clock offset, ``PUT {"offsetSeconds": N}`` to move it.
CLOCK_PATH = "/_localrun/clock"
SWAGGER_UI = ROOT / "tools" / "localrun" / "node_modules" / "swagger-ui-dist"
#: Swagger UI for the document, from the npm package swagger-ui-dist (tools/localrun/package.json): no CDN.
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
    from tools.localrun.openapi import openapi_json

    return openapi_json()


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: for the access log: the function that answered, or why the gateway did
    function: str | None = None
    note: str = ""


#: The gateway's own messages (fixed here: Python's reason phrases change with RFCs and versions).
GATEWAY_MESSAGES = {
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Request Entity Too Large",  # API Gateway's wording
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


def gateway_error(status: int, note: str = "", message: str | None = None) -> Reply:
    """A response of the gateway itself: JSON ``{"message": ...}``, like API Gateway's 404."""
    body = json.dumps({"message": message or GATEWAY_MESSAGES[status]}).encode()
    return Reply(status, [("Content-Type", "application/json")], body, note=note)


def _json(status: int, body: bytes) -> Reply:
    return Reply(status, [("Content-Type", "application/json")], body)


#: The Lambda Invoke API's path (as ``sam local start-lambda`` serves it), for the template's functions
#: that have no HttpApi event: in AWS only IAM principals invoke them (e.g. the key rotation).
_INVOCATIONS = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class Gateway:
    """From a parsed request to a reply: route, build the event, invoke, shape the response."""

    def __init__(self, template: Template, functions: Functions) -> None:
        self.router = Router(template)
        self.functions = functions
        self.direct = {spec.logical_id for spec in template.functions() if not spec.routes}

    def handle(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> Reply:
        try:
            parsed = Target.parse(target)
            match = self.router.match(method, parsed.raw_path)
        except BadTarget as error:
            return gateway_error(400, str(error))
        if match is None:
            local = (
                self._local_page(method, parsed.raw_path)
                or self._test_clock(method, parsed.raw_path, body)
                or self._lambda_invoke(method, parsed.raw_path, body)
            )
            if local is not None:
                return local
            match = self.router.default
        if match is None:
            return gateway_error(404)
        return self._invoke(match, method, parsed, _event_headers(headers), body)

    def _local_page(self, method: str, path: str) -> Reply | None:
        """/openapi.json and /docs: served by this runner only, never by API Gateway."""
        if method not in ("GET", "HEAD"):
            return None
        if path == OPENAPI_PATH:
            reply = _json(200, openapi_document())
        elif path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/"):
            reply = _docs(path.removeprefix(DOCS_PATH).lstrip("/"))
        else:
            return None
        reply.function = "local page"
        return reply

    def _test_clock(self, method: str, path: str, body: bytes) -> Reply | None:
        """``/_localrun/clock`` when serving with ``--test-clock``: the offset of the functions' clock
        from the wall clock, which a test moves (``PUT {"offsetSeconds": 30}``) instead of sleeping."""
        if path != CLOCK_PATH or self.functions.clock_offset is None or method not in ("GET", "PUT"):
            return None
        if method == "PUT":
            try:
                offset = json.loads(body)["offsetSeconds"]
                if isinstance(offset, bool) or not isinstance(offset, int | float):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return gateway_error(400, message='send {"offsetSeconds": <number>}')
            self.functions.clock_offset = float(offset)
        reply = _json(200, json.dumps({"offsetSeconds": self.functions.clock_offset}).encode())
        reply.function = "test clock"
        return reply

    def _lambda_invoke(self, method: str, path: str, body: bytes) -> Reply | None:
        """``POST /2015-03-31/functions/<name>/invocations`` (boto3's ``lambda.invoke`` with this server
        as its endpoint): a function without an API route, by logical id (or an ARN ending in it)."""
        found = _INVOCATIONS.match(path)
        if method != "POST" or found is None:
            return None
        name = unquote(found["name"]).rpartition(":function:")[2]
        if name not in self.direct:
            error = {"Type": "User", "message": f"Function not found: {name} (known: {sorted(self.direct)})"}
            headers = [
                ("Content-Type", "application/json"),
                ("X-Amzn-ErrorType", "ResourceNotFoundException"),
            ]
            return Reply(404, headers, json.dumps(error).encode(), note="no such directly invoked function")
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            error = {"Type": "User", "message": "Could not parse request body into json"}
            headers = [
                ("Content-Type", "application/json"),
                ("X-Amzn-ErrorType", "InvalidRequestContentException"),
            ]
            return Reply(400, headers, json.dumps(error).encode(), note="payload is not JSON")
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        try:
            result = self.functions.invoke(name, event)
        except Exception as error:  # the function crashed: Lambda's answer, FunctionError Unhandled
            payload = {"errorMessage": str(error), "errorType": type(error).__name__}
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            return Reply(200, headers, json.dumps(payload).encode(), function=name, note="function error")
        return Reply(200, headers, json.dumps(result).encode(), function=name)

    def _invoke(
        self, match: Match, method: str, target: Target, headers: dict[str, str], body: bytes
    ) -> Reply:
        event = build_event(method, target, headers, body, match)
        try:
            response = self.functions.invoke(match.logical_id, event)
        except Exception as error:  # the function crashed: API Gateway answers 500 without details
            reply = gateway_error(500, str(error))
        else:
            reply = _lambda_reply(response)
        reply.function = match.logical_id
        return reply


def _event_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names; repeated headers joined with commas, as API Gateway does."""
    joined: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("ascii").lower(), raw_value.decode("latin-1")
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _docs(name: str) -> Reply:
    """Swagger UI: the page, or one of a fixed set of files of swagger-ui-dist (nothing else)."""
    if not (SWAGGER_UI / "swagger-ui-bundle.js").is_file():
        return gateway_error(404, message="Swagger UI is not installed: run `npm ci` in tools/localrun/")
    if name in ("", "index.html"):
        return Reply(200, [("Content-Type", "text/html; charset=utf-8")], _DOCS_PAGE)
    if name in _SWAGGER_UI_FILES:
        return Reply(200, [("Content-Type", _SWAGGER_UI_FILES[name])], (SWAGGER_UI / name).read_bytes())
    return gateway_error(404)


#: Framing is the server's, never the function's.
_HOP_BY_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive", "upgrade"}


def _lambda_reply(response: Any) -> Reply:
    """A payload-format-2.0 Lambda response as API Gateway turns it into HTTP."""
    if not isinstance(response, dict) or "statusCode" not in response:
        return _json(200, json.dumps(response).encode())  # anything else is the body, as JSON
    try:
        status = int(response["statusCode"])
        payload = response.get("body") or ""
        data = (
            base64.b64decode(payload, validate=True)
            if response.get("isBase64Encoded")
            else str(payload).encode()
        )
        headers = [
            (str(name), str(value))
            for name, value in (response.get("headers") or {}).items()
            if str(name).lower() not in _HOP_BY_HOP
        ]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if str(name).lower() not in _HOP_BY_HOP:
                headers.append((str(name), ",".join(str(value) for value in values)))
        headers += [("Set-Cookie", str(cookie)) for cookie in response.get("cookies") or []]
        h11.Response(status_code=status, headers=headers)  # valid HTTP? (raises if not)
    except (ValueError, TypeError, AttributeError, h11.LocalProtocolError) as error:
        return gateway_error(500, f"the function's response is not a valid HTTP response: {error}")
    return Reply(status, headers, data)


class _Refused(Exception):
    """The request is answered by the gateway with ``reply`` and the connection closed."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.note)
        self.reply = reply


@dataclass
class _Exchange:
    """One request on a connection, for the access log."""

    started: float = field(default_factory=time.monotonic)
    request_line: str = "-"
    method: str = ""


class _Connection:
    """One client connection: requests one after another (keep-alive), each parsed by its own
    h11.Connection fed the bytes the previous one did not use (``trailing_data``)."""

    def __init__(self, sock: socket.socket, server: LocalServer, client: str) -> None:
        self._sock = sock
        self._server = server
        self._client = client
        sock.settimeout(server.request_timeout)

    def serve(self) -> None:
        pending = b""
        while True:
            exchange = _Exchange()
            try:
                start = self._request_start(pending)
            except _Refused as refusal:
                self._answer(h11.Connection(h11.SERVER), refusal.reply, exchange, close=True)
                return
            if start is None:  # closed, or idle for too long, between requests
                return
            exchange.request_line = _request_line_for_log(start.partition(b"\n")[0].strip())
            connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
            connection.receive_data(start)
            if not self._exchange(connection, exchange):
                return
            pending, closed = connection.trailing_data
            if closed:
                return

    def _recv(self) -> bytes:
        return self._sock.recv(65536)

    def _request_start(self, pending: bytes) -> bytes | None:
        """The bytes of the next request, its request line's target with raw bytes over 0x7F
        percent-encoded (h11, like HTTP/1.1, only takes ASCII there). None if the client is gone."""
        buffer = bytearray(pending)
        while True:
            while buffer[:1] == b"\n" or buffer[:2] == b"\r\n":  # RFC 9112 2.2: skip empty lines
                del buffer[: 1 if buffer[:1] == b"\n" else 2]
            end = buffer.find(b"\n")
            if end > MAX_REQUEST_LINE_BYTES or (end < 0 and len(buffer) > MAX_REQUEST_LINE_BYTES):
                raise _Refused(gateway_error(414, f"request line over {MAX_REQUEST_LINE_BYTES} bytes"))
            if end >= 0:
                method, _, rest = bytes(buffer[: end + 1]).partition(b" ")
                target, _, version = rest.partition(b" ")
                line = (
                    b" ".join((method, percent_encode_non_ascii(target), version))
                    if version
                    else method + b" " + rest
                )
                return line + bytes(buffer[end + 1 :])
            try:
                data = self._recv()
            except TimeoutError:
                if buffer:
                    raise _Refused(gateway_error(408, "no complete request line in time")) from None
                return None
            if not data:
                return None
            buffer += data

    def _next_event(self, connection: h11.Connection) -> Any:
        while True:
            event = connection.next_event()
            if event is not h11.NEED_DATA:
                return event
            connection.receive_data(self._recv())

    def _exchange(self, connection: h11.Connection, exchange: _Exchange) -> bool:
        """Read one request, answer it; whether the connection stays open for another."""
        try:
            request = self._next_event(connection)
            if not isinstance(request, h11.Request):
                return False
            exchange.method = request.method.decode("ascii")
            target, version = request.target.decode("ascii"), request.http_version.decode("ascii")
            exchange.request_line = f"{exchange.method} {target} HTTP/{version}"
            _check_framing(request)
            if connection.they_are_waiting_for_100_continue:
                self._sock.sendall(connection.send(h11.InformationalResponse(status_code=100, headers=[])))
            body = self._read_body(connection)
        except h11.RemoteProtocolError as error:  # malformed: h11 suggests 400, 431 or 501
            status = error.error_status_hint if error.error_status_hint in (400, 431, 501) else 400
            return self._answer(connection, gateway_error(status, str(error)), exchange, close=True)
        except TimeoutError:
            return self._answer(connection, gateway_error(408, "request incomplete"), exchange, close=True)
        except _Refused as refusal:
            return self._answer(connection, refusal.reply, exchange, close=True)
        except OSError:
            return False
        reply = self._server.gateway.handle(exchange.method, request.target, list(request.headers), body)
        return self._answer(connection, reply, exchange, close=False)

    def _read_body(self, connection: h11.Connection) -> bytes:
        body = bytearray()
        while True:
            event = self._next_event(connection)
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_REQUEST_BYTES:
                    raise _Refused(gateway_error(413, f"body over {MAX_REQUEST_BYTES} bytes"))
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)

    def _answer(self, connection: h11.Connection, reply: Reply, exchange: _Exchange, *, close: bool) -> bool:
        """Send ``reply``; whether the connection stays open for another request."""
        headers = [*reply.headers, ("Date", formatdate(usegmt=True))]
        if reply.status != 204:
            headers.append(("Content-Length", str(len(reply.body))))
        if close:
            headers.append(("Connection", "close"))
        try:
            reason = GATEWAY_MESSAGES.get(reply.status, HTTPStatus(reply.status).phrase).encode()
        except ValueError:  # a status Python does not name
            reason = b""
        try:
            data = (
                connection.send(h11.Response(status_code=reply.status, headers=headers, reason=reason)) or b""
            )
            if exchange.method != "HEAD" and reply.status not in (204, 304):
                data += connection.send(h11.Data(data=reply.body)) or b""
            data += connection.send(h11.EndOfMessage()) or b""
            self._sock.sendall(data)
        except (OSError, h11.LocalProtocolError):
            return False
        self._server.log_access(self._client, exchange, reply)
        if connection.our_state is h11.MUST_CLOSE:
            self._close_gracefully()
            return False
        return bool(connection.our_state is h11.DONE and connection.their_state is h11.DONE)

    def _close_gracefully(self) -> None:
        """Stop sending, then read what the client still sends for a moment, so that the response
        is not lost to a reset (e.g. after a 413 the client may still be sending its body)."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + 2.0
            received = 0
            while time.monotonic() < deadline and received <= 2 * MAX_REQUEST_BYTES:
                chunk = self._recv()
                if not chunk:
                    break
                received += len(chunk)
        except OSError:
            pass


def _printable(raw: bytes) -> str:
    """For the access log: what the client sent, with no control characters for the terminal."""
    text = raw.decode("ascii", "backslashreplace")
    return "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)


#: method SP request-target SP HTTP-version (RFC 9112 3), the target without spaces.
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\s]+ HTTP/[0-9]\.[0-9]")


def _request_line_for_log(raw: bytes) -> str:
    """The first line of a request, for the access log, if it is a request line; anything else (a
    client that sent a header line first, an ``Authorization: Bearer <key>`` say) is not written."""
    if _REQUEST_LINE.fullmatch(raw) is None:
        return "(malformed request line)"
    return _printable(raw[:200])


def _without_values(note: str) -> str:
    """A note for the access log without what it quotes: h11 quotes the line or value it refuses
    (``illegal header line: bytearray(b'Authorization : Bearer <key>')``), and header values are never
    logged."""
    return re.split(r":|\s(?:b'|b\"|bytearray\()", note, maxsplit=1)[0].strip()


def _check_framing(request: h11.Request) -> None:
    """What h11 accepts but the gateway must not: another HTTP version, a body framed two ways
    (Transfer-Encoding and Content-Length: a request-smuggling vector, RFC 9112 6.1), a
    declared body over the limit."""
    if request.http_version not in (b"1.0", b"1.1"):
        raise _Refused(gateway_error(505, f"HTTP/{request.http_version.decode('ascii')}"))
    names = {name for name, _ in request.headers}
    if b"transfer-encoding" in names and b"content-length" in names:
        raise _Refused(gateway_error(400, "both Transfer-Encoding and Content-Length"))
    for name, value in request.headers:
        if name == b"content-length" and int(value) > MAX_REQUEST_BYTES:
            raise _Refused(gateway_error(413, f"Content-Length {int(value)} over {MAX_REQUEST_BYTES}"))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = cast(LocalServer, self.server)
        _Connection(self.request, server, str(self.client_address[0])).serve()


class LocalServer(socketserver.ThreadingTCPServer):
    """A thread per connection; ``serve_forever()`` until ``shutdown()``, then ``server_close()``."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        gateway: Gateway,
        *,
        access_log: TextIO | None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.gateway = gateway
        self.access_log = access_log
        self.request_timeout = request_timeout
        super().__init__(address, _Handler)

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    def log_access(self, client: str, exchange: _Exchange, reply: Reply) -> None:
        if self.access_log is None:
            return
        when = time.strftime("%d/%b/%Y %H:%M:%S")
        took = (time.monotonic() - exchange.started) * 1000
        who = reply.function or "gateway"
        note = f": {_without_values(reply.note)}" if reply.note else ""
        line = f'{client} - - [{when}] "{exchange.request_line}" {reply.status} {len(reply.body)}'
        line += f" {took:.0f} ms {who}{note}\n"
        self.access_log.write(line)  # one write per line: lines of concurrent requests never mix
        self.access_log.flush()


def make_server(
    template: Template,
    functions: Functions,
    host: str,
    port: int,
    quiet: bool,
    *,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> LocalServer:
    """Bound and listening; ``serve_forever()`` serves. The access log goes to stderr unless quiet."""
    return LocalServer(
        (host, port),
        Gateway(template, functions),
        access_log=None if quiet else sys.stderr,
        request_timeout=request_timeout,
    )
