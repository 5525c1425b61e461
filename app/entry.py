"""The ``arena`` command. Patches with eventlet before anything else when it serves."""

from __future__ import annotations

import sys
import warnings


def main() -> None:
    # eventlet says on every import that it is in bugfix-only mode (DESIGN §10); a
    # command-line user can do nothing about it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        import eventlet

        eventlet.monkey_patch()
    from app.cli import cli

    cli.main(prog_name="arena")
