"""authstate-admin: operate authstate from a terminal or a script.

Where: --url or AUTHSTATE_URL, the API key from AUTHSTATE_API_KEY, or a profile (--profile NAME or
AUTHSTATE_PROFILE) of ~/.config/authstate/admin.toml; --profile local is `make run` as it starts.
Every command takes --json for scripts (the answer on stdout, progress and errors on stderr).
Exit status: 0 done, 1 refused or failed (the message says why), 2 wrong usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from tools.admin import config as configuration
from tools.admin.client import Api, Failure, invoke, segment
from tools.admin.tokens import NotAToken, inspect

PROG = "authstate-admin"
#: Sessions read at once when a user's sessions are listed (one GET each).
READ_CONCURRENCY = 8

type Command = Callable[[argparse.Namespace, Api], int]


class UsageError(Exception):
    """Wrong arguments: one line, exit status 2."""


def progress(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def emit(arguments: argparse.Namespace, data: Any, text: str) -> None:
    """``data`` as JSON with --json, else ``text`` for a person."""
    print(json.dumps(data, indent=2, ensure_ascii=False) if arguments.json else text)


def when(value: Any, unit: float = 1.0) -> str:
    """An epoch time (seconds, or milliseconds with ``unit=1000``) as UTC ISO 8601."""
    if not isinstance(value, int | float):
        return "-"
    return datetime.fromtimestamp(value / unit, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def compact(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def read_json_object(text: str) -> dict[str, Any]:
    """A JSON object from the argument: inline, ``@FILE``, or ``-`` for stdin."""
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as file:
                text = file.read()
        except OSError as error:
            raise UsageError(f"cannot read {text[1:]}: {error.strerror or error}") from None
    try:
        value = json.loads(text)
    except ValueError as error:
        raise UsageError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise UsageError('the update must be a JSON object, e.g. \'{"plan": "pro", "trial": null}\'')
    return value


# -- sessions ------------------------------------------------------------------------------------------


def _session_row(session: dict[str, Any]) -> str:
    return (
        f"{session['handle']}  tenant {session['tenantId']}  created {when(session['createdTime'], 1000)}"
        f"  expires {when(session['expiry'], 1000)}\n    claims {compact(session['accessTokenPayload'])}"
    )


def sessions_list(arguments: argparse.Namespace, api: Api) -> int:
    user = arguments.user
    query = {"tenantId": arguments.tenant} if arguments.tenant else None
    handles: list[str] = api.call("GET", f"/users/{segment(user)}/sessions", query=query)["sessionHandles"]
    progress(f"{len(handles)} session(s) of {user}; reading each ...")

    def read(handle: str) -> dict[str, Any] | None:
        try:
            return dict(api.call("GET", f"/sessions/{segment(handle)}")["session"])
        except Failure as failure:
            if failure.code == "SESSION_NOT_FOUND":  # ended between the listing and the read
                return None
            raise

    with ThreadPoolExecutor(READ_CONCURRENCY) as pool:
        found = [session for session in pool.map(read, handles) if session is not None]
    if not arguments.data:
        for session in found:
            session.pop("sessionData", None)
    found.sort(key=lambda session: session["createdTime"])
    rows = "\n".join(_session_row(session) for session in found) or f"no live sessions of {user}"
    emit(arguments, {"userId": user, "sessions": found}, rows)
    return 0


def sessions_show(arguments: argparse.Namespace, api: Api) -> int:
    session = api.call("GET", f"/sessions/{segment(arguments.handle)}")["session"]
    text = f"user {session['userId']}\n{_session_row(session)}\n    data {compact(session['sessionData'])}"
    emit(arguments, session, text)
    return 0


def sessions_revoke(arguments: argparse.Namespace, api: Api) -> int:
    revoked = bool(api.call("DELETE", f"/sessions/{segment(arguments.handle)}")["revoked"])
    text = f"revoked {arguments.handle}" if revoked else f"no session {arguments.handle} (nothing revoked)"
    emit(arguments, {"handle": arguments.handle, "revoked": revoked}, text)
    return 0


def sessions_revoke_all(arguments: argparse.Namespace, api: Api) -> int:
    query = {"tenantId": arguments.tenant} if arguments.tenant else None
    path = f"/users/{segment(arguments.user)}/sessions"
    handles: list[str] = api.call("DELETE", path, query=query)["revokedSessionHandles"]
    text = f"revoked {len(handles)} session(s) of {arguments.user}" + "".join(f"\n  {h}" for h in handles)
    emit(arguments, {"userId": arguments.user, "revokedSessionHandles": handles}, text)
    return 0


# -- metadata ------------------------------------------------------------------------------------------


def metadata_get(arguments: argparse.Namespace, api: Api) -> int:
    metadata = api.call("GET", f"/users/{segment(arguments.user)}/metadata")["metadata"]
    emit(arguments, metadata, json.dumps(metadata, indent=2, ensure_ascii=False))
    return 0


def metadata_merge(arguments: argparse.Namespace, api: Api) -> int:
    update = read_json_object(arguments.update)
    path = f"/users/{segment(arguments.user)}/metadata"
    metadata = api.call("PATCH", path, body={"metadataUpdate": update})["metadata"]
    emit(arguments, metadata, json.dumps(metadata, indent=2, ensure_ascii=False))
    return 0


# -- tokens and keys -----------------------------------------------------------------------------------


def token_inspect(arguments: argparse.Namespace, api: Api) -> int:
    token = arguments.token
    if token in (None, "-"):
        if sys.stdin.isatty():
            progress(
                "paste the access token, then Ctrl-D (a token on the command line ends up in shell history)"
            )
        token = sys.stdin.read()
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    jwks = api.call("GET", "/.well-known/jwks.json", authenticated=False)
    now = time.time()
    try:
        found = inspect(token, jwks, now)
    except NotAToken as error:
        raise Failure(str(error)) from None
    report = found.as_json(now)
    verdict = "valid" if found.valid else f"invalid: {report['error']['code']} ({report['error']['message']})"
    listed = "listed" if found.key_listed else "NOT listed"
    remaining = report["expiresInSeconds"]
    expiry = "-" if remaining is None else f"in {remaining} s" if remaining >= 0 else f"{-remaining} s ago"
    text = "\n".join(
        [
            f"verdict   {verdict}",
            f"key       {found.kid} ({listed} in the JWKS of {api.base})",
            f"session   {report['sessionHandle']}  user {report['userId']}  tenant {report['tenantId']}",
            f"issued    {when(report['issuedAt'])}",
            f"expires   {when(report['expiresAt'])} ({expiry})",
            f"claims    {compact(report['customClaims'])}",
        ]
    )
    emit(arguments, report, text)
    return 0 if found.valid else 1


def keys_list(arguments: argparse.Namespace, api: Api) -> int:
    jwks = api.call("GET", "/.well-known/jwks.json", authenticated=False)
    kids = [str(key.get("kid")) for key in jwks.get("keys", [])]
    emit(arguments, jwks, "\n".join(kids) or "no keys")
    return 0


def keys_rotate(arguments: argparse.Namespace, api: Api) -> int:
    if not arguments.yes:
        if not sys.stdin.isatty():
            raise UsageError("keys rotate retires every signing key: pass --yes to confirm")
        progress("every access token signed so far will be refused; clients refresh to get new ones.")
        if input("type 'rotate' to go on: ").strip() != "rotate":
            raise UsageError("not confirmed: nothing was rotated")
    progress(f"invoking {api.config.rotation_function} ...")
    answer = invoke(api.config, {"reason": arguments.reason} if arguments.reason else {})
    seconds = answer.get("effectiveWithinSeconds")
    text = (
        f"new signing key {answer['kid']}; retired {', '.join(answer['retiredKids']) or 'none'}\n"
        f"every warm function refuses the retired keys within {seconds} s; clients refresh to get tokens"
        " under the new key (refresh tokens are unaffected)"
    )
    emit(arguments, answer, text)
    return 0


# -- the parser ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    def options(defaults: bool) -> argparse.ArgumentParser:
        """The options every command takes, before or after its name (after it, a given one wins)."""
        shared = argparse.ArgumentParser(
            add_help=False, argument_default=None if defaults else argparse.SUPPRESS
        )
        shared.add_argument("--json", action="store_true", help="print the answer as JSON (for scripts)")
        shared.add_argument("--url", help="the API's base URL (else AUTHSTATE_URL, else the profile's url)")
        shared.add_argument(
            "--profile", help="a profile of the profile file (else AUTHSTATE_PROFILE, else default)"
        )
        return shared

    common = options(defaults=False)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[options(defaults=True)],
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    def command(
        parent: Any, name: str, run: Command, summary: str, description: str | None = None
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=summary, description=description or summary, parents=[common]
        )
        sub.set_defaults(run=run)
        return sub

    sessions = groups.add_parser("sessions", help="a user's sessions: list, show, revoke").add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )
    listing = command(
        sessions,
        "list",
        sessions_list,
        "a user's live sessions with their claims and times",
        "A user's live sessions (the listing is eventually consistent), each read for its claims and times.",
    )
    listing.add_argument("user", help="the user id")
    listing.add_argument("--tenant", help="only this tenant's sessions (default: every tenant)")
    listing.add_argument("--data", action="store_true", help="include each session's data")
    show = command(sessions, "show", sessions_show, "one session: user, claims, data, times")
    show.add_argument("handle", help="the session handle")
    revoke = command(sessions, "revoke", sessions_revoke, "revoke one session")
    revoke.add_argument("handle", help="the session handle")
    revoke_all = command(
        sessions,
        "revoke-all",
        sessions_revoke_all,
        "revoke every session of a user",
        "Revoke every session of a user (logged as the security event user_sessions_revoked).",
    )
    revoke_all.add_argument("user", help="the user id")
    revoke_all.add_argument("--tenant", help="only this tenant's sessions (default: every tenant)")

    metadata = groups.add_parser("metadata", help="a user's metadata: get, merge").add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )
    get = command(metadata, "get", metadata_get, "a user's metadata ({} for an unknown user)")
    get.add_argument("user", help="the user id")
    merge = command(
        metadata,
        "merge",
        metadata_merge,
        "merge into a user's metadata",
        "Merge a JSON object into a user's metadata: root keys overwrite, null removes one, nested objects"
        " are replaced whole. Prints the metadata after the merge.",
    )
    merge.add_argument("user", help="the user id")
    merge.add_argument("update", help="the JSON object, @FILE, or - for stdin")

    token = groups.add_parser("token", help="access tokens: inspect").add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )
    inspecting = command(
        token,
        "inspect",
        token_inspect,
        "decode and verify an access token against the JWKS",
        "Decode an access token and verify it as authstate does, against the API's JWKS: which key signed"
        " it (and whether the JWKS still lists it), its times, its claims. Exit status 1 if it is not valid.",
    )
    inspecting.add_argument("token", nargs="?", help="the token (default, or -: read from stdin)")

    keys = groups.add_parser("keys", help="signing keys: list, rotate").add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )
    command(keys, "list", keys_list, "the key ids the JWKS lists, newest first")
    rotate = command(
        keys,
        "rotate",
        keys_rotate,
        "emergency rotation: a new signing key now, every earlier one retired",
        "Emergency rotation after a suspected key leak: a new signing key signs from now on and every"
        " earlier key is retired, so the access tokens they signed are refused (by every warm function within"
        " SigningKeyCacheSeconds); clients refresh. Invokes the stack's RotateSigningKeysFunction with your"
        " AWS credentials (lambda:InvokeFunction): the API key cannot do this.",
    )
    rotate.add_argument("--yes", action="store_true", help="do it without asking")
    rotate.add_argument("--reason", help="a note logged with the rotation (e.g. a ticket number)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    name = f"{PROG} {arguments.group} {arguments.command}"
    try:
        config = configuration.load(profile=arguments.profile, url=arguments.url)
        api = Api(config)
        try:
            return int(arguments.run(arguments, api))
        finally:
            api.close()
    except (UsageError, configuration.ConfigError) as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 2
    except Failure as failure:
        print(f"{name}: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
