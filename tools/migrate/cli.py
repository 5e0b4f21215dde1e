"""``authstate-migrate``: move a SuperTokens core's sessions, keys and user metadata into authstate, so
that nobody is signed out at the switch (README "Moving from a SuperTokens core").

    authstate-migrate import   --database-url postgresql://reader@db/supertokens   (first run, catch-ups)
    authstate-migrate hold     --minutes 30 | --off
    authstate-migrate check    --refresh-token "$sRefreshToken" --access-token "$sAccessToken"
    authstate-migrate retire   --yes

authstate's tables: --sessions-table, --metadata-table and --signing-keys-table (or SESSIONS_TABLE,
USER_METADATA_TABLE and SIGNING_KEYS_TABLE, as the functions read them), in the AWS account and region of
the environment (or --dynamodb-endpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from authstate.errors import AuthstateError
from authstate.storage.table import Table
from tools.migrate.check import check
from tools.migrate.importer import Importer, ImportFailed, Options, Outcome, Progress
from tools.migrate.ledger import Ledger
from tools.migrate.source import CoreDatabase, SourceError, TableNames, redacted
from tools.migrate.target import Target

PROGRAM = "authstate-migrate"


class UsageError(Exception):
    pass


def _environment(name: str) -> str | None:
    value = os.environ.get(name)
    return value or None


def _dynamodb(arguments: argparse.Namespace) -> Any:
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "config": Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
    }
    if arguments.region:
        options["region_name"] = arguments.region
    if arguments.dynamodb_endpoint:
        options["endpoint_url"] = arguments.dynamodb_endpoint
        options.setdefault("region_name", "us-east-1")
        if not os.environ.get("AWS_ACCESS_KEY_ID"):  # DynamoDB Local takes any credentials
            options["aws_access_key_id"] = options["aws_secret_access_key"] = "local"  # noqa: S105
    return boto3.client("dynamodb", **options)


def _tables(arguments: argparse.Namespace) -> tuple[Table, Table, Table]:
    names = {
        "sessions": arguments.sessions_table or _environment("SESSIONS_TABLE"),
        "metadata": arguments.metadata_table or _environment("USER_METADATA_TABLE"),
        "signing keys": arguments.signing_keys_table or _environment("SIGNING_KEYS_TABLE"),
    }
    missing = [name for name, value in names.items() if value is None]
    if missing:
        raise UsageError(
            f"authstate's {', '.join(missing)} table is not named: --sessions-table, --metadata-table, "
            "--signing-keys-table (or SESSIONS_TABLE, USER_METADATA_TABLE, SIGNING_KEYS_TABLE)"
        )
    client = _dynamodb(arguments)
    return (
        Table(str(names["sessions"]), lambda: client),
        Table(str(names["metadata"]), lambda: client),
        Table(str(names["signing keys"]), lambda: client),
    )


def _target(arguments: argparse.Namespace) -> Target:
    return Target(*_tables(arguments))


class _Bar(Progress):
    """A rich progress bar on stderr (nothing when stderr is not a terminal, or with --no-progress)."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, disable=not enabled or not console.is_terminal,
        )  # fmt: skip
        self._task: Any = None

    def __enter__(self) -> _Bar:
        self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.stop()

    def phase(self, name: str, total: int | None) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total or 0)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, rows)


def _print_outcome(outcome: Outcome, report: dict[str, Any], path: Path) -> None:
    lines = [
        f"{'DRY RUN (nothing written): ' if report['dryRun'] else ''}import run {outcome.run} of app "
        f"{report['appId']!r} from {report['source']}{' (resumed)' if outcome.resumed else ''}",
    ]
    lines += [f"  {name:<48} {count}" for name, count in sorted(outcome.counts.items())]
    if outcome.hold_until is not None and outcome.hold_until > time.time():
        until = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(outcome.hold_until))
        lines.append(f"  cutover hold until {until}")
    lines.append(f"  not imported: {len(report['refused'])} rows; other notes: {len(report['notes'])}")
    lines.append(f"  report: {path}")
    print("\n".join(lines))


