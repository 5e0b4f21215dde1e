"""List prices and the arithmetic that turns measured usage into US dollars per million requests.

The one place the bench keeps prices: :data:`PRICES`, dated, with the pages they come from. Change
them here (and the date) when AWS does; nothing else in the repository holds a price.

What one request costs (:func:`per_million`): API Gateway HTTP API's request charge, Lambda's request
charge plus its duration (memory in GB x the billed seconds, rounded up to the next millisecond, at
the architecture's GB-second price), and DynamoDB on-demand's read and write request units as
``ReturnConsumedCapacity`` reports them (a strongly consistent read of up to 4 KB is one read unit, a
write of up to 1 KB of the item, before or after, whichever is larger, one write unit).

Left out: the free tiers, volume tiers past the first, data transfer out (0.09 USD per GB to the
internet: a 300 KB answer is about 27 USD per million), CloudWatch logs and metrics, Secrets Manager,
storage, and the Lambda init phase of a cold start (billed like any duration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

type Architecture = Literal["x86_64", "arm64"]

#: Lambda's CPU share grows with memory: 1,769 MB is one full vCPU (AWS Lambda documentation).
MB_PER_VCPU = 1769


@dataclass(frozen=True)
class Prices:
    region: str
    in_force_since: str  # the latest change among them
    checked: str  # when, and against what, they were last compared
    sources: tuple[str, ...]
    api_request: float  # HTTP API, USD per request (first 300 million a month)
    lambda_request: float  # USD per invocation
    lambda_gb_second: dict[Architecture, float]  # USD per GB-second (first tier)
    read_unit: float  # DynamoDB on-demand, USD per read request unit
    write_unit: float  # DynamoDB on-demand, USD per write request unit


PRICES = Prices(
    region="us-east-1",
    # DynamoDB's on-demand request units were halved on 2024-11-01; Lambda's and HTTP API's prices
    # have not changed since arm64 (2021) and HTTP APIs (2020) came out.
    in_force_since="2024-11-01",
    checked="2026-12-07, against copies of these pages (this machine has no internet access)",
    sources=(
        "https://aws.amazon.com/api-gateway/pricing/",
        "https://aws.amazon.com/lambda/pricing/",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    api_request=1.00e-6,
    lambda_request=0.20e-6,
    lambda_gb_second={"x86_64": 0.0000166667, "arm64": 0.0000133334},
    read_unit=0.125e-6,
    write_unit=0.625e-6,
)


def billed_ms(duration_ms: float) -> int:
    """Lambda bills duration per started millisecond (at least 1 ms)."""
    return max(1, math.ceil(duration_ms - 1e-9))


def lambda_usd(
    duration_ms: float, memory_mb: int, architecture: Architecture, prices: Prices = PRICES
) -> float:
    """One invocation: the request plus memory x billed duration."""
    gb_seconds = memory_mb / 1024 * billed_ms(duration_ms) / 1000
    return prices.lambda_request + gb_seconds * prices.lambda_gb_second[architecture]


def dynamodb_usd(read_units: float, write_units: float, prices: Prices = PRICES) -> float:
    """On-demand request units as ``ConsumedCapacity`` reports them (eventually consistent reads
    already count half a unit per 4 KB there)."""
    return read_units * prices.read_unit + write_units * prices.write_unit


def cpu_scaled_ms(wall_ms: float, cpu_ms: float, memory_mb: int) -> float:
    """A rough duration on Lambda at ``memory_mb``: the CPU part stretched by the CPU share the memory
    buys (below 1,769 MB a function gets that fraction of one vCPU), the waiting part unchanged.
    Assumes this machine's core is one full vCPU; an estimate, not a measurement."""
    stretch = max(1.0, MB_PER_VCPU / memory_mb)
    waiting = max(0.0, wall_ms - cpu_ms)
    return waiting + min(cpu_ms, wall_ms) * stretch


@dataclass(frozen=True)
class Cost:
    """USD per million requests, by service."""

    api: float
    lambda_: float
    dynamodb: float

    @property
    def total(self) -> float:
        return self.api + self.lambda_ + self.dynamodb


def per_million(
    *,
    read_units: float,
    write_units: float,
    duration_ms: float,
    memory_mb: int,
    architecture: Architecture,
    prices: Prices = PRICES,
) -> Cost:
    """One request through API Gateway to one warm Lambda invocation and its DynamoDB calls, a
    million times."""
    return Cost(
        api=prices.api_request * 1e6,
        lambda_=lambda_usd(duration_ms, memory_mb, architecture, prices) * 1e6,
        dynamodb=dynamodb_usd(read_units, write_units, prices) * 1e6,
    )
