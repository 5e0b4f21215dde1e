"""A cookie-keeping HTTP client that talks to an app the way supertokens-website does: it keeps the
cookies the SDK sets, sends back the ``anti-csrf`` header it was given (VIA_TOKEN), remembers the
``front-token``, and refreshes with ``POST /auth/session/refresh``. It never retries by itself: tests
decide when to refresh, so every outcome is asserted exactly."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

REFRESH_PATH = "/auth/session/refresh"


def jwt_payload(token: str) -> dict[str, Any]:
    """The access token's payload, unverified (the SDK verifies it; tests only read it)."""
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def front_token(value: str) -> dict[str, Any]:
    """What the frontend reads: ``{"uid", "ate", "up"}`` (standard base64 of JSON)."""
    decoded: dict[str, Any] = json.loads(base64.b64decode(value))
    return decoded


class Browser:
    def __init__(self, base_url: str, *, anti_csrf: str | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60)
        self.anti_csrf = anti_csrf
        self.front: dict[str, Any] | None = None

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()

    def request(
        self, method: str, path: str, *, send_anti_csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        headers.setdefault("rid", "session")  # as supertokens-website sends on every request it intercepts
        if send_anti_csrf and self.anti_csrf is not None:
            headers.setdefault("anti-csrf", self.anti_csrf)
        response = self.client.request(method, path, headers=headers, **kwargs)
        if "anti-csrf" in response.headers:
            self.anti_csrf = response.headers["anti-csrf"]
        front = response.headers.get("front-token")
        if front == "remove":
            self.front = None
        elif front is not None:
            self.front = front_token(front)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def login(self, user_id: str, **body: Any) -> dict[str, Any]:
        """A session in cookie mode (as the website SDK asks with ``st-auth-mode: cookie``)."""
        response = self.post("/login", {"userId": user_id, **body}, headers={"st-auth-mode": "cookie"})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def refresh(self, **kwargs: Any) -> httpx.Response:
        return self.post(REFRESH_PATH, **kwargs)

    @property
    def access_token(self) -> str | None:
        return self.client.cookies.get("sAccessToken")

    @property
    def refresh_token(self) -> str | None:
        return self.client.cookies.get("sRefreshToken")

    @property
    def claims(self) -> dict[str, Any]:
        token = self.access_token
        assert token is not None, "no access-token cookie"
        return jwt_payload(token)

    def clone(self) -> Browser:
        """Another tab of the same browser: a copy of the cookies and the anti-CSRF token."""
        other = Browser(str(self.client.base_url), anti_csrf=self.anti_csrf)
        for cookie in self.client.cookies.jar:
            other.client.cookies.jar.set_cookie(cookie)
        other.front = self.front
        return other