def command_import(arguments: argparse.Namespace) -> int:
    url = arguments.database_url or _environment("AUTHSTATE_MIGRATE_DATABASE_URL")
    if not url:
        raise UsageError("--database-url (or AUTHSTATE_MIGRATE_DATABASE_URL) is required")
    tables = TableNames.resolve(
        prefix=arguments.table_prefix,
        session_info=arguments.session_info_table,
        key_value=arguments.key_value_table,
    )
    options = Options(
        app_id=arguments.app_id,
        claims_cap=arguments.max_custom_claims_bytes,
        core_access_token_validity=arguments.core_access_token_validity,
        batch=arguments.batch_size,
        hold_minutes=arguments.hold,
        dry_run=arguments.dry_run,
    )
    state = Path(arguments.state)
    ledger = Ledger.scratch_copy(state) if options.dry_run else Ledger.open(state)
    source_name = f"{redacted(url)} app {options.app_id}"
    try:
        ledger.bind(source_name)
        target = None if options.dry_run else _target(arguments)
        with (
            CoreDatabase(url, tables, schema=arguments.schema) as source,
            _Bar(not arguments.no_progress) as bar,
        ):
            outcome = Importer(source, target, ledger, options, progress=bar).run()
    except ValueError as error:
        raise UsageError(str(error)) from None
    finally:
        ledger.close()
    report = outcome.report(source=redacted(url), options=options)
    path = Path(arguments.report)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _print_outcome(outcome, report, path)
    return 0


def command_hold(arguments: argparse.Namespace) -> int:
    until = None if arguments.off else int(time.time()) + 60 * arguments.minutes
    key = _target(arguments).set_hold(until)
    if key is None:
        raise UsageError("nothing is imported yet: `authstate-migrate import --hold MINUTES` sets the hold")
    print(
        "cutover hold off"
        if until is None
        else f"cutover hold until {time.strftime('%H:%M:%S', time.localtime(until))}"
    )
    return 0


def command_check(arguments: argparse.Namespace) -> int:
    sessions, _, keys = _tables(arguments)
    refresh = arguments.refresh_token or _environment("SREFRESHTOKEN")
    if not refresh:
        raise UsageError("--refresh-token (the sRefreshToken cookie's value) is required")
    verdict = check(
        refresh,
        arguments.access_token,
        sessions=sessions,
        keys=keys,
        access_token_ttl_seconds=arguments.core_access_token_validity,
    )
    print("\n".join(verdict.lines))
    print("SIGNED IN after the switch: " + ("yes" if verdict.signed_in else "NO"))
    return 0 if verdict.signed_in else 1


