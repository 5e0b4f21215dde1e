"""The local server's HTTP/1.1 handling, byte by byte on a raw socket: every request is either
served as API Gateway would serve it or refused with the gateway's JSON ``{"message": ...}``.

When it was built on http.server: a chunked body was read as empty and then parsed as the next
request (request smuggling), ``Content-Length: -1`` hung, a non-numeric one dropped the connection,
of two Content-Length headers the first won, bad UTF-8 in a percent-encoded path became U+FFFD,
raw UTF-8 bytes in a path were read as Latin-1, ``//users/...`` was read as ``/users/...`` and
malformed requests got HTML."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.e2e.conftest import API_KEY, Api
from tools.localrun.server import MAX_REQUEST_BYTES, MAX_REQUEST_LINE_BYTES

Reply = tuple[int, str, Any]  # status, Content-Type, body (JSON if it is JSON)


def send_raw(server_url: str, data: bytes, *, timeout: float = 10.0) -> list[Reply]:
    """Send ``data`` as is on one connection, half-close it, and read every response until the
    server closes (or ``timeout`` passes with nothing new: what was read until then)."""
    parts = urlsplit(server_url)
    received = b""
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return parse_responses(received)


def parse_responses(data: bytes) -> list[Reply]:
    replies: list[Reply] = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines)
        }
        length = int(headers.get("content-length", "0"))
        body, data = rest[:length], rest[length:]
        content_type = headers.get("content-type", "")
        parsed: Any = json.loads(body) if content_type == "application/json" else body.decode("latin-1")
        replies.append((int(status_line.split()[1]), content_type, parsed))
    return replies


def request(method: str, target: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


KEY = b"api-key: " + API_KEY.encode()


def gateway(status: int, message: str) -> Reply:
    return (status, "application/json", {"message": message})


def test_a_chunked_body_reaches_the_function(server_url: str, unique_id: str) -> None:
    body = chunked(b'{"metadataUpdate":', b'{"theme":"dark"}}')
    replies = send_raw(
        server_url,
        request(
            "PATCH", f"/users/{unique_id}/metadata".encode(), KEY, b"Transfer-Encoding: chunked", body=body
        ),
    )
    assert replies == [(200, "application/json", {"metadata": {"theme": "dark"}})]


def test_a_request_inside_a_chunked_body_is_only_the_body(server_url: str, unique_id: str) -> None:
    """Request smuggling: the body is one request's body, never a request of its own."""
    smuggled = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    replies = send_raw(
        server_url,
        request(
            "PATCH",
            f"/users/{unique_id}/metadata".encode(),
            KEY,
            b"Transfer-Encoding: chunked",
            body=chunked(smuggled),
        ),
    )
    assert [(status, body["code"]) for status, _, body in replies] == [(400, "INVALID_JSON")]


@pytest.mark.parametrize("length", [b"-1", b"abc", b"0x10", b"1 2", b"+5", b""])
def test_a_content_length_that_is_not_a_number_is_400(server_url: str, length: bytes) -> None:
    replies = send_raw(
        server_url, request("POST", b"/sessions", KEY, b"Content-Length: " + length, body=b"{}")
    )
    assert replies == [gateway(400, "Bad Request")]


def test_two_different_content_lengths_are_400(server_url: str) -> None:
    replies = send_raw(
        server_url,
        request("POST", b"/sessions", KEY, b"Content-Length: 2", b"Content-Length: 30", body=b"{}"),
    )
    assert replies == [gateway(400, "Bad Request")]


def test_the_same_content_length_twice_is_one(server_url: str, unique_id: str) -> None:
    """RFC 9110 8.6 lets a recipient merge identical values; h11 does."""
    body = json.dumps({"metadataUpdate": {"n": 1}}).encode()
    length = b"Content-Length: %d" % len(body)
    replies = send_raw(
        server_url, request("PATCH", f"/users/{unique_id}/metadata".encode(), KEY, length, length, body=body)
    )
    assert replies == [(200, "application/json", {"metadata": {"n": 1}})]


