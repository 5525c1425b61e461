"""The ``arena`` command. Patches with eventlet (or gevent, when ``ARENA_ASYNC_MODE`` says so)
before anything else when it serves."""

from __future__ import annotations

import os
import sys
import warnings

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


def raise_file_limit() -> None:
    """Every phone is an open socket: a server lifts its soft limit of open files to the
    hard limit (1024 soft is common, and would refuse the 1,021st phone)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    # eventlet says on every import that it is in bugfix-only mode (DESIGN §10); a
    # command-line user can do nothing about it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        raise_file_limit()
        if os.environ.get("ARENA_ASYNC_MODE", "").strip() == "gevent":
            from gevent import monkey

            monkey.patch_all()
        else:
            import eventlet

            eventlet.monkey_patch()
    from app.cli import cli

    cli.main(prog_name="arena")
