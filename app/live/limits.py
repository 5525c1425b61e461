"""Per-connection rate limits, kept in the serving process.

A Socket.IO connection lives in exactly one process (nginx keeps a client on its process),
so its event counts need no shared store: counting here saves every event a round trip to
Redis. Limits that must hold across processes and reconnects (the danmaku wall's per-player
limit) live in Redis with their store.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ConnectionLimits:
    """Fixed windows per (connection, kind): ``limit`` events per ``window_ms``."""

    PURGE_AT = 10_000  # windows kept before the expired ones are swept

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.windows: dict[tuple[str, str], tuple[float, int]] = {}  # (sid, kind) → (ends, count)

    def wait_ms(self, sid: str, kind: str, limit: int, window_ms: int) -> int:
        """0 if the event may go ahead (and it is counted); else how long to wait, in ms."""
        now = self.clock()
        ends, count = self.windows.get((sid, kind), (0.0, 0))
        if now >= ends:
            ends, count = now + window_ms / 1000, 0
            if len(self.windows) >= self.PURGE_AT:
                self.windows = {key: value for key, value in self.windows.items() if value[0] > now}
        count += 1
        self.windows[(sid, kind)] = (ends, count)
        return 0 if count <= limit else max(1, int((ends - now) * 1000))

    def forget(self, sid: str) -> None:
        """A connection closed: its windows go (a reconnect is a new connection anyway)."""
        for key in [key for key in self.windows if key[0] == sid]:
            del self.windows[key]
