"""The local runner keeps Powertools' EMF metric lines out of the console unless asked for them."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator

import pytest

from tools.localrun.runtime import WithoutMetrics, function_output

LOG = '{"level":"INFO","message":"request rejected"}'
EMF = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"ColdStart":[1.0]}'


def test_metric_lines_are_dropped_and_every_other_line_kept() -> None:
    out = io.StringIO()
    stream = WithoutMetrics(out)
    print(LOG, file=stream)
    print(EMF, file=stream)  # print writes the line and its newline separately
    stream.write("plain ")
    stream.write("text\n" + EMF + "\n" + LOG + "\n")
    stream.write('{"_a')  # a partial line that may still become a metric line is held back
    stream.flush()
    assert out.getvalue() == f"{LOG}\nplain text\n{LOG}\n"


@pytest.fixture
def metrics_setting() -> Iterator[None]:
    saved = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    with warnings.catch_warnings():
        yield
    if saved is None:
        os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    else:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = saved


@pytest.mark.usefixtures("metrics_setting")
@pytest.mark.parametrize(("disabled", "kept"), [("true", ""), ("false", EMF + "\n")])
def test_function_output_filters_only_while_metrics_are_disabled(disabled: str, kept: str) -> None:
    os.environ["POWERTOOLS_METRICS_DISABLED"] = disabled
    out = io.StringIO()
    print(EMF, file=function_output(out))
    assert out.getvalue() == kept
