"""deploy/nginx.conf in front of two real ``arena serve`` processes sharing one database and one
Redis (the message queue), played through by real Socket.IO clients.

``hash $remote_addr consistent`` sends every client of one address to one process, and on
loopback every phone has the address 127.0.0.1: the host and half the phones reach one
process through nginx (websocket transport), the other half connect straight to the other
process. Every broadcast of the game then crosses processes through Redis in both directions
(the host's commands on one; the answer that closes question 2 on the other), and
each phone must see every phase of every question exactly once and end with its exact score.
Separately, HTTP requests from many loopback addresses show that nginx spreads clients over
both processes and keeps each address on one."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.live import protocol
from app.live.store import LiveStore
from app.models import Game, GamePlayer
from tests.deploy import Nginx, require_nginx, start_nginx, stop_nginx
from tests.live.conftest import (  # noqa: F401  (live_env, phones and store are fixtures reused)
    Phone,
    Server,
    live_env,
    new_game,
    phones,
    single,
    start_server,
    stop_server,
    store,
)
from tests.live.test_server_game import expected_points, host, join

OPTIONS = ["甲", "乙", "丙", "丁"]
QUESTIONS = [
    single("经 nginx 的第一题", OPTIONS, 2),
    single("经 nginx 的第二题", OPTIONS, 0),
    single("经 nginx 的第三题", OPTIONS, 3),
    single("经 nginx 的第四题", OPTIONS, 1),
]
PLAN = {  # nickname → (team, choices for q1..q4; None = no answer)
    "红一": ("红队", [2, 0, 3, 1]),
    "蓝一": ("蓝队", [2, 0, 3, 0]),
    "红二": ("红队", [1, 0, 3, 1]),
    "蓝二": ("蓝队", [2, 1, None, 1]),
    "红三": ("红队", [0, 3, 3, None]),
    "蓝三": ("蓝队", [2, 0, 0, 1]),
    "红四": ("红队", [3, 2, 1, 0]),
    "蓝四": ("蓝队", [2, 0, 3, 1]),
    "红五": ("红队", [None, 0, 3, 1]),
    "蓝五": ("蓝队", [1, 1, 1, 1]),
    "红六": ("红队", [2, 0, 2, 2]),
    "蓝六": ("蓝队", [0, 0, 3, None]),
}
THROUGH_NGINX = [name for index, name in enumerate(PLAN) if index % 4 < 2]  # both teams, half the phones
LIMIT_MS = 30_000
UPSTREAM = re.compile(
    r'^(?P<client>\S+) \[[^]]*\] "(?P<request>[^"]*)" (?P<status>\d+) .* upstream=(?P<up>\S+)$'
)


def log_entries(proxy: Nginx) -> list[dict[str, str]]:
    entries = [UPSTREAM.match(line) for line in proxy.access_log()]
    assert all(entries), proxy.access_log()
    return [entry.groupdict() for entry in entries if entry]


def logged(proxy: Nginx, keep: Callable[[dict[str, str]], bool], count: int) -> list[dict[str, str]]:
    """The access-log entries that ``keep`` selects, once there are ``count`` of them (nginx
    writes a line when the request ends: a websocket's when it closes) or after 5 s."""
    deadline = time.monotonic() + 5
    while True:
        entries = [entry for entry in log_entries(proxy) if keep(entry)]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster(
    live_env: dict[str, Any],  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server, Nginx]]:
    require_nginx()
    started: list[Server] = []
    proxy = None
    try:
        for _ in range(2):
            started.append(
                start_server(live_env["instance"], live_env["database_url"], live_env["redis_url"])
            )
        proxy = start_nginx(tmp_path_factory.mktemp("nginx"), [server.port for server in started])
        yield started[0], started[1], proxy
    finally:
        if proxy is not None:
            stop_nginx(proxy)
        for server in started:
            stop_server(server)


def sticky_process(proxy: Nginx, servers: tuple[Server, Server]) -> tuple[Server, Server]:
    """(the process nginx sends 127.0.0.1 to, the other one), from nginx's own access log."""
    upstreams = {entry["up"] for entry in log_entries(proxy) if entry["client"] == "127.0.0.1"}
    assert len(upstreams) == 1, upstreams  # start_nginx's readiness requests came from here
    (chosen,) = upstreams
    first, second = servers
    return (first, second) if chosen == f"127.0.0.1:{first.port}" else (second, first)


