"""Unit tests of bench's shared measuring helpers (no DynamoDB)."""

from __future__ import annotations

import argparse

import pytest

from tools.bench.measure import (
    CallCounter,
    interleave,
    median_ms,
    ms,
    non_negative_int,
    percentile_ms,
    positive_int,
    ratio,
    render_table,
    times,
)


def test_call_counter_records_calls_in_order_and_requests_apart() -> None:
    counter = CallCounter()
    counter("before-call.dynamodb.UpdateItem")
    counter("before-call.dynamodb.PutItem")
    counter.on_send()
    counter.on_send()
    counter.on_send()
    assert counter.calls == ["UpdateItem", "PutItem"]
    assert counter.counts() == {"UpdateItem": 1, "PutItem": 1}
    assert counter.retries == 1
    counter.reset()
    assert counter.calls == []
    assert counter.requests == 0


def test_interleave_rotates_the_starting_case_and_skips_warmup() -> None:
    order: list[str] = []
    cases = {name: (lambda name=name: order.append(name)) for name in "abc"}
    samples = interleave(cases, rounds=3, warmup=1)
    assert order == list("abcbcacababc")
    assert {name: len(values) for name, values in samples.items()} == {"a": 3, "b": 3, "c": 3}
    assert all(value >= 0 for values in samples.values() for value in values)


def test_percentile_is_nearest_rank_in_milliseconds() -> None:
    values = sorted(n * 1_000_000 for n in range(1, 101))
    assert percentile_ms(values, 50) == 50.0
    assert percentile_ms(values, 99) == 99.0
    assert percentile_ms([], 50) is None
    assert median_ms([1_000_000, 3_000_000]) == 2.0


def test_formatting() -> None:
    assert ms(None) == "-"
    assert ms(1.234) == "1.23"
    assert ms(1.26, 1) == "1.3"
    assert times(ratio(3.0, 2.0)) == "1.50x"
    assert times(ratio(1.0, 0.0)) == "-"
    assert render_table(("name", "n"), [("a", "10"), ("bb", "2")]) == [
        "  name   n",
        "  a     10",
        "  bb     2",
    ]


def test_argument_types() -> None:
    assert positive_int("3") == 3
    assert non_negative_int("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        positive_int("0")
    with pytest.raises(argparse.ArgumentTypeError):
        non_negative_int("-1")
