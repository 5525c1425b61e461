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

    PURGE_AT = 10_000  # connections kept before those whose windows all ended are swept

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        # sid → kind → (ends, count). By connection, so that a closing connection is one
        # pop: scanning every window on each close made a hall's disconnect storm (Wi-Fi
        # gone, or the game over) quadratic: 2,000 phones leaving cost the process 0.4 s.
        self.windows: dict[str, dict[str, tuple[float, int]]] = {}
        self.purge_at = self.PURGE_AT

    def wait_ms(self, sid: str, kind: str, limit: int, window_ms: int) -> int:
        """0 if the event may go ahead (and it is counted); else how long to wait, in ms."""
        now = self.clock()
        kinds = self.windows.get(sid)
        if kinds is None:
            if len(self.windows) >= self.purge_at:
                self.sweep(now)
            kinds = self.windows[sid] = {}
        ends, count = kinds.get(kind, (0.0, 0))
        if now >= ends:
            ends, count = now + window_ms / 1000, 0
        count += 1
        kinds[kind] = (ends, count)
        return 0 if count <= limit else max(1, int((ends - now) * 1000))

    def sweep(self, now: float) -> None:
        """Drop the connections whose windows have all ended (their close went unheard). The
        next sweep waits until the connections kept have doubled, so that a process holding
        more live connections than ``PURGE_AT`` does not sweep on every new one."""
        self.windows = {
            sid: kinds for sid, kinds in self.windows.items() if any(ends > now for ends, _ in kinds.values())
        }
        self.purge_at = max(self.PURGE_AT, 2 * len(self.windows))

    def forget(self, sid: str) -> None:
        """A connection closed: its windows go (a reconnect is a new connection anyway)."""
        self.windows.pop(sid, None)
