"""No secret ever reaches the logs: tokens, the API key, private keys (server logs at DEBUG)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.conftest import API_KEY, Api


def rejections(log: Path) -> int:
    return log.read_text(errors="replace").count('"message":"request rejected"')


def test_logs_hold_no_token_key_or_private_key(api: Api, server_log: Path, unique_id: str) -> None:
    before = rejections(server_log)
    created = api.call("POST", "/sessions", json={"userId": unique_id, "enableAntiCsrf": True}).json()
    access, refresh = created["accessToken"]["token"], created["refreshToken"]["token"]
    csrf = created["antiCsrfToken"]
    api.call(
        "POST", "/sessions/verify", json={"accessToken": access, "antiCsrfToken": csrf, "checkDatabase": True}
    )
    api.call("POST", "/sessions/verify", json={"accessToken": access})  # anti-CSRF failure
    api.call("POST", "/sessions/verify", json={"accessToken": access[:-5] + "AAAAA"})  # bad signature
    merged = api.call(
        "POST", "/sessions/merge", json={"accessToken": access, "update": {"a": 1}, "antiCsrfToken": csrf}
    )
    child = api.call("POST", "/sessions/refresh", json={"refreshToken": refresh}).json()
    api.call("POST", "/sessions/refresh", json={"refreshToken": child["refreshToken"]["token"]})
    api.call("POST", "/sessions/refresh", json={"refreshToken": refresh})  # theft
    api.call("POST", "/sessions/refresh", json={"refreshToken": refresh[:-3] + "xyz"})  # forged
    api.call("GET", "/users/x/metadata", key=API_KEY[:-1] + "?")  # wrong key
    api.call("GET", "/.well-known/jwks.json", key=None)
    # The five refusals above (anti-CSRF, signature, theft, forgery, key) are logged once each: wait
    # until they are all in the log, so it holds everything these requests made the server write.
    deadline = time.monotonic() + 30
    while rejections(server_log) < before + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rejections(server_log) >= before + 5  # the log is really being captured

    log = server_log.read_text(errors="replace")
    secrets = {
        "API key": API_KEY,
        "access token": access,
        "access token signature": access.rsplit(".", 1)[1],
        "merged access token": merged.json()["accessToken"]["token"].rsplit(".", 1)[1],
        "refresh token": refresh,
        "refresh token secret": refresh.split(".")[3],
        "child refresh token": child["refreshToken"]["token"].split(".")[3],
        "anti-CSRF token": csrf,
    }
    leaked = [name for name, secret in secrets.items() if secret in log]
    assert leaked == []
    assert "PRIVATE KEY" not in log
