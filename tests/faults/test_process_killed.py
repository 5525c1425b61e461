"""A server process dies (SIGKILL: no clean-up at all) mid-question while another serves the
same game: its phones and its host screen come back on the other process with their rejoin
and host tokens, in the same seats with the same scores, and the game runs to its end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis as redis_py

from app.live import protocol
from app.live.store import LiveStore
from tests.faults.conftest import expected_scores, redis_scores, rejoin, sql_game, wait_until
from tests.live.conftest import Phone, new_game, single, start_server, stop_server
from tests.live.test_server_game import host, join

QUESTIONS = [single(f"第{n}题", ["甲", "乙", "丙"], n % 3) for n in range(3)]
PLAN = {  # 红一, 红二 and the host on A (killed during question 2); 蓝一, 蓝二 on B
    "红一": [0, 1, 2],
    "红二": [0, 0, 2],
    "蓝一": [1, 1, 2],
    "蓝二": [0, 1, None],
}
ON_A = ("红一", "红二")


@pytest.mark.slow
def test_phones_of_a_killed_process_keep_their_seats_on_the_other(
    redis_url: str, database_url: str, tmp_path: Path, phones: Callable[..., Phone]
) -> None:
    client = redis_py.Redis.from_url(redis_url, decode_responses=True)
    store = LiveStore(client)
    servers = [start_server(tmp_path, database_url, redis_url)]
    try:
        servers.append(start_server(tmp_path, database_url, redis_url))
        a, b = servers
        pin, token = new_game(store, QUESTIONS)
        screen = host(a.url, pin, token, phones)
        seats: dict[str, tuple[Phone, dict]] = {}
        for name in PLAN:
            seats[name] = join(a.url if name in ON_A else b.url, pin, name, name[0] + "队", phones)
        ids = {name: ack["player_id"] for name, (_phone, ack) in seats.items()}

        screen.call(protocol.HOST_START, {"pin": pin})
        for name, (phone, _ack) in seats.items():
            phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
            assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [PLAN[name][0]]})["ok"]
        for phone, _ack in seats.values():
            phone.wait(protocol.PLAYER_RESULT, lambda d: d["q"] == 0)
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        for name in ("红一", "蓝一"):  # two answers in, one on each process
            phone = seats[name][0]
            phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question" and d["q"] == 1)
            assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [PLAN[name][1]]})["ok"]
        before = redis_scores(store, pin, ids)

        a.process.kill()
        a.process.wait()
        for name in ON_A:
            phone = seats[name][0]
            wait_until(lambda phone=phone: not phone.client.connected, 10, f"{name} sees its server gone")

        # Back on B, as the phone page does it: a new connection and the rejoin token.
        for name in ON_A:
            phone, ack = rejoin(b.url, pin, seats[name][1]["rejoin_token"], phones, f"{name}（重连）")
            assert (ack["player_id"], ack["nickname"], ack["team"]) == (ids[name], name, "红队")
            assert ack["score"] == before[name] and ack["answered"] is (name == "红一")
            assert ack["state"]["phase"] == "question" and ack["state"]["q"] == 1
            assert ack["state"]["players"] == 4  # the same four seats, none added
            seats[name] = (phone, ack)
        screen = host(b.url, pin, token, phones)
        assert len(store.players(pin)) == 4
        twice = seats["红一"][0].call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [2]})
        assert twice["error"]["code"] == "duplicate_answer"  # its answer from before is kept

        for name in ("红二", "蓝二"):
            assert seats[name][0].call(
                protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [PLAN[name][1]]}
            )["ok"]
        for phone, _ack in seats.values():
            phone.wait(protocol.PLAYER_RESULT, lambda d: d["q"] == 1)
        screen.call(protocol.HOST_NEXT, {"pin": pin})  # leaderboard
        screen.call(protocol.HOST_NEXT, {"pin": pin})  # question 3
        for name in ("红一", "红二", "蓝一"):
            phone = seats[name][0]
            phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question" and d["q"] == 2)
            assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 2, "choice": [PLAN[name][2]]})["ok"]
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "reveal"  # 蓝二 is silent
        screen.call(protocol.HOST_NEXT, {"pin": pin})
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "podium"
        expected = expected_scores(store, pin, ids, PLAN, QUESTIONS)
        for name, (phone, _ack) in seats.items():
            result = phone.wait(protocol.PLAYER_RESULT, lambda d: d["q"] == 2)
            assert result["score"] == expected[name], name
            phone.wait(protocol.GAME_OVER)
        assert redis_scores(store, pin, ids) == expected
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"
        assert sql_game(database_url, pin) == (1, {n: (ids[n], expected[n]) for n in PLAN})
    finally:
        for server in servers:
            stop_server(server)  # the killed one: its exit is collected, its log closed
        client.close()
