"""The only server process dies (SIGKILL) while a question is open, and a new one starts on
the same Redis and database: the deadline still closes the question exactly once, whether
the new process is up before the deadline (its ticker closes it on time) or only after it
(its ticker closes it at once), and every answer given before the crash is scored once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis as redis_py

from app.live import protocol
from app.live.store import LiveStore
from tests.faults.conftest import expected_scores, redis_scores, rejoin, sql_game, wait_until
from tests.live.conftest import Phone, Server, new_game, single, start_server, stop_server
from tests.live.test_server_game import host, join

QUESTIONS = [single("第一题", ["甲", "乙"], 0, limit=7), single("第二题", ["甲", "乙"], 1, limit=2)]
PLAN = {"红一": [0, 1], "红二": [1, None], "蓝一": [None, 0]}  # None: still thinking at the crash


def kill(server: Server) -> None:
    server.process.kill()
    server.process.wait()


@pytest.mark.slow
def test_a_restart_during_a_question_closes_it_once(
    redis_url: str, database_url: str, tmp_path: Path, phones: Callable[..., Phone]
) -> None:
    client = redis_py.Redis.from_url(redis_url, decode_responses=True)
    store = LiveStore(client)
    servers = [start_server(tmp_path, database_url, redis_url)]
    try:
        pin, token = new_game(store, QUESTIONS)
        first = servers[0].url
        seats = {name: join(first, pin, name, name[0] + "队", phones) for name in PLAN}
        ids = {name: ack["player_id"] for name, (_phone, ack) in seats.items()}
        tokens = {name: ack["rejoin_token"] for name, (_phone, ack) in seats.items()}

        # Question 1 (7 s): two answers, then the process dies and another starts in time.
        screen = host(first, pin, token, phones)
        screen.call(protocol.HOST_START, {"pin": pin})
        for name in ("红一", "红二"):
            seats[name][0].wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
            assert seats[name][0].call(
                protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [PLAN[name][0]]}
            )["ok"]
        deadline_ms = store.state(pin).deadline_ms  # type: ignore[union-attr]
        kill(servers[0])
        servers.append(start_server(tmp_path, database_url, redis_url))
        second = servers[-1].url
        again = {name: rejoin(second, pin, tokens[name], phones, f"{name}（重启后）") for name in PLAN}
        assert {name: ack["answered"] for name, (_phone, ack) in again.items()} == {
            "红一": True,
            "红二": True,
            "蓝一": False,
        }
        left = deadline_ms - store.now_ms()
        assert left > 500, f"the new process came up {-left} ms after the deadline: the machine is too slow"
        assert all(ack["state"]["phase"] == "question" for _phone, ack in again.values())
        for phone, _ack in again.values():
            state = phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "reveal", timeout=left / 1000 + 3)
            assert state["q"] == 0
        closed_at = store.now_ms()
        assert deadline_ms <= closed_at < deadline_ms + 2000  # by the new process's ticker, on time
        time.sleep(0.5)  # several ticks more
        expected = expected_scores(store, pin, ids, {n: [p[0], None] for n, p in PLAN.items()}, QUESTIONS)
        for name, (phone, _ack) in again.items():
            assert len(phone.received(protocol.GAME_REVEAL)) == 1, name
            results = phone.received(protocol.PLAYER_RESULT)
            assert [(r["q"], r["score"]) for r in results] == [(0, expected[name])], name
        assert redis_scores(store, pin, ids) == expected

        # Question 2 (2 s): one answer, the process dies, and none runs until the deadline
        # has passed; the next one to start closes it at once.
        screen = host(second, pin, token, phones)
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        phone = again["红一"][0]
        phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question" and d["q"] == 1)
        assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [1]})["ok"]
        late = again["蓝一"][0]  # answers just before the crash, 0 points (wrong)
        assert late.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [0]})["ok"]
        deadline_ms = store.state(pin).deadline_ms  # type: ignore[union-attr]
        kill(servers[-1])
        wait_until(lambda: store.now_ms() > deadline_ms + 300, 5, "the deadline passing")
        assert store.state(pin).phase == "question"  # type: ignore[union-attr]  # nobody closed it
        servers.append(start_server(tmp_path, database_url, redis_url))
        third = servers[-1].url
        wait_until(lambda: store.state(pin).phase == "reveal", 5, "the new process closing it")  # type: ignore[union-attr]
        expected = expected_scores(store, pin, ids, PLAN, QUESTIONS)
        for name in PLAN:
            _phone, ack = rejoin(third, pin, tokens[name], phones, f"{name}（再次重启后）")
            assert ack["state"]["phase"] == "reveal" and ack["state"]["q"] == 1
            assert ack["result"]["score"] == ack["score"] == expected[name], name
        assert redis_scores(store, pin, ids) == expected

        screen = host(third, pin, token, phones)
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "podium"
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"
        assert sql_game(database_url, pin) == (1, {n: (ids[n], expected[n]) for n in PLAN})
    finally:
        for server in servers:
            stop_server(server)  # a killed one: its exit is collected, its log closed
        client.close()
