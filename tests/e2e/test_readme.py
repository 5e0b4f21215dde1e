"""The README's curl walkthrough, run as written against a server of its own (default settings) on a
DynamoDB Local of its own (empty, as on a new user's first run: no key but the one the walkthrough
creates), and its printed answers compared with what the README shows, so the README cannot drift
from the service.

In the README, each ```sh block of the walkthrough is followed by a ```json block with what it prints
(one JSON value, or a line of text, after another). What varies from run to run is written so that a
reader sees its shape and this test can match it:

- a session handle is any UUID (the README shows one example UUID everywhere);
- a string written with ``…`` stands for any string that starts with what comes before the ``…``
  (after UUIDs are normalised): ``"eyJhbGciOiJSUzI1NiIs…"`` for a token, ``"d-…"`` for a key id;
- a number of 13 digits is a time in milliseconds: any such number.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.localrun.dynamodb import DynamoDBLocal, create_tables
from tools.localrun.process import local_server
from tools.localrun.template import ROOT, Template

README = ROOT / "README.md"
SECTION = "## Walkthrough with curl"
KEY = "readme-walkthrough-key"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MARK = "@@readme-block-{}@@"


def walkthrough() -> list[tuple[str, str | None]]:
    """(commands, expected output or None) for each ```sh block of the walkthrough section."""
    text = README.read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.DOTALL)
    pairs: list[tuple[str, str | None]] = []
    for language, body in blocks:
        if language == "sh":
            pairs.append((body, None))
        elif language == "json" and pairs and pairs[-1][1] is None:
            pairs[-1] = (pairs[-1][0], body)
    return pairs


class Number(str):
    """A non-integer number as written: ``0.10`` and ``0.1`` differ (the service keeps what was sent)."""


def items(text: str) -> Iterator[Any]:
    """The JSON values and text lines a block prints, in order."""
    decoder = json.JSONDecoder(parse_float=Number)
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        try:
            value, index = decoder.raw_decode(text, index)
            yield value
        except json.JSONDecodeError:
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            yield ("text", text[index:end].strip())
            index = end


def _normal(text: str) -> str:
    return _UUID.sub("<uuid>", text)


def matches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or list(expected) != list(actual):
            return [
                f"{path}: keys {list(expected)} != {actual if not isinstance(actual, dict) else list(actual)}"
            ]
        return [
            problem for key in expected for problem in matches(expected[key], actual[key], f"{path}.{key}")
        ]
    if isinstance(expected, list | tuple):
        if type(actual) is not type(expected) or len(actual) != len(expected):
            return [f"{path}: {expected!r} != {actual!r}"]
        return [
            problem
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for problem in matches(e, a, f"{path}[{i}]")
        ]
    if isinstance(expected, Number):
        return (
            []
            if isinstance(actual, Number) and actual == expected
            else [f"{path}: {actual!r} != {expected!r}"]
        )
    if isinstance(expected, str) and "…" in expected:
        prefix = _normal(expected.split("…", 1)[0])
        return (
            []
            if isinstance(actual, str) and _normal(actual).startswith(prefix)
            else [f"{path}: {actual!r} is not {expected!r}"]
        )
    if isinstance(expected, str):
        return (
            []
            if isinstance(actual, str) and _normal(actual) == _normal(expected)
            else [f"{path}: {actual!r} != {expected!r}"]
        )
    if isinstance(expected, int) and not isinstance(expected, bool) and len(str(expected)) == 13:
        return (
            []
            if isinstance(actual, int) and len(str(actual)) == 13
            else [f"{path}: {actual!r} is not a time in ms"]
        )
    return (
        []
        if actual == expected and type(actual) is type(expected)
        else [f"{path}: {actual!r} != {expected!r}"]
    )


@pytest.fixture(scope="module")
def readme_server(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with DynamoDBLocal() as dynamodb:
        create_tables(dynamodb.endpoint, template)
        log = tmp_path_factory.mktemp("readme") / "server.log"
        with local_server(dynamodb.endpoint, KEY, log) as url:
            yield url


def test_the_walkthrough_prints_what_the_readme_shows(readme_server: str, tmp_path: Path) -> None:
    pairs = walkthrough()
    assert len(pairs) >= 10, "the walkthrough lost its blocks"
    script = "set -u\n" + "".join(
        f"echo {_MARK.format(i)}\n{commands}\n" for i, (commands, _) in enumerate(pairs)
    )
    (tmp_path / "walkthrough.sh").write_text(script)
    result = subprocess.run(  # noqa: S603 - the README's own commands, against loopback
        ["bash", str(tmp_path / "walkthrough.sh")],  # noqa: S607
        env={"API": readme_server, "KEY": KEY, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outputs = re.split(r"@@readme-block-\d+@@\n", result.stdout)[1:]
    assert len(outputs) == len(pairs)
    problems = []
    for index, ((commands, expected), printed) in enumerate(zip(pairs, outputs, strict=True)):
        if expected is None:
            continue
        for problem in matches(list(items(expected)), list(items(printed))):
            problems.append(f"block {index} ({commands.strip().splitlines()[0][:60]}): {problem}")
    assert problems == []
