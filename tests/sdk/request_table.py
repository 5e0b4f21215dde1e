"""docs/cdi-requests.md, read as the tests read it: the requests the SDKs send to the CDI, one row each,
and what the recorder saw held against them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.sdk.recorder import Exchange
from tools.localrun.template import ROOT

TABLE = ROOT / "docs" / "cdi-requests.md"
#: The requests sent without the CDI's headers: the querier's first call, and the JWKS (no header at all).
UNVERSIONED = {("GET", "/apiversion"), ("GET", "/.well-known/jwks.json")}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as written, with <tenantId>

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.path).replace(re.escape("<tenantId>"), "[^/]+") + "$")

    def matches(self, exchange: Exchange) -> bool:
        return exchange.method == self.method and self.pattern.match(exchange.path) is not None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def rows() -> list[Row]:
    found = re.findall(r"^\| `(GET|POST|PUT|DELETE) ([^`]+)` \|", TABLE.read_text(), flags=re.MULTILINE)
    return [Row(method, path) for method, path in found]


def unanswered(exchanges: list[Exchange]) -> list[str]:
    """The rows no exchange sent and answered 200."""
    return [str(row) for row in rows() if not any(row.matches(e) and e.status == 200 for e in exchanges)]


def outside(exchanges: list[Exchange]) -> list[str]:
    """The exchanges no row names."""
    table = rows()
    return sorted({f"{e.method} {e.path}" for e in exchanges if not any(row.matches(e) for row in table)})


def without_cdi_headers(exchanges: list[Exchange]) -> list[str]:
    """Exchanges that should carry ``cdi-version: 5.4`` and the API key but do not: all but the
    querier's first call and the JWKS (which verification fetches with no header at all)."""
    return [
        f"{e.method} {e.path}: cdi-version {e.headers.get('cdi-version')!r}"
        for e in exchanges
        if (e.method, e.path) not in UNVERSIONED
        and (e.headers.get("cdi-version") != "5.4" or "api-key" not in e.headers)
    ]