def test_transfer_encoding_and_content_length_together_are_400(server_url: str) -> None:
    """RFC 9112 6.1: a message framed both ways is a smuggling vector; refused, not guessed."""
    replies = send_raw(
        server_url,
        request(
            "POST",
            b"/sessions",
            KEY,
            b"Content-Length: 5",
            b"Transfer-Encoding: chunked",
            body=chunked(b"{}"),
        ),
    )
    assert replies == [gateway(400, "Bad Request")]


def test_a_transfer_encoding_other_than_chunked_is_501(server_url: str) -> None:
    replies = send_raw(server_url, request("POST", b"/sessions", KEY, b"Transfer-Encoding: gzip", body=b"x"))
    assert replies == [gateway(501, "Not Implemented")]


def test_a_declared_body_over_the_gateway_limit_is_413(server_url: str) -> None:
    replies = send_raw(
        server_url, request("POST", b"/sessions", KEY, b"Content-Length: %d" % (MAX_REQUEST_BYTES + 1))
    )
    assert replies == [gateway(413, "Request Entity Too Large")]


@pytest.mark.parametrize(
    "encoded", ["%FF", "%C3", "%C3%28", "%ED%A0%80"], ids=["ff", "truncated", "bad-continuation", "surrogate"]
)
def test_a_path_that_is_not_utf8_once_decoded_is_400(server_url: str, encoded: str) -> None:
    """Was decoded with U+FFFD for the bad bytes, so different paths named the same user."""
    replies = send_raw(server_url, request("GET", f"/users/user{encoded}/metadata".encode(), KEY))
    assert replies == [gateway(400, "Bad Request")]


def test_raw_utf8_in_a_path_is_its_percent_encoded_form(api: Api, server_url: str, unique_id: str) -> None:
    """API Gateway sees non-ASCII path bytes percent-encoded: both forms name the same user."""
    user = f"{unique_id}-é✓"
    body = json.dumps({"metadataUpdate": {"raw": True}}).encode()
    written = send_raw(
        server_url,
        request(
            "PATCH", f"/users/{user}/metadata".encode(), KEY, b"Content-Length: %d" % len(body), body=body
        ),
    )
    assert written[0][0] == 200, written
    assert api.call("GET", f"/users/{quote(user)}/metadata").json() == {"metadata": {"raw": True}}


def test_a_double_slash_is_not_collapsed(server_url: str) -> None:
    """``//users/...`` is not ``/users/...`` (it was read as a URL with a host ``users``): no route
    matches it, so the ``$default`` route answers."""
    replies = send_raw(server_url, request("GET", b"//users/user-1/metadata", KEY))
    message = "no route GET //users/user-1/metadata (see /openapi.json)"
    assert replies == [(404, "application/json", {"code": "ROUTE_NOT_FOUND", "message": message})]


def test_an_overlong_request_line_is_414_json(server_url: str) -> None:
    target = b"/users/" + b"a" * MAX_REQUEST_LINE_BYTES + b"/metadata"
    replies = send_raw(server_url, request("GET", target, KEY))
    assert replies == [gateway(414, "URI Too Long")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"HELLO\r\n\r\n", gateway(400, "Bad Request")),
        (b"GET /users/a/metadata HTTP/1.1\r\n\r\n", gateway(400, "Bad Request")),  # no Host
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", gateway(400, "Bad Request")),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", gateway(505, "HTTP Version Not Supported")),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20_000,
            gateway(431, "Request Header Fields Too Large"),
        ),
        (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", gateway(400, "Bad Request")),
        (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", gateway(400, "Bad Request")),
    ],
    ids=[
        "not-http",
        "no-host",
        "space-in-name",
        "http2",
        "head-too-large",
        "space-in-target",
        "asterisk",
    ],
)
def test_every_refusal_is_the_gateways_json(server_url: str, raw: bytes, expected: Reply) -> None:
    assert send_raw(server_url, raw) == [expected]


def test_keep_alive_answers_pipelined_requests_in_order(server_url: str) -> None:
    replies = send_raw(
        server_url,
        request("GET", b"/.well-known/jwks.json")
        + request("GET", b"/nowhere")
        + request("GET", b"/openapi.json"),
    )
    assert [(status, content_type) for status, content_type, _ in replies] == [
        (200, "application/json"),
        (404, "application/json"),
        (200, "application/json"),
    ]
