"""A stand-in for a SuperTokens core BEFORE the switch, so that an unmodified SDK (and a browser behind it)
can sign in with core-issued tokens and keep whatever cookies and headers the SDK makes of them.

It is not a core: it answers only what signing in and writing metadata ask (``/apiversion``, the JWKS,
``POST /recipe/session``, the verify of ``checkDatabase``, reading a session and a user's handles, the
metadata calls, ``/user/id``), minting each session's tokens with the JDK-only generator and writing the
session's row into the core's schema in PostgreSQL, exactly as tests/coreworld.py models the core. Any
other call is a 404 the test sees (``unknown``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.coreworld import CoreApp, CoreSession
from tests.migration.core_schema import CoreDb
from tools.migrate.plan import public_jwk

_PROTECTED = {
    "sub", "exp", "iat", "tId", "rsub", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1",
    "antiCsrfToken",
}  # fmt: skip


@dataclass
class Standin:
    app: CoreApp
    db: CoreDb
    url: str = ""
    sessions: list[CoreSession] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict[str, Any]:
        assert self.app.pair is not None
        assert self.app.static_pair is not None
        keys = [
            public_jwk(self.app.kid, self.app.pair.public),
            public_jwk(self.app.static_kid, self.app.static_pair.public),
        ]
        return {"keys": keys}

    def create(self, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.app.now = time.time()
            session = self.app.create(
                body["userId"],
                payload=body.get("userDataInJWT") or {},
                data=body.get("userDataInDatabase") or {},
                anti_csrf=bool(body.get("enableAntiCsrf")),
                tenant_id=tenant,
                static_key=body.get("useDynamicSigningKey") is False,
            )
            self.db.write_session(session)
            self.sessions.append(session)
        row = session.row
        answer: dict[str, Any] = {
            "status": "OK",
            "session": {"handle": row.session_handle, "userId": row.user_id, "recipeUserId": row.user_id,
                        "userDataInJWT": json.loads(row.jwt_user_payload or "{}"), "tenantId": tenant},
            "accessToken": {"token": session.access_token, "createdTime": int(self.app.now) * 1000,
                            "expiry": int(self.app.now + self.app.access_token_validity) * 1000},
            "refreshToken": {"token": session.refresh_token, "expiry": row.expires_at_ms,
                             "createdTime": row.created_at_ms},
        }  # fmt: skip
        if session.anti_csrf is not None:
            answer["antiCsrfToken"] = session.anti_csrf
        return answer

    def information(self, handle: str) -> dict[str, Any]:
        """``GET /recipe/session``: the row as the core returns it."""
        session = self.app.sessions.get(handle)
        if session is None:
            return {"status": "UNAUTHORISED", "message": "Session does not exist."}
        row = session.row
        return {
            "status": "OK", "sessionHandle": row.session_handle, "userId": row.user_id,
            "recipeUserId": row.user_id, "userDataInDatabase": json.loads(row.session_data or "{}"),
            "expiry": row.expires_at_ms, "userDataInJWT": json.loads(row.jwt_user_payload or "{}"),
            "timeCreated": row.created_at_ms, "tenantId": row.tenant_id,
        }  # fmt: skip

    def verify(self, body: dict[str, Any]) -> dict[str, Any]:
        """``/recipe/session/verify`` for the SDK's ``checkDatabase`` (it verified the token itself before
        asking): the session must still be there. Tokens minted here have no parent, so nothing is
        promoted."""
        import base64

        part = str(body["accessToken"]).split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        session = self.app.sessions.get(claims["sessionHandle"])
        if session is None or claims.get("parentRefreshTokenHash1") is not None:
            return {
                "status": "UNAUTHORISED",
                "message": "Either the session has ended or has been blacklisted",
            }
        custom = {k: v for k, v in claims.items() if k not in _PROTECTED}
        return {
            "status": "OK",
            "session": {"handle": session.handle, "userId": session.user_id, "recipeUserId": session.user_id,
                        "userDataInJWT": custom, "tenantId": session.row.tenant_id},
        }  # fmt: skip

    def update_metadata(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body["userId"]
        with self.lock:
            merged = json.loads(self.app.metadata.get(user, "{}"))
            for key, value in body["metadataUpdate"].items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            self.app.metadata[user] = json.dumps(merged)
            self.db.write_metadata(self.app.app_id, user, self.app.metadata[user])
        return {"status": "OK", "metadata": merged}


def _handler(standin: Standin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("content-length") or 0)
            loaded: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
            return loaded

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/apiversion":
                self._answer(200, {"versions": ["5.4"]})
            elif path in {"/", "/hello"}:
                self._answer(200, "Hello")
            elif path in {"/.well-known/jwks.json", "/recipe/jwt/jwks"}:
                self._answer(200, standin.jwks())
            elif path == "/user/id":
                self._answer(200, {"status": "UNKNOWN_USER_ID_ERROR"})
            elif path.endswith("/recipe/session/user"):
                user = parse_qs(urlsplit(self.path).query)["userId"][0]
                handles = [s.handle for s in standin.app.sessions.values() if s.user_id == user]
                self._answer(200, {"status": "OK", "sessionHandles": handles})
            elif path == "/recipe/session":
                handle = parse_qs(urlsplit(self.path).query)["sessionHandle"][0]
                self._answer(200, standin.information(handle))
            elif path == "/recipe/user/metadata":
                user = parse_qs(urlsplit(self.path).query)["userId"][0]
                self._answer(
                    200, {"status": "OK", "metadata": json.loads(standin.app.metadata.get(user, "{}"))}
                )
            else:
                standin.unknown.append(f"GET {path}")
                self._answer(404, {"message": f"the stand-in core has no {path}"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            parts = path.strip("/").split("/")
            if parts[-2:] == ["recipe", "session"] and len(parts) <= 3:
                self._answer(200, standin.create(parts[0] if len(parts) == 3 else "public", self._body()))
            elif path == "/recipe/session/verify":
                self._answer(200, standin.verify(self._body()))
            else:
                standin.unknown.append(f"POST {path}")
                self._answer(404, {"message": f"the stand-in core has no {path}"})

        def do_PUT(self) -> None:
            path = urlsplit(self.path).path
            if path == "/recipe/user/metadata":
                self._answer(200, standin.update_metadata(self._body()))
            else:
                standin.unknown.append(f"PUT {path}")
                self._answer(404, {"message": f"the stand-in core has no {path}"})

    return Handler


@contextmanager
def standin_core(app: CoreApp, db: CoreDb) -> Iterator[Standin]:
    standin = Standin(app, db)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
