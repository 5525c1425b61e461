"""Redis hangs, then stops, in the middle of a question, under two `arena serve` processes:
phones and host get `unavailable` in bounded time instead of waiting, and once Redis is
back (with its data: it writes every change to disk) the same processes, never restarted,
carry on with the game where it was, broadcasts crossing between them again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.live import protocol
from app.live.store import LiveStore
from tests.faults.conftest import PrivateRedis, expected_scores, redis_scores, sql_game, wait_until
from tests.live.conftest import Phone, new_game, single, start_server, stop_server
from tests.live.test_server_game import host, join

QUESTIONS = [single("第一题", ["甲", "乙", "丙"], 1), single("第二题", ["甲", "乙", "丙"], 0, limit=60)]
PLAN = {"红一": [1, 0], "蓝一": [0, 0], "红二": [1, 1], "蓝二": [1, 0]}  # 红一 and 蓝一 on A, the others on B


def unavailable_within(call: Callable[[], dict[str, Any]], limit: float) -> float:
    """Make the call; it must answer `unavailable`, and within ``limit`` seconds."""
    started = time.monotonic()
    ack = call()
    took = time.monotonic() - started
    assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
    assert ack["error"]["message"] == protocol.ERRORS["unavailable"]
    assert took < limit, f"`unavailable` after {took:.1f} s"
    return took


@pytest.mark.slow
def test_redis_hanging_and_stopping_mid_question(
    private_redis: PrivateRedis, database_url: str, tmp_path: Path, phones: Callable[..., Phone]
) -> None:
    client = private_redis.client()
    store = LiveStore(client)
    servers = [start_server(tmp_path, database_url, private_redis.url)]
    try:
        servers.append(start_server(tmp_path, database_url, private_redis.url))
        a, b = servers
        pin, token = new_game(store, QUESTIONS)
        screen = host(a.url, pin, token, phones)
        seats: dict[str, tuple[Phone, str]] = {}
        for name in PLAN:
            phone, ack = join(a.url if name in ("红一", "蓝一") else b.url, pin, name, name[0] + "队", phones)
            seats[name] = (phone, ack["player_id"])
        wait_until(lambda: private_redis.subscribers() == 2, 5, "both message-queue listeners")

        screen.call(protocol.HOST_START, {"pin": pin})
        for name, (phone, _id) in seats.items():
            phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
            assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [PLAN[name][0]]})["ok"]
        for phone, _id in seats.values():
            phone.wait(protocol.PLAYER_RESULT, lambda d: d["q"] == 0)  # closed: everyone answered
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "question"
        for phone, _id in seats.values():
            phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question" and d["q"] == 1)
        first, _id = seats["红一"]
        assert first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [PLAN["红一"][1]]})["ok"]

        # Redis hangs (every connection open, no reply): a host screen opened now gets
        # `unavailable` once the command timeout (3 s) passes, not redis-py's default 5 s.
        late_screen = phones(a.url, "新主持屏")
        private_redis.pause()
        try:
            unavailable_within(
                lambda: late_screen.call(protocol.HOST_JOIN, {"pin": pin, "host_token": token}), 4.5
            )
        finally:
            private_redis.resume()

        # Redis stops: refused at once, the phones' answers and the host's step alike.
        private_redis.stop()
        second, _id = seats["红二"]
        unavailable_within(
            lambda: second.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [1]}), 2
        )
        unavailable_within(lambda: screen.call(protocol.HOST_NEXT, {"pin": pin}), 2)

        # Redis is back with its data; both servers run on, their listeners subscribe again.
        private_redis.start()
        wait_until(lambda: private_redis.subscribers() == 2, 20, "both message-queue listeners back")
        assert store.state(pin).phase == "question" and store.answered_count(pin, 1) == 1  # type: ignore[union-attr]
        for name in ("红二", "蓝一", "蓝二"):  # 红二 again: its refused answer was not recorded
            ack = seats[name][0].call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [PLAN[name][1]]})
            assert ack["ok"], (name, ack)
        ids = {name: player_id for name, (_phone, player_id) in seats.items()}
        expected = expected_scores(store, pin, ids, PLAN, QUESTIONS)
        # The last answer (on B) closed the question: every phone, on A as on B, gets it.
        for name, (phone, _id) in seats.items():
            assert phone.wait(protocol.PLAYER_RESULT, lambda d: d["q"] == 1)["score"] == expected[name]
        assert screen.wait(protocol.GAME_REVEAL, lambda d: d["q"] == 1)["distribution"] == [3, 1, 0]
        assert redis_scores(store, pin, ids) == expected

        screen.call(protocol.HOST_NEXT, {"pin": pin})  # leaderboard
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "podium"
        for phone, _id in seats.values():
            phone.wait(protocol.GAME_OVER)
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"
        for phone, _id in [*seats.values(), (screen, "")]:
            assert [r["q"] for r in phone.received(protocol.GAME_REVEAL)] == [0, 1]  # each closed once
        assert sql_game(database_url, pin) == (1, {n: (ids[n], expected[n]) for n in PLAN})
    finally:
        for server in servers:
            stop_server(server)
        client.close()
