"""Fixtures of the fuzz tests: row counts of every table, the errors the app logged, and a
world of real games (a quiz, a scenario run, a danmaku wall) for the socket events.

The app runs Socket.IO in threading mode here: Flask-SocketIO's test client calls the
handlers in this process, and the work they hand to background tasks (closing a question
early, the host's roster) runs in real threads instead of eventlet greenlets that pytest
would never schedule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import database, redis_connection
from app.models import Base
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "scenario" / "data" / "mini.yaml"


def row_counts(app: Any) -> dict[str, int]:
    """Rows of every table of the schema, to compare before and after a refused request."""
    with database(app).sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every ERROR the app logged: a handler's 'unexpected error in …', a background task's
    '… failed', a Redis error masked as `unavailable`, a 500."""
    return [
        f"{record.name}: {record.getMessage()}\n{record.exc_text or ''}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]


def join_new_threads(before: set[threading.Thread]) -> None:
    """Wait for the background tasks a test started (the app's Redis closes after it)."""
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)


@pytest.fixture
def threaded_app(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Any]:
    from app.points.service import points

    before = set(threading.enumerate())
    made = make_test_app(tmp_path, database_url, redis_url, async_mode="threading")
    points(made).store.clear()
    made.fuzz_pins = []  # PINs whose Redis keys go at the end
    yield made
    join_new_threads(before)
    redis = redis_connection(made).client()
    for pin in made.fuzz_pins:
        keys = list(redis.scan_iter(match=f"*:{pin}*"))
        if keys:
            redis.delete(*keys)
        redis.zrem("arena:deadlines", pin)
    database(made).engine.dispose()
    redis_connection(made).close()


@dataclass
class World:
    """One quiz game, one scenario run and one standalone wall, with their host tokens."""

    app: Any
    quiz_pin: str
    quiz_token: str
    run_pin: str
    run_token: str
    wall_pin: str
    wall_token: str
    known: dict[str, list[Any]] = field(default_factory=dict)  # right field values, for payloads

    def knows_tokens(self) -> None:
        """The host's client knows the host tokens (the others send random ones)."""
        tokens = [self.quiz_token, self.run_token, self.wall_token]
        self.known.update(host_token=tokens, token=tokens)

    def client(self) -> Any:
        from app.realtime import socketio

        return socketio.test_client(self.app)


def quiz_questions() -> list[dict[str, Any]]:
    from tests.live.conftest import single

    base = {"explanation": "解析", "source": "测试", "time_limit": 60, "media": ""}
    return [
        {**single("党的一大在哪一年召开", ["1919", "1921", "1927", "1949"], 1), "time_limit": 60},
        {**base, "type": "multiple", "stem": "四个意识", "options": ["政治", "发展", "大局"], "key": [0, 2]},
        {
            **base,
            "type": "fill",
            "stem": "中共中央在陕北____度过了十三年。",
            "options": [],
            "key": [["延安"]],
        },
    ]


@pytest.fixture
def world(threaded_app: Any) -> World:
    from app.danmaku import protocol as wall_protocol
    from app.models import Branch, Member
    from app.realtime import danmaku_walls, live_games, scenario_runs
    from app.scenario.results import load_scenario, open_run

    app = threaded_app
    pin, token = new_game(app)
    with database(app).transaction() as session:
        load_scenario(session, MINI.read_bytes(), loaded_by="fuzz")
        branch = Branch(name="模糊测试支部")
        session.add(branch)
        session.flush()
        session.add(Member(name="张红", member_no="S001", branch_id=branch.id))
    run, run_token = open_run(database(app), scenario_runs(app), "mini-radio", 1, False, "fuzz")
    wall_pin, wall_token = danmaku_walls(app).store.create_standalone("模糊测试墙", "manual")
    app.fuzz_pins += [run.pin, wall_pin]
    assert live_games(app).store.exists(pin)
    made = World(app, pin, token, run.pin, run_token, wall_pin, wall_token)
    made.known = {
        "pin": [pin, run.pin, wall_pin, "000000"],
        "q": [0, 1, 2],
        "choice": [[0], [1], [0, 2], [2, 0], "延安", ["延安"], [1, 1], []],
        "nickname": ["张三", "李四", "ｚｈａｎｇ"],
        "team": ["红队", "蓝队"],
        "member_no": ["S001", "M999"],
        "group": [0, 1, 2],
        "role": ["op", "wife", "mole", "boss", "kid"],
        "option": ["op", "wife", "mole", "boss", "kid"],
        "clue": ["c-open", "c-host", "c-attic-1", "c-op-memory", "c-prop"],
        "place": ["attic", "shop"],
        "checkpoint": ["k1", "k2"],
        "code": ["c-prop", "0" * 64],
        "text": ["你好", "为人民服务", "坚持"],
        "color": list(wall_protocol.COLORS),
        "mode": list(wall_protocol.MODES),
        "paused": [True, False],
        "overlay": [True, False],
        "question_id": ["1", 1, "2"],
        "message_id": ["1", 1, "2", 2],
        "minutes": [0, 1, 10],
        "name": ["审核员"],
    }
    return made


def new_game(app: Any) -> tuple[str, str]:
    from app.realtime import live_games
    from tests.live.conftest import new_game as create

    pin, token = create(live_games(app).store, quiz_questions())
    app.fuzz_pins.append(pin)
    return pin, token
