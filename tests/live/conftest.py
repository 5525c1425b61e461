"""Real servers for the live quiz tests: ``arena serve`` processes sharing one Redis and
one database, and python-socketio clients that record every event they receive."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
import socketio

from app.live.scoring import ScoringRules
from app.live.store import LiveStore


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis_server(executable: str, port: int, options: dict[str, str]) -> subprocess.Popen[bytes]:
    """A redis-server on 127.0.0.1:``port`` with ``options`` (``--name value``), returned once
    it answers PING; RuntimeError (and the process killed) if it does not within 10 s."""
    process = subprocess.Popen(
        [executable, "--bind", "127.0.0.1", "--port", str(port)]
        + [part for name, value in options.items() for part in (f"--{name}", value)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis_py.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if client.ping():
                    return process
            except redis_py.ConnectionError:
                time.sleep(0.05)
    finally:
        client.close()
    process.kill()
    raise RuntimeError(f"{executable} did not start on port {port}")


class Server:
    def __init__(self, port: int, process: subprocess.Popen[str], log: Any) -> None:
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}"


def start_server(instance: Path, database_url: str, redis_url: str, **env: str) -> Server:
    port = free_port()
    environment = {
        **os.environ,
        "ARENA_INSTANCE": str(instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "live-test-secret",
        **env,
    }
    log = open(instance / f"server-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"server exited: {(instance / f'server-{port}.log').read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                return Server(port, process, log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    log.close()
    pytest.fail("server did not start in 30 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.log.close()


@pytest.fixture(scope="module")
def live_env(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The database and Redis the servers of this module share (module-scoped servers)."""
    from tests.conftest import POSTGRES_URL, _empty_tables

    url = request.getfixturevalue("postgres_url" if POSTGRES_URL else "sqlite_url")
    _empty_tables(url)
    return {
        "database_url": url,
        "redis_url": request.getfixturevalue("redis_url"),
        "instance": tmp_path_factory.mktemp("live"),
    }


@pytest.fixture(scope="module")
def server(live_env: dict[str, Any]) -> Iterator[Server]:
    running = start_server(live_env["instance"], live_env["database_url"], live_env["redis_url"])
    yield running
    stop_server(running)


@pytest.fixture
def store(redis_url: str) -> Iterator[LiveStore]:
    client = redis_py.Redis.from_url(redis_url, decode_responses=True)
    yield LiveStore(client)
    client.close()


class Phone:
    """A python-socketio client that records every event and answers acks synchronously."""

    def __init__(self, url: str, name: str = "") -> None:
        self.name = name
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record)
        self.client.connect(url, transports=["websocket"], wait_timeout=10)

    def _record(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.events.append((event, data))
            self.lock.notify_all()

    def call(self, event: str, data: Any) -> dict[str, Any]:
        return self.client.call(event, data, timeout=10)  # type: ignore[no-any-return]

    def wait(self, event: str, where: Callable[[Any], bool] = lambda _d: True, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for name, data in self.events:
                    if name == event and where(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: no {event} within {timeout}s; got {[e for e, _ in self.events]}"
                    )
                self.lock.wait(remaining)

    def received(self, event: str) -> list[Any]:
        with self.lock:
            return [data for name, data in self.events if name == event]

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def phones() -> Iterator[Callable[..., Phone]]:
    made: list[Phone] = []

    def make(url: str, name: str = "") -> Phone:
        phone = Phone(url, name)
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.close()


def single(stem: str, options: list[str], key: int, limit: int = 30) -> dict[str, Any]:
    return {
        "type": "single",
        "stem": stem,
        "options": options,
        "key": [key],
        "explanation": f"{stem}的解析",
        "source": "测试",
        "time_limit": limit,
        "media": "",
    }


def new_game(store: LiveStore, questions: list[dict[str, Any]], **config: Any) -> tuple[str, str]:
    settings = {
        "title": "测试赛",
        "read_time": 0,
        "time_limit": 30,
        "teams": ["红队", "蓝队"],
        "team_mode": "free",
        "max_players": 100,
        "late_join": True,
        "scoring": ScoringRules().as_dict(),
        **config,
    }
    return store.create_game(settings, questions)
