"""A clock a test moves: what the services read as "now" changes only when the test moves it, and a
retry's pause moves it instead of sleeping (``authstate.clock.Clock``'s interface)."""

from __future__ import annotations

import time

from authstate.clock import Clock


class ManualClock(Clock):
    def __init__(self, now: float | None = None) -> None:
        super().__init__()
        self.now = time.time() if now is None else now
        #: Every pause a retry asked for, in order.
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
