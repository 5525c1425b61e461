"""Every socket event with every kind of connection, against the table in docs/SECURITY.md:
a real server process, real python-socketio clients over websocket. An event the server
handles that is not in the table fails, and so does a connection that gets past a check
the table says it must not (or is stopped by one it should pass)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.danmaku import protocol as wall
from app.extensions import database
from app.live import protocol as live
from app.realtime import danmaku_walls, live_games, scenario_runs, socketio
from app.scenario import protocol as scenario
from app.scenario.results import load_scenario, open_run
from tests.live.conftest import Phone, Server, live_env, new_game, server, single  # noqa: F401
from tests.security.test_roles import table
from tests.security.world import ROOT

CONNECTIONS = ("connection", "player", "other_host", "host")  # the table's 连接 玩家 别场主持人 本场主持人
# The codes that mean "this connection may not do that"; any other answer means it may (a
# refusal for another reason, like a phase, is the rule's business, not the role's).
ROLE_CODES = {"bad_host_token", "not_joined"}
MINI = (ROOT / "tests" / "scenario" / "data" / "mini.yaml").read_bytes()


def socket_table() -> dict[str, dict[str, str]]:
    rows = {}
    for event, *cells in table("events"):
        assert len(cells) == len(CONNECTIONS), event
        rows[event.strip("`")] = dict(zip(CONNECTIONS, cells, strict=True))
    return rows


def test_every_event_the_server_handles_is_in_the_table(app: Any) -> None:
    handled = set(socketio.server.handlers["/"]) - {"connect", "disconnect"}
    assert handled and handled == set(socket_table())


class Activity:
    """One game, scenario run or standalone wall: its PIN, host token, and how to sit in it."""

    def __init__(self, kind: str, app: Any) -> None:
        self.kind = kind
        if kind == "live":
            self.pin, self.token = new_game(live_games(app).store, [single("题", ["甲", "乙"], 0)])
        elif kind == "scenario":
            run, self.token = open_run(database(app), scenario_runs(app), "mini-radio", 1, False)
            self.pin = run.pin
            # Two seats the host's commands can name (an unknown one would be `not_joined` too).
            self.seats = [
                scenario_runs(app).join(self.pin, name, "", "")[0]["player_id"] for name in ("王五", "赵六")
            ]
        else:
            self.pin, self.token = danmaku_walls(app).store.create_standalone("大会", "auto")

    def host_join(self, phone: Phone) -> None:
        event, field = {
            "live": (live.HOST_JOIN, "host_token"),
            "scenario": (scenario.HOST_JOIN, "host_token"),
            "wall": (wall.MODERATOR_JOIN, "token"),
        }[self.kind]
        assert phone.call(event, {"pin": self.pin, field: self.token})["ok"]

    def player_join(self, phone: Phone) -> None:
        event = {"live": live.PLAYER_JOIN, "scenario": scenario.PLAYER_JOIN, "wall": wall.JOIN}[self.kind]
        reply = phone.call(event, {"pin": self.pin, "nickname": "张三", "team": "红队"})
        assert reply["ok"], reply


# Each event's kind of activity and a well-formed payload for activity ``a`` (``token`` is the
# host token the connection holds: its own activity's, or a made-up one).
PAYLOADS: dict[str, tuple[str, Callable[[Activity, str], dict[str, Any]]]] = {
    live.HOST_JOIN: ("live", lambda a, token: {"pin": a.pin, "host_token": token}),
    live.HOST_START: ("live", lambda a, _t: {"pin": a.pin}),
    live.HOST_NEXT: ("live", lambda a, _t: {"pin": a.pin}),
    live.HOST_END: ("live", lambda a, _t: {"pin": a.pin}),
    live.HOST_KICK: ("live", lambda a, _t: {"pin": a.pin, "player_id": "p1"}),
    live.PLAYER_JOIN: ("live", lambda a, _t: {"pin": a.pin, "nickname": "李四", "team": "蓝队"}),
    live.PLAYER_ANSWER: ("live", lambda a, _t: {"pin": a.pin, "q": 0, "choice": [0]}),
    scenario.HOST_JOIN: ("scenario", lambda a, token: {"pin": a.pin, "host_token": token}),
    scenario.SCREEN_JOIN: ("scenario", lambda a, token: {"pin": a.pin, "host_token": token}),
    scenario.HOST_NEXT: ("scenario", lambda a, _t: {"pin": a.pin}),
    scenario.HOST_PREVIOUS: ("scenario", lambda a, _t: {"pin": a.pin}),
    scenario.HOST_PAUSE: ("scenario", lambda a, _t: {"pin": a.pin}),
    scenario.HOST_RESUME: ("scenario", lambda a, _t: {"pin": a.pin}),
    scenario.HOST_ASSIGN: ("scenario", lambda a, _t: {"pin": a.pin, "player_id": a.seats[0], "group": 0}),
    scenario.HOST_RELEASE: ("scenario", lambda a, _t: {"pin": a.pin, "clue": "c1"}),
    scenario.HOST_NOTE: ("scenario", lambda a, _t: {"pin": a.pin, "player_id": a.seats[0], "text": "提示"}),
    scenario.HOST_REPLACE: (
        "scenario",
        lambda a, _t: {"pin": a.pin, "player_id": a.seats[0], "new_player_id": a.seats[1]},
    ),
    scenario.HOST_END: ("scenario", lambda a, _t: {"pin": a.pin}),
    scenario.PLAYER_JOIN: ("scenario", lambda a, _t: {"pin": a.pin, "nickname": "李四"}),
    scenario.PLAYER_SEARCH: ("scenario", lambda a, _t: {"pin": a.pin, "place": "p1"}),
    scenario.PLAYER_SCAN: ("scenario", lambda a, _t: {"pin": a.pin, "code": "ABCDEF"}),
    scenario.PLAYER_ANSWER: ("scenario", lambda a, _t: {"pin": a.pin, "checkpoint": "c1", "choice": 0}),
    scenario.PLAYER_VOTE: ("scenario", lambda a, _t: {"pin": a.pin, "option": "o1"}),
    scenario.PLAYER_SHARE: ("scenario", lambda a, _t: {"pin": a.pin, "clue": "c1"}),
    wall.JOIN: ("wall", lambda a, _t: {"pin": a.pin, "nickname": "李四"}),
    wall.SEND: ("wall", lambda a, _t: {"pin": a.pin, "text": "加油"}),
    wall.ASK: ("wall", lambda a, _t: {"pin": a.pin, "text": "什么时候开始？"}),
    wall.VOTE: ("wall", lambda a, _t: {"pin": a.pin, "question_id": "1"}),
    wall.SCREEN_JOIN: ("wall", lambda a, token: {"pin": a.pin, "token": token}),
    wall.MODERATOR_JOIN: ("wall", lambda a, token: {"pin": a.pin, "token": token}),
    wall.APPROVE: ("wall", lambda a, _t: {"pin": a.pin, "message_id": "1"}),
    wall.REJECT: ("wall", lambda a, _t: {"pin": a.pin, "message_id": "1"}),
    wall.REMOVE: ("wall", lambda a, _t: {"pin": a.pin, "message_id": "1"}),
    wall.MUTE: ("wall", lambda a, _t: {"pin": a.pin, "player_id": "w1", "minutes": 5}),
    wall.SETTINGS: ("wall", lambda a, _t: {"pin": a.pin, "paused": True}),
    wall.QA_PIN: ("wall", lambda a, _t: {"pin": a.pin, "question_id": None}),
    wall.QA_ANSWERED: ("wall", lambda a, _t: {"pin": a.pin, "question_id": "1"}),
    wall.QA_HIDE: ("wall", lambda a, _t: {"pin": a.pin, "question_id": "1"}),
}


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[[], Phone]]:  # noqa: F811
    made: list[Phone] = []

    def make() -> Phone:
        phone = Phone(server.url)
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.close()


def test_every_event_answers_each_connection_as_the_table_says(
    app: Any, connect: Callable[[], Phone]
) -> None:
    with database(app).transaction() as session:
        load_scenario(session, MINI)
    expected = socket_table()
    assert set(PAYLOADS) == set(expected)
    wrong = []
    for event, (kind, payload) in PAYLOADS.items():
        for who in CONNECTIONS:
            here, elsewhere = Activity(kind, app), Activity(kind, app)
            phone = connect()
            token = "a-made-up-token"
            if who == "player":
                here.player_join(phone)
            elif who == "other_host":
                elsewhere.host_join(phone)
                token = elsewhere.token
            elif who == "host":
                here.host_join(phone)
                token = here.token
            reply = phone.call(event, payload(here, token))
            code = reply.get("error", {}).get("code") if not reply.get("ok") else None
            got = code if code in ROLE_CODES else "✓"
            if got != expected[event][who].strip("`"):
                wrong.append(f"{event} as {who}: expected {expected[event][who]}, got {got} ({reply})")
            phone.close()
    assert "\n".join(wrong) == ""
