"""A test's concurrent workers: one thread each, every one started before any is joined."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def run_concurrently(targets: Iterable[Callable[[], object]]) -> None:
    """Start a thread per target, then wait for them all. A worker records its own outcome (an
    exception in a thread does not reach the test), and the test asserts on what they recorded."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
