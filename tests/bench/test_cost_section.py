"""``python -m tools.bench --section cost`` against DynamoDB Local: the calls and capacity units of each
operation, which are deterministic (the times are not, and are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tools.localrun.template import ROOT

pytestmark = pytest.mark.dynamodb

#: (operation, size) -> (DynamoDB calls, read units, write units). Session routes: the session's item
#: holds its claims and refresh state only (1 unit to write or read, whatever the data); its data has an
#: item of its own, billed for the data (1 write unit per KB, 1 read unit per 4 KB), which a data
#: write reaches after a read of the session's item; a write that changes the byUser index's
#: projection (create, refresh, revoke) 1 unit more. A session created with empty data has no data
#: item until its first data write (the bench's data merge makes one before the reads).
DATA_WRITE = {"empty": 1, "10 KB": 10, "100 KB": 100, "300 KB": 291}
DATA_READ = {"empty": 1, "10 KB": 3, "100 KB": 25, "300 KB": 73}
METADATA_WRITE = {"empty": 1, "10 KB": 10, "100 KB": 99, "300 KB": 291}
METADATA_READ = DATA_READ
SIZES = tuple(DATA_WRITE)


def expected() -> dict[tuple[str, str], tuple[str | None, float, float]]:
    rows: dict[tuple[str, str], tuple[str | None, float, float]] = {
        ("verify, no database", "any"): (None, 0, 0),
        ("JWKS (GET /.well-known/jwks.json)", "any"): (None, 0, 0),
    }
    for size in SIZES:
        data_write, data_read, metadata = DATA_WRITE[size], DATA_READ[size], METADATA_WRITE[size]
        with_data = size != "empty"
        rows |= {
            ("create (POST /sessions)", size): (
                ("PutItem+PutItem", 0, data_write + 2) if with_data else ("PutItem", 0, 2)
            ),
            ("verify, checkDatabase", size): ("GetItem", 1, 0),
            ("online merge (POST /sessions/merge)", size): ("UpdateItem", 0, 1),
            ("offline merge (PATCH payload)", size): ("UpdateItem", 0, 1),
            ("session data merge (PATCH data)", size): ("GetItem+UpdateItem", 1, data_write),
            ("refresh (POST /sessions/refresh)", size): ("UpdateItem", 0, 2),
            ("read session (GET /sessions/{h})", size): ("GetItem+GetItem", 1 + data_read, 0),
            ("read session data (GET data)", size): ("GetItem+GetItem", 1 + data_read, 0),
            ("revoke (DELETE /sessions/{h})", size): (
                ("DeleteItem+DeleteItem", 0, data_write + 2) if with_data else ("DeleteItem", 0, 2)
            ),
            ("metadata merge (PATCH)", size): ("UpdateItem", 0, metadata),
            ("metadata merge, return=minimal", size): ("UpdateItem", 0, metadata),
            ("metadata read (GET)", size): ("GetItem", METADATA_READ[size], 0),
        }
    return rows


@pytest.fixture(scope="module")
def cost(dynamodb_endpoint: str) -> dict[str, Any]:
    """One run of the section (two samples of each operation and size), its JSON figures."""
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tools.bench",
            "--section",
            "cost",
            "--cost-rounds",
            "2",
            "--dynamodb-endpoint",
            dynamodb_endpoint,
            "--json",
            "-",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    document: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert "[cost] DynamoDB calls and capacity units" in result.stdout
    return dict(document["cost"])


def test_every_operation_s_calls_and_units_by_size(cost: dict[str, Any]) -> None:
    measured = {
        (row["operation"], row["size"]): (row["dynamodb_calls"], row["read_units"], row["write_units"])
        for row in cost["rows"]
    }
    assert measured == expected()
    assert all(row["calls_without_units"] == 0 for row in cost["rows"])
    # a refresh rewrites the index entry only when the expiry moves: two within a second, one not
    varied = {(row["operation"], row["size"]) for row in cost["rows"] if row["usage_varied"]}
    assert {operation for operation, _ in varied} <= {"refresh (POST /sessions/refresh)"}


def test_dollars_follow_the_units_at_the_template_s_memory_and_architecture(cost: dict[str, Any]) -> None:
    assert (cost["memory_mb"], cost["architecture"]) == (512, "arm64")
    row = next(r for r in cost["rows"] if (r["operation"], r["size"]) == ("metadata merge (PATCH)", "300 KB"))
    usd = row["usd_per_million"]
    assert usd["dynamodb"] == pytest.approx(291 * 0.625, abs=1e-3)
    assert usd["api_gateway"] == pytest.approx(1.0)
    assert usd["lambda"] > 0.20
    assert usd["total"] == pytest.approx(usd["dynamodb"] + usd["api_gateway"] + usd["lambda"], abs=1e-3)
