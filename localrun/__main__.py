"""``python -m localrun serve`` and ``python -m localrun invoke FUNCTION -e EVENT.json``.

Both read template.yaml, start DynamoDB Local in memory (unless ``--dynamodb-endpoint`` names one
already running), create the template's tables and call the same handlers Lambda would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from localrun.dynamodb import create_tables, running_dynamodb
from localrun.runtime import DEFAULT_API_KEY, Functions, configure_environment
from localrun.template import Template


def _api_key(arguments: argparse.Namespace) -> str:
    return str(arguments.api_key or os.environ.get("AUTHSTATE_API_KEYS") or DEFAULT_API_KEY)


def _stop_on_sigterm() -> None:
    """SIGTERM (e.g. `kill`, or a test fixture's terminate) stops like Ctrl-C, so DynamoDB Local stops too."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def serve(arguments: argparse.Namespace) -> int:
    from localrun.server import make_server

    _stop_on_sigterm()

    template = Template.load()
    with running_dynamodb(arguments.dynamodb_endpoint) as endpoint:
        create_tables(endpoint, template)
        api_key = _api_key(arguments)
        configure_environment(template, endpoint, api_key)
        if arguments.log_level:
            os.environ["POWERTOOLS_LOG_LEVEL"] = arguments.log_level
        functions = Functions(template, isolated=True)
        server = make_server(template, functions, arguments.host, arguments.port, arguments.quiet)
        url = f"http://{arguments.host}:{server.server_port}"
        shown_key = api_key if api_key == DEFAULT_API_KEY else "(the one you set)"
        print(f"authstate local API on {url}  (DynamoDB Local: {endpoint})", flush=True)
        print(f"API key: {shown_key}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            functions.close()
    return 0


def invoke(arguments: argparse.Namespace) -> int:
    template = Template.load()
    event = json.loads(Path(arguments.event).read_text()) if arguments.event else {}
    with running_dynamodb(arguments.dynamodb_endpoint) as endpoint:
        create_tables(endpoint, template)
        configure_environment(template, endpoint, _api_key(arguments))
        # As with `sam local invoke`: the function's own output (logs, metrics) goes to stderr,
        # the response alone to stdout.
        with contextlib.redirect_stdout(sys.stderr):
            response = Functions(template).invoke(arguments.function, event)
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="serve every HttpApi route of template.yaml")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=3000)
    serve_parser.add_argument("--quiet", action="store_true", help="no access log")
    serve_parser.add_argument("--log-level", help="override the functions' POWERTOOLS_LOG_LEVEL (e.g. DEBUG)")
    serve_parser.set_defaults(run=serve)

    invoke_parser = commands.add_parser("invoke", help="invoke one function with an event file")
    invoke_parser.add_argument("function", help="logical id in template.yaml, e.g. UserMetadataFunction")
    invoke_parser.add_argument("-e", "--event", help="event JSON file (API Gateway HTTP API payload v2)")
    invoke_parser.set_defaults(run=invoke)

    for sub in (serve_parser, invoke_parser):
        sub.add_argument("--dynamodb-endpoint", help="use this DynamoDB (Local) instead of starting one")
        sub.add_argument("--api-key", help=f"API key the functions accept (default: {DEFAULT_API_KEY})")

    arguments = parser.parse_args(argv)
    return int(arguments.run(arguments))


if __name__ == "__main__":
    sys.exit(main())
