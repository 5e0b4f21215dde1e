"""The services' time: what "now" is, and how a retry waits. One clock per warm Lambda, handed to every
service (``providers.clock``), so that a test moves time instead of waiting for it, and skips a retry's
pause instead of sleeping it.

``offset`` is never set in Lambda: only the local runner sets it (``serve --test-clock``), so that an
end-to-end test can step past a reuse window, a key cache or an expiry in a moment."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        """Seconds since the epoch."""
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
