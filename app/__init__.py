"""The Flask application: ``create_app`` is the factory that ``flask --app app`` finds.

The factory's imports are deferred on purpose: ``arena serve`` must monkey-patch with
eventlet before Flask, redis or SQLAlchemy are imported (DESIGN §10), and importing this
package is the first thing the ``arena`` entry point does.
"""

from __future__ import annotations

from typing import Any


def create_app(config: dict[str, Any] | None = None) -> Any:
    from app.factory import make_app

    return make_app(config)
