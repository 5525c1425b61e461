"""The per-connection rate limits, counted in the serving process."""

from __future__ import annotations

from app.live.limits import ConnectionLimits


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_n_per_window_then_how_long_to_wait_then_a_new_window() -> None:
    clock = Clock()
    limits = ConnectionLimits(clock)
    assert [limits.wait_ms("sid-a", "answer", 3, 10_000) for _ in range(3)] == [0, 0, 0]
    clock.now += 4
    assert limits.wait_ms("sid-a", "answer", 3, 10_000) == 6_000
    # Another kind of event or another connection has its own counter.
    assert limits.wait_ms("sid-a", "join", 3, 10_000) == 0
    assert limits.wait_ms("sid-b", "answer", 3, 10_000) == 0
    clock.now += 6
    assert limits.wait_ms("sid-a", "answer", 3, 10_000) == 0


def test_a_closed_connection_is_forgotten_and_old_windows_are_swept() -> None:
    clock = Clock()
    limits = ConnectionLimits(clock)
    limits.wait_ms("sid-a", "answer", 1, 1_000)
    limits.wait_ms("sid-a", "join", 1, 1_000)
    limits.wait_ms("sid-b", "join", 1, 1_000)
    limits.forget("sid-a")
    assert list(limits.windows) == [("sid-b", "join")]
    limits.PURGE_AT = 2
    clock.now += 5
    limits.wait_ms("sid-c", "join", 1, 1_000)
    limits.wait_ms("sid-d", "join", 1, 1_000)
    assert sorted(limits.windows) == [("sid-c", "join"), ("sid-d", "join")]
