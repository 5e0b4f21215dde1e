"""Small measuring helpers every part of ``bench`` shares (and tests may share): one of each.

- :class:`CallCounter`: DynamoDB API calls made through one botocore client, in order;
- :class:`CapacityMeter`: the read and write units those calls consumed, as DynamoDB reports them;
- :func:`percentile_ms`, :func:`median`, :func:`ms`: latency figures and how they are printed;
- :func:`interleave`: time several cases against each other, A B C A B C, never one after the other;
- :func:`positive_int`, :func:`non_negative_int`: argparse types.

Nothing here imports boto3: a counter is attached to a client someone else made.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from botocore.client import BaseClient


@dataclass
class CallCounter:
    """DynamoDB API calls made through one client, in order, via botocore's event hooks.

    ``calls`` lists each API call once (``before-call``: e.g. ``["UpdateItem", "PutItem"]``), however
    many HTTP attempts it took; ``requests`` counts the HTTP requests, botocore's retries included
    (``before-send``). :meth:`attach` registers both; the instance itself is the ``before-call`` hook.
    """

    calls: list[str] = field(default_factory=list)
    requests: int = 0

    def __call__(self, event_name: str, **_: Any) -> None:
        self.calls.append(event_name.rsplit(".", 1)[-1])

    def on_send(self, **_: Any) -> None:  # must return None: a value would replace the HTTP response
        self.requests += 1

    def attach(self, client: BaseClient) -> Self:
        client.meta.events.register("before-call.dynamodb.*", self)
        client.meta.events.register("before-send.dynamodb.*", self.on_send)
        return self

    def counts(self) -> Counter[str]:
        return Counter(self.calls)

    @property
    def retries(self) -> int:
        return self.requests - len(self.calls)

    def reset(self) -> None:
        self.calls.clear()
        self.requests = 0


#: Operations whose consumed units are read units; every other one that reports units writes.
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


@dataclass
class CapacityMeter:
    """The capacity units DynamoDB reports for the calls made through one client.

    :meth:`attach` asks every call that can report them for ``ReturnConsumedCapacity=TOTAL``
    (botocore's ``provide-client-params`` hook: the code under measurement is not changed) and adds up
    the ``ConsumedCapacity`` of each answer (``after-call``), as read units for reads and write units
    for writes. Calls that answered without it (an error, such as a failed condition, which DynamoDB
    still bills) are counted in ``unreported``.
    """

    read_units: float = 0.0
    write_units: float = 0.0
    unreported: int = 0

    def ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def record(self, model: Any, parsed: Mapping[str, Any], **_: Any) -> None:
        if "ReturnConsumedCapacity" not in model.input_shape.members:
            return
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            self.unreported += 1
            return
        units = sum(
            float(entry.get("CapacityUnits", 0))
            for entry in (consumed if isinstance(consumed, list) else [consumed])
        )
        if model.name in READ_OPERATIONS:
            self.read_units += units
        else:
            self.write_units += units

    def attach(self, client: BaseClient) -> Self:
        client.meta.events.register("provide-client-params.dynamodb.*", self.ask)
        client.meta.events.register("after-call.dynamodb.*", self.record)
        return self

    def detach(self, client: BaseClient) -> None:
        client.meta.events.unregister("provide-client-params.dynamodb.*", self.ask)
        client.meta.events.unregister("after-call.dynamodb.*", self.record)

    def reset(self) -> None:
        self.read_units = self.write_units = 0.0
        self.unreported = 0


def percentile_ms(sorted_ns: list[int], percent: float) -> float | None:
    """Nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not sorted_ns:
        return None
    rank = max(1, math.ceil(percent / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


def median(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.median(items) if items else None


def median_ms(samples_ns: Iterable[int]) -> float | None:
    value = median(samples_ns)
    return None if value is None else value / 1e6


def ms(value: float | None, digits: int = 2) -> str:
    """A latency in milliseconds as printed; ``-`` for none."""
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference


def times(value: float | None, digits: int = 2) -> str:
    """A ratio as printed (``1.23x``); ``-`` for none."""
    return "-" if value is None else f"{value:.{digits}f}x"


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def interleave(
    cases: Mapping[str, Callable[[], object]], *, rounds: int, warmup: int = 0
) -> dict[str, list[int]]:
    """Each case's durations in nanoseconds, ``rounds`` samples each, measured in rounds that run every
    case once (A B C, then B C A, ...: the starting case rotates), so that drift in the machine's load
    hits every case alike. ``warmup`` rounds first, not recorded."""
    names = list(cases)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for number in range(warmup + rounds):
        shift = number % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            began = time.perf_counter_ns()
            cases[name]()
            elapsed = time.perf_counter_ns() - began
            if number >= warmup:
                samples[name].append(elapsed)
    return samples


def positive_int(text: str) -> int:
    """argparse type: an int of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an int of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value


def render_table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], indent: str = "  ") -> list[str]:
    """Columns padded to width: the first left-aligned, the others right-aligned."""
    everything = [header, *rows]
    widths = [max(len(row[column]) for row in everything) for column in range(len(header))]
    return [
        indent
        + "  ".join(
            [
                row[0].ljust(widths[0]),
                *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)),
            ]
        ).rstrip()
        for row in everything
    ]
