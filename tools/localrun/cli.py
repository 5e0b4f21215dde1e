"""``python -m tools.localrun serve | invoke FUNCTION -e EVENT.json | events``.

serve and invoke read template.yaml, start DynamoDB Local in memory (unless ``--dynamodb-endpoint``
names one already running), create the template's tables and call the same handlers Lambda would.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools.localrun.dynamodb import create_tables, running_dynamodb
from tools.localrun.events import TABLE, case_for, load_cases, render
from tools.localrun.runtime import (
    DEFAULT_API_KEY,
    DEFAULT_MAX_ENVIRONMENTS,
    Functions,
    configure_environment,
    function_output,
)
from tools.localrun.template import ParameterError, Template


class UsageError(Exception):
    """Printed as one line, ``python -m tools.localrun COMMAND: error: ...``, exit status 2."""


def progress(message: str) -> None:
    """What a slow step is doing, on stderr (stdout is the response of ``invoke``)."""
    print(f"localrun: {message}", file=sys.stderr, flush=True)


def _api_key(arguments: argparse.Namespace) -> str:
    return str(arguments.api_key or os.environ.get("AUTHSTATE_API_KEYS") or DEFAULT_API_KEY)


def _stop_on_sigterm() -> None:
    """SIGTERM (e.g. `kill`, or a test fixture's terminate) stops like Ctrl-C, so DynamoDB Local stops too."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _check_endpoint(endpoint: str) -> None:
    """``--dynamodb-endpoint`` is a URL with its scheme (botocore's own error is a traceback)."""
    parts = urlsplit(endpoint)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--dynamodb-endpoint {endpoint!r} is not a URL: write it with its scheme and port,"
            " e.g. http://127.0.0.1:8000"
        )


