"""PostgreSQL refuses every connection when a game ends (its database is taken away from a
running `arena serve`): the hall still gets its podium and the end, Redis keeps the game,
and the server's ticker writes it, credited once, within seconds of the database coming
back, without anyone doing anything."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis as redis_py
from sqlalchemy import func, select

from app.extensions import Database
from app.live import protocol
from app.live.store import LiveStore
from app.models import Game, PointEntry
from tests.faults.conftest import (
    MEMBERS_CREDITED,
    MEMBERS_PLAN,
    MEMBERS_QUESTIONS,
    MEMBERS_SEATS,
    OwnDatabase,
    expected_scores,
    redis_scores,
    roster,
    sql_game,
    wait_until,
)
from tests.live.conftest import Phone, new_game, start_server, stop_server
from tests.live.test_server_game import host
from tests.points.factories import ledger_rows


@pytest.mark.slow
def test_a_game_ending_while_postgresql_is_away_is_written_once_it_returns(
    own_postgres: OwnDatabase, redis_url: str, tmp_path: Path, phones: Callable[..., Phone]
) -> None:
    sql = Database(own_postgres.url)
    with sql.transaction() as session:
        roster(session)
    client = redis_py.Redis.from_url(redis_url, decode_responses=True)
    store = LiveStore(client)
    server = start_server(tmp_path, own_postgres.url, redis_url)
    log = tmp_path / f"server-{server.port}.log"
    try:
        pin, token = new_game(store, MEMBERS_QUESTIONS)
        screen = host(server.url, pin, token, phones)
        seats: dict[str, Phone] = {}
        ids: dict[str, str] = {}
        for name, (team, number) in MEMBERS_SEATS.items():
            seats[name] = phones(server.url, name)
            ack = seats[name].call(
                protocol.PLAYER_JOIN, {"pin": pin, "nickname": name, "team": team, "member_no": number}
            )
            assert ack["ok"], ack
            ids[name] = ack["player_id"]
        screen.call(protocol.HOST_START, {"pin": pin})
        for q in range(len(MEMBERS_QUESTIONS)):
            for name, phone in seats.items():
                phone.wait(protocol.GAME_STATE, lambda d, q=q: d["phase"] == "question" and d["q"] == q)
                if MEMBERS_PLAN[name][q] is not None:
                    ack = phone.call(
                        protocol.PLAYER_ANSWER, {"pin": pin, "q": q, "choice": [MEMBERS_PLAN[name][q]]}
                    )
                    assert ack["ok"], ack
            if q == 0:
                screen.wait(protocol.GAME_REVEAL)  # everyone answered
            else:
                assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "reveal"
            assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "leaderboard"
            if q == 0:
                screen.call(protocol.HOST_NEXT, {"pin": pin})

        own_postgres.take_away()
        started = time.monotonic()
        podium = screen.call(protocol.HOST_NEXT, {"pin": pin})
        assert podium["ok"] and podium["state"]["phase"] == "podium", podium
        assert time.monotonic() - started < 3
        for phone in seats.values():
            assert [p["nickname"] for p in phone.wait(protocol.GAME_OVER)["podium"]] == [
                "张三",
                "李四",
                "王五",
            ]
        assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"
        assert store.unwritten(store.now_ms()) == [pin] and store.meta(pin)[1] is None
        # The podium's attempt, the end's, then the ticker's, a few seconds apart.
        wait_until(lambda: log.read_text().count(f"game {pin} not written") >= 3, 8, "the ticker retrying")

        own_postgres.give_back()
        written = wait_until(
            lambda: (found := sql_game(own_postgres.url, pin))[0] and found, 8, "the game written"
        )
        expected = expected_scores(store, pin, ids, MEMBERS_PLAN, MEMBERS_QUESTIONS)
        assert redis_scores(store, pin, ids) == expected
        assert written == (1, {n: (ids[n], expected[n]) for n in MEMBERS_SEATS})
        with sql.sessions() as session:
            game_id = session.scalars(select(Game.id)).one()
            assert ledger_rows(session) == MEMBERS_CREDITED
            assert session.scalar(select(func.count(PointEntry.id))) == len(MEMBERS_CREDITED)
        assert store.meta(pin)[1] == str(game_id) and store.unwritten(store.now_ms()) == []
    finally:
        own_postgres.give_back()
        stop_server(server)
        client.close()
        sql.engine.dispose()