def test_nginx_spreads_client_addresses_over_both_processes_and_keeps_each_on_one(
    cluster: tuple[Server, Server, Nginx],
) -> None:
    first, second, proxy = cluster
    addresses = [f"127.0.0.{n}" for n in range(2, 42)]
    for _round in range(2):
        for address in addresses:
            connection = http.client.HTTPConnection(
                "127.0.0.1", proxy.port, timeout=5, source_address=(address, 0)
            )
            connection.request("GET", "/login")
            response = connection.getresponse()
            assert response.status == 200 and "登录" in response.read().decode()
            connection.close()
    seen: dict[str, set[str]] = {}
    for entry in logged(proxy, lambda e: e["client"] in addresses, 2 * len(addresses)):
        assert entry["request"] == "GET /login HTTP/1.1" and entry["status"] == "200", entry
        seen.setdefault(entry["client"], set()).add(entry["up"])
    assert set(seen) == set(addresses)
    assert all(len(upstreams) == 1 for upstreams in seen.values()), seen  # sticky per address
    used = set().union(*seen.values())
    assert used == {f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}, used  # both serve


def test_websockets_through_nginx_are_checked_against_the_forwarded_host(
    cluster: tuple[Server, Server, Nginx],
) -> None:
    """Socket.IO accepts a websocket only from a page of the Host it sees, so nginx must pass
    the Host with its port ($http_host): a page at http://127.0.0.1:<port> gets in, the same
    address without the port (what $host would forward) and another site do not."""
    _first, _second, proxy = cluster

    def connect(origin: str) -> bool:
        client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        try:
            client.connect(proxy.url, transports=["websocket"], wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return False
        connected = client.transport() == "websocket"
        client.disconnect()
        return connected

    assert connect(proxy.url) is True
    assert connect("http://127.0.0.1") is False
    assert connect("http://evil.example") is False


def test_a_whole_game_with_phones_on_both_processes_and_through_nginx(
    cluster: tuple[Server, Server, Nginx],
    store: LiveStore,  # noqa: F811
    phones: Callable[..., Phone],  # noqa: F811
    live_env: dict[str, Any],  # noqa: F811
) -> None:
    first, second, proxy = cluster
    behind, other = sticky_process(proxy, (first, second))
    pin, token = new_game(store, QUESTIONS)
    screen = host(proxy.url, pin, token, phones)
    seats: dict[str, tuple[Phone, dict[str, Any]]] = {}
    for name, (team, _choices) in PLAN.items():  # one at a time: join order breaks ties
        seats[name] = join(proxy.url if name in THROUGH_NGINX else other.url, pin, name, team, phones)
    assert screen.wait(protocol.GAME_PLAYERS, lambda d: d["count"] == len(PLAN))["count"] == len(PLAN)

    totals = dict.fromkeys(PLAN, 0)
    streaks = dict.fromkeys(PLAN, 0)
    correct_time = dict.fromkeys(PLAN, 0)
    orders: list[list[str]] = []
    for q, question in enumerate(QUESTIONS):
        ack = screen.call(protocol.HOST_START if q == 0 else protocol.HOST_NEXT, {"pin": pin})
        assert ack["ok"] and (ack["state"]["phase"], ack["state"]["q"]) == ("question", q), ack
        for name, (phone, _joined) in seats.items():
            shown = phone.wait(protocol.GAME_STATE, lambda d, q=q: (d["phase"], d["q"]) == ("question", q))
            assert shown["question"]["stem"] == question["stem"] and "key" not in shown["question"]
            choice = PLAN[name][1][q]
            if choice is not None:
                answer = phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": q, "choice": [choice]})
                assert answer["ok"] and answer["accepted"] is True, (name, answer)
        if any(PLAN[name][1][q] is None for name in PLAN):
            assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "reveal"
        reveal = screen.wait(protocol.GAME_REVEAL, lambda d, q=q: d["q"] == q)  # all answered: closed
        assert reveal["correct"] == question["key"]
        assert reveal["distribution"] == [sum(1 for n in PLAN if PLAN[n][1][q] == i) for i in range(4)]
        recorded = store.answers(pin, q)
        for name, (phone, joined) in seats.items():
            choice = PLAN[name][1][q]
            right = choice == question["key"][0]
            elapsed = recorded[joined["player_id"]]["e"] if choice is not None else 0
            streaks[name] = streaks[name] + 1 if right else 0
            points = expected_points(elapsed, LIMIT_MS, streaks[name]) if right else 0
            totals[name] += points
            correct_time[name] += elapsed if right else 0
            assert phone.wait(protocol.GAME_REVEAL, lambda d, q=q: d["q"] == q) == reveal, name
            result = phone.wait(protocol.PLAYER_RESULT, lambda d, q=q: d["q"] == q)
            assert (result["correct"], result["points"], result["score"], result["streak"]) == (
                right,
                points,
                totals[name],
                streaks[name],
            ), name
        order = sorted(PLAN, key=lambda n: (-totals[n], correct_time[n], list(PLAN).index(n)))
        orders.append(order)
        for place, name in enumerate(order, start=1):
            result = seats[name][0].wait(protocol.PLAYER_RESULT, lambda d, q=q: d["q"] == q)
            assert result["rank"] == place, (name, result)
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "leaderboard"
        for phone, _joined in seats.values():
            phone.wait(protocol.GAME_STATE, lambda d, q=q: (d["phase"], d["q"]) == ("leaderboard", q))
        # The leaderboard is the big screen's (phones show 请看大屏排行榜 from the state).
        screen.wait(
            protocol.GAME_LEADERBOARD, lambda _d, q=q: len(screen.received(protocol.GAME_LEADERBOARD)) > q
        )
        board = screen.received(protocol.GAME_LEADERBOARD)[q]
        assert [p["nickname"] for p in board["players"]] == order[:10]
        assert [p["score"] for p in board["players"]] == [totals[n] for n in order[:10]]
        red = round(sum(totals[n] for n in PLAN if PLAN[n][0] == "红队") / 6, 1)
        blue = round(sum(totals[n] for n in PLAN if PLAN[n][0] == "蓝队") / 6, 1)
        teams = {t["team"]: (t["score"], t["members"], t["rank"]) for t in board["teams"]}
        assert teams == {"红队": (red, 6, 1 if red >= blue else 2), "蓝队": (blue, 6, 1 if blue > red else 2)}

    assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "podium"
    final = orders[-1]
    for name, (phone, _joined) in seats.items():
        over = phone.wait(protocol.GAME_OVER)
        assert [p["nickname"] for p in over["podium"]] == final[:3], name
        assert [p["score"] for p in over["podium"]] == [totals[n] for n in final[:3]], name
        phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "podium")
    for name, (phone, _joined) in seats.items():
        # Every phase of every question, each exactly once, whichever process the phone is on.
        phases = [(d["phase"], d["q"]) for d in phone.received(protocol.GAME_STATE)]
        expected = [
            (phase, q) for q in range(len(QUESTIONS)) for phase in ("question", "reveal", "leaderboard")
        ]
        assert [step for step in phases if step[0] != "podium"] == expected, (name, phases)
        assert [step[0] for step in phases].count("podium") == 1, (name, phases)
        assert [d["q"] for d in phone.received(protocol.GAME_REVEAL)] == list(range(len(QUESTIONS))), name
        assert [d["q"] for d in phone.received(protocol.PLAYER_RESULT)] == list(range(len(QUESTIONS))), name
        assert phone.received(protocol.GAME_LEADERBOARD) == [], name
        assert len(phone.received(protocol.GAME_OVER)) == 1, name
        assert phone.received(protocol.PLAYER_RESULT)[-1]["score"] == totals[name], name

    # The game was written once to SQL, with the same scores and ranks.
    engine = create_engine(live_env["database_url"])
    with Session(engine) as session:
        game = session.scalar(select(Game).where(Game.pin == pin))
        assert game is not None and game.questions_played == len(QUESTIONS)
        rows = {
            p.nickname: (p.score, p.rank, p.team)
            for p in session.scalars(select(GamePlayer).where(GamePlayer.game_id == game.id))
        }
    engine.dispose()
    assert rows == {n: (totals[n], final.index(n) + 1, PLAN[n][0]) for n in PLAN}
    assert totals["红四"] == 0 and min(totals[n] for n in PLAN if n != "红四") > 0  # the plan's spread
    assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"

    # nginx carried the host's and half the phones' websockets, all to the one process.
    for phone, _joined in seats.values():
        phone.close()
    screen.close()
    websocket = re.compile(r"GET /socket\.io/\?.*transport=websocket")
    upgraded = logged(
        proxy,
        lambda e: websocket.match(e["request"]) is not None and e["status"] == "101",
        1 + len(THROUGH_NGINX),
    )
    assert len(upgraded) >= 1 + len(THROUGH_NGINX), proxy.access_log()
    sockets = [e for e in log_entries(proxy) if websocket.match(e["request"])]
    assert {e["up"] for e in sockets} == {f"127.0.0.1:{behind.port}"}, sockets
