"""Step Functions heartbeats during long phases, sent at most once per interval.

Called from the batch loops (no thread: a thread would have to share the DB connection's
timing assumptions and would keep beating while the work is stuck).
"""

from __future__ import annotations

import time
from typing import Callable, Optional


class Heartbeat:
    def __init__(self, send: Optional[Callable[[], None]], interval_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._send = send
        self._interval = max(1.0, float(interval_seconds))
        self._clock = clock
        self._last = clock()
        self.sent = 0

    def beat(self) -> None:
        """Send a heartbeat if the interval has passed since the last one."""
        if self._send is None:
            return
        now = self._clock()
        if now - self._last >= self._interval:
            self._send()
            self._last = now
            self.sent += 1


def no_heartbeat() -> Heartbeat:
    return Heartbeat(None, 60)
