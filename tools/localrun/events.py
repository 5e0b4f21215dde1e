"""The sample events' table, events/README.md: which function each event is for and what it answers.

The table is the one source: ``python -m tools.localrun events`` prints it, ``localrun invoke`` quotes a
row, and tests/e2e/test_events.py invokes every event and checks its row."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.localrun.template import ROOT

EVENTS_DIR = ROOT / "events"
TABLE = EVENTS_DIR / "README.md"
HEADER = ("Event", "Function", "Expect", "Why")
_EXPECT = re.compile(r"^(?P<status>[1-5][0-9]{2})(?: (?P<code>[A-Z][A-Z0-9_]*))?$")


@dataclass(frozen=True)
class EventCase:
    file: str  # name under events/
    function: str  # logical id in template.yaml
    status: int
    code: str | None  # the error body's "code", None for a success
    why: str

    @property
    def path(self) -> Path:
        return EVENTS_DIR / self.file

    @property
    def expect(self) -> str:
        return f"{self.status} {self.code}" if self.code else str(self.status)


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]


def load_cases(table: Path = TABLE) -> list[EventCase]:
    """The rows of the table whose header is ``| Event | Function | Expect | Why |``."""
    lines = table.read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if tuple(_cells(line)) == HEADER)
    except StopIteration:
        raise ValueError(f"{table}: no table headed | {' | '.join(HEADER)} |") from None
    cases = []
    for number, line in enumerate(lines[start + 2 :], start=start + 3):
        if not line.startswith("|"):
            break
        cells = _cells(line)
        found = _EXPECT.match(cells[2]) if len(cells) == len(HEADER) else None
        if found is None:
            raise ValueError(f"{table}:{number}: expected | file | function | status [CODE] | why |: {line}")
        cases.append(EventCase(cells[0], cells[1], int(found["status"]), found["code"], cells[3]))
    return cases


def case_for(event_file: Path, table: Path = TABLE) -> EventCase | None:
    """The table's row for this file, if it is one of events/."""
    for case in load_cases(table):
        if case.path.resolve() == event_file.resolve():
            return case
    return None


def render(cases: list[EventCase]) -> str:
    """The table as aligned plain-text columns."""
    rows = [HEADER, *((case.file, case.function, case.expect, case.why) for case in cases)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def response_body(response: Mapping[str, Any]) -> Any:
    """A Lambda proxy response's body: JSON when its Content-Type says so (the native API, the CDI's
    answers), else its text (the CDI's plain-text errors, as SuperTokens' core writes them)."""
    text = str(response.get("body") or "")
    headers = {str(name).lower(): str(value) for name, value in (response.get("headers") or {}).items()}
    if headers.get("content-type", "").split(";", 1)[0].strip() == "application/json" and text:
        return json.loads(text)
    return text or None


def error_code(body: Any) -> str | None:
    """The ``code`` of an error body (native errors are ``{"code", "message"}``), else ``None``."""
    return body.get("code") if isinstance(body, dict) else None
