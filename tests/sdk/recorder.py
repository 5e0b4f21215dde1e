"""A transparent recording proxy between the SDKs and the core (authstate's CDI facade).

The apps' ``connection_uri`` is this proxy's URL with the core's base path (``/cdi``), so the SDK
prefixes that path as it would in production; the proxy forwards every request verbatim (method,
path, query, headers, body) to the core and answers with the core's status, headers and body. It
records each exchange so that tests can assert what the core said (the ``status`` strings in 200
bodies, 400 texts), not only what the SDK made of it."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Not forwarded either way: connection management belongs to each hop.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
    "content-length",
}  # fmt: skip


@dataclass(frozen=True)
class Exchange:
    """One SDK request to the core and the core's answer. ``path`` is relative to the core's base path."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    content_type: str
    response: Any  # the JSON body, or the text when the core answered text

    @property
    def result(self) -> str | None:
        """The ``status`` string of a JSON object answer."""
        return self.response.get("status") if isinstance(self.response, dict) else None


class CoreRecorder:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the core must be an http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="core-recorder", daemon=True)

    @property
    def url(self) -> str:
        """The ``connection_uri`` for the SDKs: this proxy, with the core's base path."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.base_path}"

    def start(self) -> CoreRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def mark(self) -> int:
        with self._lock:
            return len(self._exchanges)

    def since(self, mark: int = 0) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges[mark:])

    def calls(self, method: str, path: str, since: int = 0) -> list[Exchange]:
        return [e for e in self.since(since) if e.method == method and e.path == path]

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: the simplest faithful relay
            wbufsize = 1 << 16  # status, headers and body leave in one write (no Nagle/delayed-ACK stall)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection = http.client.HTTPConnection(
                    recorder.upstream_host, recorder.upstream_port, timeout=60
                )
                try:
                    connection.request(self.command, self.path, body=raw or None, headers=headers)
                    answer = connection.getresponse()
                    payload = answer.read()
                    answer_headers = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
                    status = answer.status
                except OSError as error:  # the core is down: say so (the SDK reports the status and text)
                    status, payload = 502, f"recorder: the core is unreachable: {error}".encode()
                    answer_headers = [("Content-Type", "text/plain; charset=utf-8")]
                finally:
                    connection.close()
                self.send_response_only(status)
                for name, value in answer_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                recorder._record(self._exchange(raw, status, dict(answer_headers), payload))

            def _exchange(self, raw: bytes, status: int, headers: dict[str, str], payload: bytes) -> Exchange:
                parts = urlsplit(self.path)
                path = parts.path
                if recorder.base_path and path.startswith(recorder.base_path):
                    path = path[len(recorder.base_path) :]
                content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
                return Exchange(
                    method=self.command,
                    path=path,
                    query=dict(parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=_json_or_text(raw),
                    status=status,
                    content_type=content_type,
                    response=_json_or_text(payload),
                )

            do_GET = do_POST = do_PUT = do_DELETE = _relay

        return Handler


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


@contextmanager
def recording(upstream: str) -> Iterator[CoreRecorder]:
    recorder = CoreRecorder(upstream).start()
    try:
        yield recorder
    finally:
        recorder.stop()