def _tables(endpoint: str, template: Template, *, given: bool) -> list[str]:
    """The template's tables on ``endpoint``; for an endpoint the user gave, one line if none answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return create_tables(endpoint, template)
    except (BotoCoreError, ClientError) as error:
        if not given:
            raise
        raise UsageError(
            f"no DynamoDB answers at {endpoint} ({type(error).__name__}): start DynamoDB Local there"
            " (the endpoint in `make run`'s banner is one), or leave out --dynamodb-endpoint to start"
            " a fresh one"
        ) from None


@contextlib.contextmanager
def _storage(endpoint: str | None, template: Template) -> Iterator[str]:
    """DynamoDB (Local) with the template's tables, saying what it does on the way."""
    started = time.monotonic()
    if endpoint:
        _check_endpoint(endpoint)
        progress(f"using DynamoDB at {endpoint}")
    else:
        progress("starting DynamoDB Local (Java, in memory) ...")
    with running_dynamodb(endpoint, quiet=True) as url:
        if not endpoint:
            progress(f"DynamoDB Local is up on {url} ({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        progress(f"creating the template's tables ({len(template.tables())}) ...")
        names = _tables(url, template, given=bool(endpoint))
        progress(f"tables ready: {', '.join(names)} ({time.monotonic() - started:.1f} s)")
        yield url


def _port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` as the server will fails because something listens there."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as socketserver binds
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _check_port(host: str, port: int) -> None:
    """Before DynamoDB Local starts: a port in use is one line naming another that is free."""
    if port == 0 or not _port_in_use(host, port):
        return
    other = next((candidate for candidate in range(8080, 8100) if not _port_in_use(host, candidate)), 0)
    how = f"PORT={other} make run" if os.environ.get("MAKELEVEL") else f"--port {other}"
    raise UsageError(f"port {port} is in use: {how}")


def banner(
    url: str, api_key: str, dynamodb: str, *, started_dynamodb: bool, access_log: bool, metrics: bool
) -> str:
    """What ``serve`` prints once it serves: where everything is. The API key only if it is the
    default local one (a key of your own is not printed)."""
    key = (
        f"{api_key}   (as the api-key header, or Authorization: Bearer {api_key})"
        if api_key == DEFAULT_API_KEY
        else "yours, from --api-key or AUTHSTATE_API_KEYS (not shown)"
    )
    storage = (
        "DynamoDB Local, in memory: gone when the server stops"
        if started_dynamodb
        else "the one given with --dynamodb-endpoint"
    )
    stops = "the server and DynamoDB Local" if started_dynamodb else "the server"
    return (
        "\nauthstate local API: every route of template.yaml, as API Gateway HTTP API and Lambda serve them\n"
        f"  API          {url}\n"
        f"  Swagger UI   {url}/docs\n"
        f"  OpenAPI      {url}/openapi.json\n"
        f"  API key      {key}\n"
        f"  DynamoDB     {dynamodb}   ({storage})\n"
        "               share it: python -m tools.localrun invoke FUNCTION -e EVENT"
        f" --dynamodb-endpoint {dynamodb}\n"
        f"Functions start on their first request (cold start). Ctrl-C stops {stops}.\n"
        + ("Access log below (--quiet: none); " if access_log else "No access log (--quiet); ")
        + (
            "Powertools metrics shown (--metrics).\n"
            if metrics
            else "Powertools metrics hidden (--metrics shows them).\n"
        )
    )


def _template(arguments: argparse.Namespace) -> Template:
    try:
        return Template.load(parameter_overrides=dict(arguments.parameter_overrides or []))
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _parameter(text: str) -> tuple[str, str]:
    """``Name=Value``, or sam's long form ``ParameterKey=Name,ParameterValue=Value``."""
    if text.startswith("ParameterKey="):
        key, _, value = text.partition(",")
        return key.removeprefix("ParameterKey="), value.removeprefix("ParameterValue=")
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected Name=Value, got {text!r}")
    return name, value


def serve(arguments: argparse.Namespace) -> int:
    from tools.localrun.server import make_server

    _stop_on_sigterm()

    template = _template(arguments)
    _check_port(arguments.host, arguments.port)
    with _storage(arguments.dynamodb_endpoint, template) as endpoint:
        api_key = _api_key(arguments)
        configure_environment(template, endpoint, api_key, metrics=arguments.metrics)
        if arguments.log_level:
            os.environ["POWERTOOLS_LOG_LEVEL"] = arguments.log_level
        progress(f"starting the HTTP server on {arguments.host}:{arguments.port} ...")
        functions = Functions(
            template,
            isolated=True,
            max_environments=arguments.max_environments,
            test_clock=arguments.test_clock,
        )
        server = make_server(template, functions, arguments.host, arguments.port, arguments.quiet)
        url = f"http://{arguments.host}:{server.server_port}"
        text = banner(
            url,
            api_key,
            endpoint,
            started_dynamodb=not arguments.dynamodb_endpoint,
            access_log=not arguments.quiet,
            metrics=arguments.metrics,
        )
        print(text, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            progress("stopping" + ("" if arguments.dynamodb_endpoint else " (DynamoDB Local too)") + " ...")
            server.server_close()
            functions.close()
    return 0


def _read_event(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read the event file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the event file {path} is not UTF-8 text") from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"the event file {path} is not JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(event, dict):
        raise UsageError(f"the event file {path} is not a JSON object (an API Gateway HTTP API event)")
    missing = _missing_v2_fields(event)
    if missing:
        raise UsageError(
            f"the event file {path} is not an API Gateway v2 event (HTTP API, payload format 2.0):"
            f" it lacks {', '.join(missing)}; start from one of events/*.json"
            " (python -m tools.localrun events)"
        )
    return event


def _missing_v2_fields(event: dict[str, Any]) -> list[str]:
    """What an API Gateway HTTP API payload-2.0 event always has, and the handlers read, if absent."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    present = {
        '"version": "2.0"': event.get("version") == "2.0",
        "routeKey": isinstance(event.get("routeKey"), str),
        "rawPath": isinstance(event.get("rawPath"), str),
        "requestContext.http.method": isinstance(http, dict) and isinstance(http.get("method"), str),
    }
    return [name for name, found in present.items() if not found]


def _check_invocation(template: Template, function: str, event_file: Path) -> dict[str, Any]:
    """Everything that can be wrong before anything starts: the function, the file, the route."""
    known = [spec.logical_id for spec in template.functions()]
    if function not in known:
        raise UsageError(f"no function {function!r} in template.yaml; known: {', '.join(known)}")
    event = _read_event(event_file)
    route_key = event.get("routeKey")
    if isinstance(route_key, str):
        serving = template.function_serving(route_key)
        if serving is not None and serving != function:
            raise UsageError(
                f"the event's routeKey {route_key!r} is served by {serving}, not {function}"
                f" (python -m tools.localrun invoke {serving} -e {event_file})"
            )
    return event


def invoke(arguments: argparse.Namespace) -> int:
    template = _template(arguments)
    event_file = Path(arguments.event)
    event = _check_invocation(template, arguments.function, event_file)
    try:
        case = case_for(event_file)
    except (OSError, ValueError):  # the table is a help, not a precondition
        case = None
    if case is not None:
        progress(
            f"{TABLE.parent.name}/{TABLE.name}: {case.file} is expected to answer {case.expect} ({case.why})"
        )
    with _storage(arguments.dynamodb_endpoint, template) as endpoint:
        configure_environment(template, endpoint, _api_key(arguments), metrics=arguments.metrics)
        # As with `sam local invoke`: the function's own output (logs, metrics) goes to stderr,
        # the response alone to stdout.
        with contextlib.redirect_stdout(function_output(sys.stderr)):
            response = Functions(template).invoke(arguments.function, event)
            sys.stdout.flush()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def events(arguments: argparse.Namespace) -> int:
    print(render(load_cases()), end="")
    print(
        f"\n(from {TABLE.parent.name}/{TABLE.name})  python -m tools.localrun invoke FUNCTION -e events/EVENT"
    )
    return 0


class _ListEvents(argparse.Action):
    """``invoke --list``: print the events table and exit, whatever else is (not) given."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        events(argparse.Namespace())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.localrun", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="serve every HttpApi route of template.yaml")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=3000)
    serve_parser.add_argument("--quiet", action="store_true", help="no access log")
    serve_parser.add_argument("--log-level", help="override the functions' POWERTOOLS_LOG_LEVEL (e.g. DEBUG)")
    serve_parser.add_argument(
        "--max-environments",
        type=_positive,
        default=DEFAULT_MAX_ENVIRONMENTS,
        help="execution environments (worker processes) per function at most; more requests at once wait"
        f" for a free one, as under a Lambda reserved concurrency (default: {DEFAULT_MAX_ENVIRONMENTS})",
    )
    serve_parser.add_argument(
        "--test-clock",
        action="store_true",
        help='for tests: PUT /_localrun/clock {"offsetSeconds": N} sets the functions\' clock N seconds'
        " ahead of the wall clock (a reuse window, a key cache or an expiry passes at once)",
    )
    serve_parser.set_defaults(run=serve)

    invoke_parser = commands.add_parser(
        "invoke",
        help="invoke one function with an event file (like sam local invoke)",
        description="Invoke one function with an event file: the response on stdout, its logs on stderr.",
    )
    invoke_parser.add_argument("function", help="logical id in template.yaml, e.g. UserMetadataFunction")
    invoke_parser.add_argument(
        "-e",
        "--event",
        required=True,
        help="event JSON file (API Gateway HTTP API payload v2), e.g. events/*.json",
    )
    invoke_parser.add_argument(
        "--list",
        nargs=0,
        action=_ListEvents,
        help="list events/*.json: function, expected status, why; then exit",
    )
    invoke_parser.set_defaults(run=invoke)

    events_parser = commands.add_parser("events", help="list events/*.json: function, expected status, why")
    events_parser.set_defaults(run=events)

    for sub in (serve_parser, invoke_parser):
        sub.add_argument(
            "--dynamodb-endpoint",
            metavar="URL",
            help="use this DynamoDB (Local) instead of starting a fresh in-memory one; pass the endpoint"
            " `make run` prints in its banner to share the running server's state (sessions, metadata,"
            " signing keys)",
        )
        sub.add_argument("--api-key", help=f"API key the functions accept (default: {DEFAULT_API_KEY})")
        sub.add_argument(
            "--parameter-overrides",
            nargs="+",
            type=_parameter,
            metavar="NAME=VALUE",
            help="template parameters instead of their defaults, as with sam"
            " (e.g. AccessTokenTtlSeconds=60 RefreshReuseWindowSeconds=0)",
        )
        sub.add_argument(
            "--metrics", action="store_true", help="print the functions' Powertools (EMF) metric lines too"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except UsageError as error:
        print(f"python -m tools.localrun {arguments.command}: error: {error}", file=sys.stderr)
        return 2
