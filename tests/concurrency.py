"""A test's concurrent workers: one thread each, every one started before any is joined."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable


def run_concurrently(targets: Iterable[Callable[[], object]]) -> None:
    """Start a thread per target, then wait for them all. A worker records its own outcome (an
    exception in a thread does not reach the test), and the test asserts on what they recorded."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def race_once(write: Callable[[], object], read: Callable[[], object], *, reads: int, stagger: float) -> None:
    """``write`` once beside ``read`` repeated until the write has answered (at most ``reads`` times),
    the first read a random moment (up to ``stagger`` seconds) into the write, so that over many rounds
    the reads land anywhere in it. Both record what they saw themselves."""
    done = threading.Event()

    def writer() -> None:
        try:
            write()
        finally:
            done.set()

    def reader() -> None:
        time.sleep(random.uniform(0, stagger))
        for _ in range(reads):
            read()
            if done.is_set():
                return

    run_concurrently([writer, reader])