def command_retire(arguments: argparse.Namespace) -> int:
    if not arguments.yes:
        raise UsageError("retire deletes the imported refresh-token key and public keys now: add --yes")
    gone = _target(arguments).retire()
    print(f"retired: {gone} items deleted (core tokens are refused from now on)")
    return 0


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("authstate's tables")
    group.add_argument("--sessions-table", help="SessionsTable's name (default: $SESSIONS_TABLE)")
    group.add_argument("--metadata-table", help="UserMetadataTable's name (default: $USER_METADATA_TABLE)")
    group.add_argument("--signing-keys-table", help="SigningKeysTable's name (default: $SIGNING_KEYS_TABLE)")
    group.add_argument("--dynamodb-endpoint", help="a DynamoDB endpoint URL (e.g. DynamoDB Local)")
    group.add_argument("--region", help="the AWS region (default: the environment's)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog=PROGRAM, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imports = commands.add_parser(
        "import",
        help="import (or catch up on) one app's sessions, keys and metadata",
        description=(
            "Read one app's unexpired sessions, its refresh-token key, the public halves of its signing "
            "keys and its user metadata from a SuperTokens core's PostgreSQL or MySQL/MariaDB database (read "
            "only, one snapshot) and write them into authstate's tables. Idempotent and resumable; run it "
            "again after the switch to catch up: it never overwrites what authstate changed since, never "
            "brings back what authstate revoked, and deletes what the core revoked. Ends with a report of "
            "every row not imported and why."
        ),
    )
    source = imports.add_argument_group("the core's database")
    source.add_argument(
        "--database-url",
        help="postgresql://USER:PASSWORD@HOST:PORT/DB or mysql://... (mariadb://...; ?unix_socket=PATH); "
        "default: $AUTHSTATE_MIGRATE_DATABASE_URL. A read-only role is enough.",
    )
    source.add_argument("--app-id", default="public", help="the core app to import (default: public)")
    source.add_argument("--table-prefix", default="", help="the plugin's *_table_names_prefix")
    source.add_argument(
        "--schema", default="public", help="PostgreSQL: postgresql_table_schema (default: public)"
    )
    source.add_argument("--session-info-table", help="the plugin's *_session_info_table_name, if set")
    source.add_argument("--key-value-table", help="the plugin's *_key_value_table_name, if set")
    _add_target_options(imports)
    run = imports.add_argument_group("the run")
    run.add_argument(
        "--dry-run", action="store_true", help="read and report; write nothing (not even --state)"
    )
    run.add_argument(
        "--state", default="authstate-migrate.sqlite", help="the importer's state file (keep it)"
    )
    run.add_argument("--report", default="authstate-migrate-report.json", help="where the report is written")
    run.add_argument("--hold", type=int, metavar="MINUTES", help="also hold the cutover for MINUTES")
    run.add_argument(
        "--max-custom-claims-bytes",
        type=int,
        default=4096,
        help="authstate's MaxCustomClaimsBytes (default 4096)",
    )
    run.add_argument(
        "--core-access-token-validity",
        type=int,
        default=3600,
        help="the core's access_token_validity in seconds (default 3600): its public keys verify that long",
    )
    run.add_argument("--batch-size", type=int, default=500, help="rows per read and per state commit")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    imports.set_defaults(handler=command_import)

    hold = commands.add_parser(
        "hold",
        help="hold the cutover (or end the hold)",
        description=(
            "While the cutover holds, a core refresh token that the import does not match yet (a session "
            "created or refreshed on the core after the last import) is answered 503 CUTOVER_IN_PROGRESS, "
            "which the SDKs pass on as an error, instead of a sign-out or theft. End it after the catch-up."
        ),
    )
    choice = hold.add_mutually_exclusive_group(required=True)
    choice.add_argument("--minutes", type=int, help="hold for this many minutes from now")
    choice.add_argument("--off", action="store_true", help="end the hold now")
    _add_target_options(hold)
    hold.set_defaults(handler=command_hold)

    checks = commands.add_parser(
        "check",
        help="will the staged import keep this browser signed in?",
        description=(
            "Give it your own browser's cookies from the app still running on the core (sRefreshToken, and "
            "sAccessToken): it checks them against the import staged in authstate's tables, with authstate's "
            "own code, writing nothing. Exit status 0 if the session would survive the switch."
        ),
    )
    checks.add_argument("--refresh-token", help="the sRefreshToken cookie's value (default: $SREFRESHTOKEN)")
    checks.add_argument("--access-token", help="the sAccessToken cookie's value")
    checks.add_argument("--core-access-token-validity", type=int, default=3600, help=argparse.SUPPRESS)
    _add_target_options(checks)
    checks.set_defaults(handler=command_check)

    retire = commands.add_parser(
        "retire",
        help="delete the imported key and public keys now",
        description=(
            "The imported refresh-token key expires with the last imported session and the public keys one "
            "core access-token lifetime after the last import, by themselves. This deletes them now: core "
            "tokens are refused from then on (sessions already refreshed in authstate are not affected)."
        ),
    )
    retire.add_argument("--yes", action="store_true", help="really")
    _add_target_options(retire)
    retire.set_defaults(handler=command_retire)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return int(arguments.handler(arguments))
    except UsageError as error:
        print(f"{PROGRAM} {arguments.command}: error: {error}", file=sys.stderr)
        return 2
    except (SourceError, ImportFailed) as error:
        print(f"{PROGRAM} {arguments.command}: {error}", file=sys.stderr)
        return 1
    except AuthstateError as error:
        print(
            f"{PROGRAM} {arguments.command}: authstate's tables: {error.code}: {error.message}",
            file=sys.stderr,
        )
        return 1
