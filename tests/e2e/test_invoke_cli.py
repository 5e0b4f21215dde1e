"""`python -m tools.localrun invoke`'s user interface: one-line errors (exit status 2) before anything
starts, the Python version check, the events table, the response alone on stdout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.localrun.events import load_cases, render
from tools.localrun.template import ROOT, Template

EMF_PREFIX = '{"_aws":'


def localrun(*arguments: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv
        [python, "-m", "tools.localrun", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


def test_an_unknown_function_is_a_one_line_error_listing_the_known_ones(template: Template) -> None:
    known = ", ".join(spec.logical_id for spec in template.functions())
    assert one_line_error(localrun("invoke", "NoSuchFunction", "-e", "events/jwks_get.json")) == (
        2,
        "",
        "python -m tools.localrun invoke: error: no function 'NoSuchFunction' in template.yaml;"
        f" known: {known}\n",
    )


def test_a_missing_event_file_is_a_one_line_error() -> None:
    assert one_line_error(localrun("invoke", "JwksFunction", "-e", "events/no_such_event.json")) == (
        2,
        "",
        "python -m tools.localrun invoke: error: cannot read the event file events/no_such_event.json:"
        " No such file or directory\n",
    )


def test_an_unreadable_event_file_is_a_one_line_error() -> None:
    assert one_line_error(localrun("invoke", "JwksFunction", "-e", "events")) == (
        2,
        "",
        "python -m tools.localrun invoke: error: cannot read the event file events: Is a directory\n",
    )


def test_an_event_file_that_is_not_json_is_a_one_line_error() -> None:
    assert one_line_error(localrun("invoke", "JwksFunction", "-e", "events/README.md")) == (
        2,
        "",
        "python -m tools.localrun invoke: error: the event file events/README.md is not JSON:"
        " Expecting value (line 1)\n",
    )


def test_an_event_that_is_not_an_object_is_a_one_line_error(tmp_path: Path) -> None:
    event = tmp_path / "list.json"
    event.write_text("[]")
    assert one_line_error(localrun("invoke", "JwksFunction", "-e", str(event))) == (
        2,
        "",
        f"python -m tools.localrun invoke: error: the event file {event} is not a JSON object"
        " (an API Gateway HTTP API event)\n",
    )


def test_an_event_of_another_function_names_the_function_that_serves_it() -> None:
    assert one_line_error(localrun("invoke", "JwksFunction", "-e", "events/session_create.json")) == (
        2,
        "",
        "python -m tools.localrun invoke: error: the event's routeKey 'POST /sessions' is served by"
        " CreateSessionFunction, not JwksFunction"
        " (python -m tools.localrun invoke CreateSessionFunction -e events/session_create.json)\n",
    )


def test_the_event_option_is_required() -> None:
    result = localrun("invoke", "JwksFunction")
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        2,
        "python -m tools.localrun invoke: error: the following arguments are required: -e/--event",
    )


def _older_python() -> str | None:
    python3 = shutil.which("python3")
    if python3 is None:
        return None
    version = subprocess.run(  # noqa: S603
        [python3, "-c", "import sys; print(sys.version_info >= (3, 13))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return python3 if version.stdout.strip() == "False" else None


OLDER_PYTHON = _older_python()


@pytest.mark.skipif(OLDER_PYTHON is None, reason="no python3 older than 3.13 on PATH")
def test_an_older_python_is_told_which_python_to_use() -> None:
    assert OLDER_PYTHON is not None
    version = subprocess.run(  # noqa: S603
        [OLDER_PYTHON, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = localrun("invoke", "JwksFunction", "-e", "events/jwks_get.json", python=OLDER_PYTHON)
    assert one_line_error(result) == (
        2,
        "",
        f"authstate's local runner needs Python 3.13 (the Lambda runtime); this is Python {version}."
        " Use .venv/bin/python (tools/scripts/setup.sh creates it).\n",
    )


EVENTS_LISTING = (
    render(load_cases())
    + "\n(from events/README.md)  python -m tools.localrun invoke FUNCTION -e events/EVENT\n"
)


@pytest.mark.parametrize("command", [("events",), ("invoke", "--list")], ids=["events", "invoke-list"])
def test_the_events_table_is_printed(command: tuple[str, ...]) -> None:
    result = localrun(*command)
    assert (result.returncode, result.stdout) == (0, EVENTS_LISTING)


def test_the_listing_names_every_event_file() -> None:
    listed = [line.split()[0] for line in EVENTS_LISTING.splitlines()[1 : len(load_cases()) + 1]]
    assert sorted(listed) == sorted(path.name for path in (ROOT / "events").glob("*.json"))


@pytest.mark.parametrize(("flag", "shown"), [((), False), (("--metrics",), True)], ids=["default", "metrics"])
def test_metric_lines_only_with_the_metrics_flag(
    dynamodb_endpoint: str, flag: tuple[str, ...], shown: bool
) -> None:
    """Powertools prints a ColdStart EMF line on every cold start, disabled metrics or not."""
    result = localrun(
        "invoke",
        "JwksFunction",
        "-e",
        "events/jwks_get.json",
        "--dynamodb-endpoint",
        dynamodb_endpoint,
        *flag,
    )
    emf = any(line.startswith(EMF_PREFIX) for line in result.stderr.splitlines())
    # stdout is the response alone; the function's output is on stderr
    assert (result.returncode, json.loads(result.stdout)["statusCode"], emf) == (0, 200, shown), result.stderr
