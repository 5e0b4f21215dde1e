"""The as-deployed cold imports (tools/bench/cold.py) on a small fake build: both trees sampled,
nothing written into either, the copy without bytecode gone afterwards (no DynamoDB)."""

from __future__ import annotations

import compileall
import py_compile
import tempfile
from pathlib import Path

import pytest

from tools.bench import cold
from tools.localrun.template import Template


def fake_build(root: Path) -> Path:
    """A build's shape: the layer's ``python/`` with one module, and each measured function's app.py
    importing it; byte-compiled as ``make sam-build`` does."""
    build = root / "build"
    layer = build / "AuthstateLayer" / "python"
    layer.mkdir(parents=True)
    (layer / "fake_layer_module.py").write_text("VALUE = sum(range(1000))\n")
    for name in cold.DEPLOYED_FUNCTIONS:
        (build / name).mkdir()
        (build / name / "app.py").write_text("import fake_layer_module\n\nlambda_handler = None\n")
    assert compileall.compile_dir(
        build, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return build


def test_each_module_is_sampled_with_and_without_its_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = fake_build(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = sorted(str(path.relative_to(build)) for path in build.rglob("*"))
    measured = cold.measure_deployed(Template.load(), build, runs=2)
    assert [d.name for d in measured] == [cold.BASELINE, *cold.DEPLOYED_FUNCTIONS]
    for deployed in measured:
        assert len(deployed.shipped.cpu_seconds) == len(deployed.none.cpu_seconds) == 2
        assert all(seconds > 0 for seconds in deployed.shipped.cpu_seconds + deployed.none.cpu_seconds)
        assert set(deployed.as_json()) == {
            "name",
            "cpu_median_ms",
            "cpu_median_ms_without_bytecode",
            "without_to_with",
        }
    assert sorted(str(path.relative_to(build)) for path in build.rglob("*")) == before
    assert list(scratch.iterdir()) == []
