"""The points tests run against each database (SQLite always, PostgreSQL when DATABASE_URL
names one, as in CI) and the session's real Redis, with the season boards emptied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.extensions import database, redis_connection
from app.points.service import points
from tests.conftest import make_test_app
from tests.points.q4 import Ledger, build_q4


@pytest.fixture
def points_app(tmp_path: Path, each_database_url: str, redis_url: str) -> Iterator[Any]:
    made = make_test_app(tmp_path, each_database_url, redis_url)
    points(made).store.clear()
    yield made
    points(made).store.clear()
    database(made).engine.dispose()
    redis_connection(made).close()


@pytest.fixture
def cli(points_app: Any) -> Any:
    return points_app.test_cli_runner()


@pytest.fixture
def q4(points_app: Any) -> Ledger:
    """The quarter of tests/points/q4.py, stored."""
    return build_q4(points_app)
