"""The ``arena`` command. Patches with eventlet (or gevent, when ``ARENA_ASYNC_MODE`` says so)
before anything else when it serves."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """A hall of phones is hundreds of thousands of long-lived objects; with CPython's
    default thresholds a full collection walked them every few seconds, a 100-300 ms pause
    each, which was the tail of every latency (bench/README.md). What exists at start is
    frozen out of collection, and collections run less often."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


Spawn = Callable[[Callable[[], None]], Any]  # socketio.start_background_task, eventlet.spawn, …
STALL_MS = 20  # a hub that wakes this late has held every phone's packets that long
STALL_NAP = 0.005  # seconds the stall watch sleeps between looks


def stall(before: float) -> dict[str, float] | None:
    """The stall line for a ``STALL_NAP`` sleep begun at ``before`` (``time.monotonic()``),
    if it woke more than ``STALL_MS`` late."""
    import time

    late = (time.monotonic() - before - STALL_NAP) * 1000
    return {"at": before, "stall_ms": round(late, 1)} if late > STALL_MS else None


def watch_stalls(start_background_task: Spawn) -> None:
    """With ``ARENA_STALL_LOG=FILE``, append a JSON line for every stall of this process's
    hub (a ``STALL_NAP`` sleep woken more than ``STALL_MS`` late) and every garbage collection over
    5 ms, with ``time.monotonic()`` times: the load generator (bench/) sets it to tell the
    server's own pauses from its phones' and to name their cause."""
    path = os.environ.get("ARENA_STALL_LOG", "").strip()
    if not path:
        return
    import gc
    import json
    import time

    out = open(path, "a", buffering=1, encoding="utf-8")  # open for the process's life, line-buffered

    def record(line: dict[str, Any]) -> None:
        out.write(json.dumps(line) + "\n")

    def watch() -> None:
        while True:
            before = time.monotonic()
            time.sleep(STALL_NAP)  # a green sleep: the server's monkey patching made it one
            if late := stall(before):
                record(late)

    gc.callbacks.append(timed_collections(record))
    start_background_task(watch)


def timed_collections(record: Callable[[dict[str, Any]], None]) -> Callable[[str, dict[str, int]], None]:
    """A ``gc.callbacks`` entry that records each collection over 5 ms: when it started
    (``time.monotonic()``), how long it took, which generation."""
    import time

    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.monotonic()]
        elif started and (took := time.monotonic() - started[0]) > 0.005:
            record({"at": started[0], "gc_ms": round(took * 1000, 1), "gen": info["generation"]})

    return on_gc


def stop_on_signals(start_background_task: Spawn, cleanup: Callable[[], None]) -> None:
    """SIGTERM (docker stop, systemd, a test) and SIGINT (Ctrl-C) stop the server: ``cleanup``
    runs (it stops the embedded Redis), then the process exits with 0.

    Not by raising SystemExit in the handler: Python runs a signal handler in whichever
    greenlet is running, and a SystemExit raised in a phone's handler ended only that greenlet
    (seen: the server ran on until killed); thrown into the main greenlet instead, it stopped
    eventlet's server loop, which then waited for every open websocket to end. So the handler
    only starts a green thread, and that one cleans up and leaves."""
    import logging
    import signal

    def finish() -> None:
        try:
            cleanup()
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def stop(_signum: int, _frame: Any) -> None:
        start_background_task(finish)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def raise_file_limit() -> None:
    """Every phone is an open socket: a server lifts its soft limit of open files to the
    hard limit (1024 soft is common, and would refuse the 1,021st phone)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_green(async_mode: str) -> None:
    """Patch the standard library for ``async_mode`` (before anything else is imported), and
    have psycopg wait for PostgreSQL through it.

    psycopg waits for a reply in C (``poll``) unless it sees the standard library patched,
    and it looks only for gevent's patch: under eventlet each query held every phone of the
    process for as long as it ran (a 0.5 s query, a 0.5 s pause of every game on it). Its
    ``select`` wait goes through eventlet's green ``select``, which has no descriptor limit.
    """
    if async_mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    else:
        import eventlet

        eventlet.monkey_patch()
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


def main() -> None:
    # eventlet says on every import that it is in bugfix-only mode (DESIGN §10); a
    # command-line user can do nothing about it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        raise_file_limit()
        make_green(os.environ.get("ARENA_ASYNC_MODE", "").strip() or "eventlet")
    from app.cli import cli
    from app.config import SettingError

    try:
        cli.main(prog_name="arena")
    except SettingError as error:  # an operator's setting: a sentence, not a traceback
        print(f"配置错误：{error}", file=sys.stderr)
        sys.exit(2)
