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
    limits.forget("sid-never-seen")
    assert limits.windows == {"sid-b": {"join": (101.0, 1)}}
    limits.PURGE_AT = limits.purge_at = 2
    clock.now += 5
    limits.wait_ms("sid-c", "join", 1, 1_000)  # sid-b's window ended and its close went unheard
    limits.wait_ms("sid-d", "join", 1, 1_000)
    assert sorted(limits.windows) == ["sid-c", "sid-d"]


def test_live_connections_are_kept_and_sweeps_wait_until_they_have_doubled() -> None:
    clock = Clock()
    limits = ConnectionLimits(clock)
    limits.PURGE_AT = limits.purge_at = 4
    for sid in ("a", "b", "c", "d"):
        limits.wait_ms(sid, "join", 5, 60_000)  # live for a minute
    limits.wait_ms("e", "join", 5, 60_000)  # a sweep: all four are live and kept
    assert sorted(limits.windows) == ["a", "b", "c", "d", "e"] and limits.purge_at == 8
    clock.now += 61  # every window has ended
    for sid in ("f", "g", "h"):
        limits.wait_ms(sid, "join", 5, 60_000)
    assert len(limits.windows) == 8  # no sweep before 8 connections
    limits.wait_ms("i", "join", 5, 60_000)
    assert sorted(limits.windows) == ["f", "g", "h", "i"]
    # A connection keeps its counts between sweeps: the sixth join in its minute waits.
    assert [limits.wait_ms("i", "join", 5, 60_000) for _ in range(5)] == [0, 0, 0, 0, 60_000]
