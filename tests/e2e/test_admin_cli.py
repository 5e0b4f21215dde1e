"""authstate-admin against the local server over HTTP, run as an operator runs it (a process; the
installed console script once). Each test makes its own users and sessions through the API, runs one
command and asserts its exact answer (``--json``) or its text, its exit status and its stderr.
The emergency rotation is in tests/e2e/test_key_rotation.py (it retires every key: a DynamoDB of its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import API_KEY, Api, with_forged_signature

CONSOLE_SCRIPT = Path(sys.executable).parent / "authstate-admin"


def admin(
    server_url: str,
    *arguments: str,
    stdin: str | None = None,
    key: str = API_KEY,
    tmp: Path | None = None,
    script: bool = False,
    extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a process, configured by the environment alone (no profile file of the machine's)."""
    command = [str(CONSOLE_SCRIPT)] if script else [sys.executable, "-m", "tools.admin"]
    environ = {
        "PATH": "/usr/bin:/bin",
        "AUTHSTATE_URL": server_url,
        "AUTHSTATE_API_KEY": key,
        "AUTHSTATE_ADMIN_CONFIG": str((tmp or Path("/nonexistent")) / "admin.toml"),
        **(extra or {}),
    }
    return subprocess.run(  # noqa: S603 - our own CLI
        [*command, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def answer(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def create(
    api: Api, user: str, payload: dict[str, Any] | None = None, tenant: str = "public"
) -> dict[str, Any]:
    body = {
        "userId": user,
        "tenantId": tenant,
        "accessTokenPayload": payload or {},
        "sessionData": {"cart": 1},
    }
    created = api.call("POST", "/sessions", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def test_the_console_script_is_installed_and_lists_a_users_sessions_with_claims_and_times(
    api: Api, server_url: str, unique_id: str
) -> None:
    first = create(api, unique_id, {"role": "admin"})
    second = create(api, unique_id, {"role": "viewer", "n": 2}, tenant="t2")

    listed = answer(admin(server_url, "sessions", "list", unique_id, "--json", script=True))

    expected = []
    for created in (first, second):
        handle = created["session"]["handle"]
        session = api.call("GET", f"/sessions/{handle}").json()["session"]
        session.pop("sessionData")
        expected.append(session)
    assert listed == {"userId": unique_id, "sessions": expected}
    assert [s["accessTokenPayload"] for s in listed["sessions"]] == [
        {"role": "admin"},
        {"n": 2, "role": "viewer"},
    ]
    assert all(s["expiry"] > s["createdTime"] > 0 for s in listed["sessions"])


def test_sessions_list_as_text_with_a_tenant_and_progress_on_stderr(
    api: Api, server_url: str, unique_id: str
) -> None:
    create(api, unique_id, {"role": "admin"})
    mine = create(api, unique_id, {"plan": "pro"}, tenant="t2")

    result = admin(server_url, "sessions", "list", unique_id, "--tenant", "t2", "--data")

    assert result.returncode == 0, result.stderr
    assert result.stderr == f"authstate-admin: 1 session(s) of {unique_id}; reading each ...\n"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{mine['session']['handle']}  tenant t2  created 20")
    assert " expires 20" in lines[0]
    assert lines[1] == '    claims {"plan":"pro"}'


def test_sessions_show_revoke_and_revoke_all(api: Api, server_url: str, unique_id: str) -> None:
    one, two, three = (create(api, unique_id) for _ in range(3))
    handle = one["session"]["handle"]

    shown = answer(admin(server_url, "sessions", "show", handle, "--json"))
    assert shown == api.call("GET", f"/sessions/{handle}").json()["session"]
    assert answer(admin(server_url, "sessions", "revoke", handle, "--json")) == {
        "handle": handle,
        "revoked": True,
    }
    assert api.call("GET", f"/sessions/{handle}").status_code == 404
    again = admin(server_url, "sessions", "revoke", handle)
    assert (again.returncode, again.stdout) == (0, f"no session {handle} (nothing revoked)\n")

    revoked = answer(admin(server_url, "sessions", "revoke-all", unique_id, "--json"))
    assert revoked == {
        "userId": unique_id,
        "revokedSessionHandles": sorted([two["session"]["handle"], three["session"]["handle"]]),
    }
    for created in (two, three):
        assert api.call("GET", f"/sessions/{created['session']['handle']}").status_code == 404


def test_metadata_merge_inline_from_a_file_and_from_stdin_then_get(
    api: Api, server_url: str, unique_id: str, tmp_path: Path
) -> None:
    assert answer(admin(server_url, "metadata", "get", unique_id, "--json")) == {}
    merged = answer(
        admin(server_url, "metadata", "merge", unique_id, '{"plan": "pro", "tags": ["a"]}', "--json")
    )
    assert merged == {"plan": "pro", "tags": ["a"]}
    update = tmp_path / "update.json"
    update.write_text('{"tags": null, "limits": {"seats": 5}}')
    merged = answer(admin(server_url, "metadata", "merge", unique_id, f"@{update}", "--json"))
    assert merged == {"limits": {"seats": 5}, "plan": "pro"}
    merged = answer(
        admin(server_url, "--json", "metadata", "merge", unique_id, "-", stdin='{"plan": "team"}')
    )
    assert merged == {"limits": {"seats": 5}, "plan": "team"}
    assert answer(admin(server_url, "metadata", "get", unique_id, "--json")) == merged
    assert api.call("GET", f"/users/{unique_id}/metadata").json() == {"metadata": merged}


def test_token_inspect_names_the_key_the_times_and_the_claims(
    api: Api, server_url: str, unique_id: str
) -> None:
    created = create(api, unique_id, {"role": "admin"})
    token = created["accessToken"]["token"]
    kids = [key["kid"] for key in api.call("GET", "/.well-known/jwks.json", key=None).json()["keys"]]

    report = answer(admin(server_url, "token", "inspect", "--json", stdin=token))

    assert report["kid"] in kids
    assert {k: v for k, v in report.items() if k not in ("kid", "claims", "expiresInSeconds")} == {
        "valid": True,
        "error": None,
        "keyInJwks": True,
        "sessionHandle": created["session"]["handle"],
        "userId": unique_id,
        "tenantId": "public",
        "issuedAt": created["accessToken"]["createdTime"] // 1000,
        "expiresAt": created["accessToken"]["expiry"] // 1000,
        "customClaims": {"role": "admin"},
    }
    assert 0 < report["expiresInSeconds"] <= 3600
    text = admin(server_url, "token", "inspect", stdin=f"Bearer {token}\n")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == "verdict   valid"
    assert text.stdout.splitlines()[-1] == 'claims    {"role":"admin"}'
    assert token not in text.stdout + text.stderr


def test_token_inspect_of_a_forged_token_says_why_and_exits_1(
    api: Api, server_url: str, unique_id: str
) -> None:
    token = create(api, unique_id)["accessToken"]["token"]
    forged = with_forged_signature(token)

    result = admin(server_url, "token", "inspect", "--json", stdin=forged)

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["valid"], report["keyInJwks"], report["error"]["code"]) == (
        False,
        True,
        "TOKEN_SIGNATURE_INVALID",
    )
    garbage = admin(server_url, "token", "inspect", stdin="not-a-token")
    assert (garbage.returncode, garbage.stdout) == (1, "")
    assert garbage.stderr.startswith("authstate-admin token inspect: not a JWT")


def test_keys_list_is_the_jwks(api: Api, server_url: str) -> None:
    jwks = api.call("GET", "/.well-known/jwks.json", key=None).json()
    result = admin(server_url, "keys", "list")
    assert (result.returncode, result.stdout.split()) == (0, [key["kid"] for key in jwks["keys"]])


@pytest.mark.parametrize(
    ("arguments", "key", "status", "stderr"),
    [
        (("metadata", "get", "someone"), "wrong-key", 1, "authstate-admin metadata get: INVALID_API_KEY: "),
        (
            ("sessions", "show", "5b0e3d2e-7c4b-4a8e-9f3a-0a1b2c3d4e5f"),
            API_KEY,
            1,
            "authstate-admin sessions show: SESSION_NOT_FOUND: ",
        ),
        (
            ("sessions", "show", "not-a-handle"),
            API_KEY,
            1,
            "authstate-admin sessions show: INVALID_SESSION_HANDLE: ",
        ),
        (("sessions", "list"), API_KEY, 2, "usage: authstate-admin sessions list"),
    ],
)
def test_errors_are_one_clear_line_and_a_status(
    server_url: str, arguments: tuple[str, ...], key: str, status: int, stderr: str
) -> None:
    result = admin(server_url, *arguments, key=key)
    assert (result.returncode, result.stdout) == (status, "")
    assert result.stderr.startswith(stderr)
    assert "Traceback" not in result.stderr
    assert key not in result.stderr


def test_an_unreachable_api_is_named(tmp_path: Path) -> None:
    result = admin("http://127.0.0.1:9", "metadata", "get", "someone")
    assert (result.returncode, result.stderr) == (
        1,
        "authstate-admin metadata get: cannot reach http://127.0.0.1:9: is the API running there?"
        " (make run serves it locally)\n",
    )


def test_a_profile_file_configures_it(server_url: str, unique_id: str, tmp_path: Path) -> None:
    (tmp_path / "admin.toml").write_text(f'[ops]\nurl = "{server_url}"\napi_key = "{API_KEY}"\n')
    environ_free = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "tools.admin", "--profile", "ops", "metadata", "get", unique_id, "--json"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "AUTHSTATE_ADMIN_CONFIG": str(tmp_path / "admin.toml")},
        timeout=60,
        check=False,
    )
    assert (environ_free.returncode, json.loads(environ_free.stdout or "null")) == (0, {}), (
        environ_free.stderr
    )
