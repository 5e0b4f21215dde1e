"""What API Gateway HTTP API does between a parsed HTTP request and a Lambda function: read the
request target, pick the route, and build the payload-format-2.0 event. No I/O: server.py does that."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from tools.localrun.template import ANY_METHOD, DEFAULT_ROUTE, Route, Template


class BadTarget(ValueError):
    """The request target cannot become an event: the gateway answers 400."""


_ABSOLUTE_FORM = re.compile(rb"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def percent_encode_non_ascii(target: bytes) -> bytes:
    """Raw bytes over 0x7F in a request target, percent-encoded: what API Gateway sees for them
    (clients and CloudFront send them encoded), and the only form HTTP/1.1 allows."""
    return re.sub(rb"[\x80-\xff]", lambda match: b"%%%02X" % match.group()[0], target)


@dataclass(frozen=True)
class Target:
    """A request target in origin form, as sent (percent-encoding kept)."""

    raw_path: str
    raw_query: str

    @classmethod
    def parse(cls, target: bytes) -> Target:
        """``/path?query``; an absolute-form target (``http://host/path``) counts by its path.
        The path must be valid UTF-8 once percent-decoded: API Gateway passes decoded text to the
        function, and replacing bad bytes with U+FFFD would make two different paths one."""
        target = percent_encode_non_ascii(target)
        target = _ABSOLUTE_FORM.sub(b"", target, count=1) or b"/"
        if not target.startswith(b"/"):
            raise BadTarget("the request target is not a path")
        path, _, query = target.decode("ascii").partition("?")
        decode_path(path)
        try:
            parse_qsl(query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise BadTarget("the query string is not UTF-8 once percent-decoded") from None
        return cls(path, query)

    def query_parameters(self) -> dict[str, str]:
        """As API Gateway gives them: repeated names joined with commas."""
        query: dict[str, str] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True, errors="strict"):
            query[key] = f"{query[key]},{value}" if key in query else value
        return query


def decode_path(raw: str) -> str:
    """Percent-decoded as UTF-8, strictly."""
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BadTarget("the path is not UTF-8 once percent-decoded") from None


@dataclass(frozen=True)
class Match:
    logical_id: str
    route_key: str
    path_parameters: dict[str, str]


class Router:
    """The template's HttpApi routes, chosen as API Gateway chooses: the most specific path that
    matches (segment by segment: literal, then ``{parameter}``, then greedy ``{proxy+}``), on it
    the route of the request's method before an ``ANY`` route; ``$default`` only when nothing else
    matches (``default``)."""

    def __init__(self, template: Template) -> None:
        self.routes: list[tuple[Route, str]] = []
        self.default: Match | None = None
        seen: dict[str, str] = {}
        for spec in template.functions():
            for route in spec.routes:
                if route.key in seen:
                    raise ValueError(
                        f"route {route.key} is declared by {seen[route.key]} and {spec.logical_id}"
                    )
                seen[route.key] = spec.logical_id
                if route.is_default:
                    self.default = Match(spec.logical_id, DEFAULT_ROUTE, {})
                else:
                    self.routes.append((route, spec.logical_id))
        self.routes.sort(key=lambda pair: (pair[0].specificity, pair[0].method == ANY_METHOD))

    def match(self, method: str, raw_path: str) -> Match | None:
        """The route for this method and path (not ``$default``), or None."""
        for route, logical_id in self.routes:
            found = route.pattern.match(raw_path)
            if found and route.method in (method, ANY_METHOD):
                parameters = {name: decode_path(value) for name, value in found.groupdict().items()}
                return Match(logical_id, route.key, parameters)
        return None


def build_event(
    method: str,
    target: Target,
    headers: dict[str, str],
    body: bytes,
    match: Match,
    request_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event."""
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": target.raw_path,
        "rawQueryString": target.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": target.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": match.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if target.raw_query:
        event["queryStringParameters"] = target.query_parameters()
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";") if c.strip()]
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event
