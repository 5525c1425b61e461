"""Empty, migrated target databases to restore into: a fresh SQLite file per test (copied
from one migrated once), and on PostgreSQL a database of our own beside the configured one
(``<name>_restore``), emptied with its id sequences reset before each test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from app.db_migrations import upgrade
from app.extensions import Database
from app.models import Base
from tests.conftest import _empty_tables


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_target(postgres_url: str) -> Iterator[str]:
    url = make_url(postgres_url)
    name = f"{url.database}_restore"
    server = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name).render_as_string(hide_password=False)
    upgrade(target)
    yield target
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def open_database() -> Iterator[Callable[[str], Database]]:
    """Databases opened the way the app opens them (SQLite foreign keys on), closed after."""
    opened: list[Database] = []

    def open_(url: str) -> Database:
        opened.append(Database(url))
        return opened[-1]

    yield open_
    for db in opened:
        db.engine.dispose()


@pytest.fixture
def source_url(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """The test database of that kind (``sqlite`` or ``postgresql``), emptied."""

    def get(kind: str) -> str:
        url: str = request.getfixturevalue("postgres_url" if kind == "postgresql" else "sqlite_url")
        _empty_tables(url)
        return url

    return get


@pytest.fixture
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """An empty database of that kind, migrated to head, that no other test uses."""

    def get(kind: str) -> str:
        if kind == "sqlite":
            path = tmp_path / "target.db"
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
            return f"sqlite:///{path}"
        url: str = request.getfixturevalue("postgres_target")
        names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return url

    return get
