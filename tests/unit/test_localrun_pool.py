"""The local runner's execution environments: at most ``max_environments`` per function, each
serving one invocation at a time; invocations beyond that wait for a free one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.localrun.runtime import FunctionPool
from tools.localrun.template import FunctionSpec

#: Each environment loads the module afresh, so the id of its ENVIRONMENT object names the environment.
HANDLER = """
import time

ENVIRONMENT = object()

def handler(event, context):
    time.sleep(0.05)
    return {"environment": id(ENVIRONMENT), "event": event}
"""


def environments_used(tmp_path: Path, *, max_environments: int) -> tuple[int, list[object]]:
    """Twelve invocations at once: how many environments served them, and the events they saw."""
    (tmp_path / "app.py").write_text(HANDLER)
    spec = FunctionSpec(logical_id="Probe", code_dir=tmp_path, handler="app.handler", environment={})
    pool = FunctionPool(spec, isolated=False, max_environments=max_environments)
    started = threading.Barrier(12)

    def call(number: int) -> dict[str, object]:
        started.wait()
        result: dict[str, object] = pool.invoke({"n": number})
        return result

    with ThreadPoolExecutor(max_workers=12) as executor:
        results = list(executor.map(call, range(12)))
    pool.close()
    return len({result["environment"] for result in results}), [result["event"] for result in results]


def test_invocations_beyond_the_cap_wait_for_a_free_environment(tmp_path: Path) -> None:
    assert environments_used(tmp_path, max_environments=3) == (3, [{"n": number} for number in range(12)])


def test_under_the_cap_each_concurrent_invocation_gets_an_environment(tmp_path: Path) -> None:
    assert environments_used(tmp_path, max_environments=12) == (12, [{"n": number} for number in range(12)])
