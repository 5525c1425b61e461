"""A game that ends while the database refuses: the hall still gets its podium, Redis keeps
the game, the ticker writes it (once, by one process, every few seconds) when the database
is back, and a retry after a write that did commit counts nothing twice.

The database that refuses is a PostgreSQL address where no server listens (a real connection
attempt, refused by the kernel); the one that comes back is the test's real database. The
servers-and-PostgreSQL version of this is test_database_down.py."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import Database, database
from app.live import games as games_module
from app.live import protocol
from app.live.games import Emit, LiveGames, settled
from app.live.results import finish_game
from app.live.store import GAME_TTL, LiveStore
from app.models import Game, GamePlayer, PointEntry
from app.points.service import points
from app.realtime import live_games
from tests.faults.conftest import MEMBERS_CREDITED, MEMBERS_PLAN, MEMBERS_QUESTIONS, MEMBERS_SEATS, roster
from tests.live.conftest import free_port, new_game
from tests.points.factories import ledger_rows

RETRY_MS = 300  # the retry window, shortened from 3 s so the test waits less
# A game listed just now may be retried once it is a window old, and a process looks once per
# window: up to two windows before the attempt.
JUST_LISTED_S = 2 * RETRY_MS / 1000 + 0.2


class Switch:
    """The database the game is written to: refusing at first, the real one once back."""

    def __init__(self, real: Database) -> None:
        self.real = real
        self.down = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/arena_fault_gone")
        self.current = self.down
        self.attempts = 0

    def finish(self, app: Any, store: LiveStore, pin: str) -> int | None:
        self.attempts += 1
        return finish_game(self.current, store, pin, points(app))


@pytest.fixture
def switch(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Switch]:
    monkeypatch.setattr(games_module, "UNWRITTEN_RETRY_MS", RETRY_MS)
    # The list is one for the whole Redis: a game another test left on it would be retried here.
    store = live_games(app).store
    store.redis.delete(store.UNWRITTEN, store.UNWRITTEN_CLAIM)
    made = Switch(database(app))
    yield made
    made.down.engine.dispose()


def play_to_the_last_leaderboard(games: LiveGames) -> str:
    pin, _token = new_game(games.store, MEMBERS_QUESTIONS)
    seats = {
        nickname: games.player_join(protocol.JoinRequest(pin, nickname, team, number, ""), f"sid-{nickname}")[
            "player_id"
        ]
        for nickname, (team, number) in MEMBERS_SEATS.items()
    }
    games.advance(pin, "start")
    for q in range(len(MEMBERS_QUESTIONS)):
        for nickname, plan in MEMBERS_PLAN.items():
            if plan[q] is not None:
                games.answer(pin, seats[nickname], q, [plan[q]])
        if games.store.state(pin).phase == "question":  # type: ignore[union-attr]
            games.advance(pin, "next")  # close it (王五 did not answer the second)
        games.advance(pin, "next")  # leaderboard
        if q == 0:
            games.advance(pin, "next")  # the second question
    assert games.store.state(pin).phase == "leaderboard"  # type: ignore[union-attr]
    return pin


def host_next(games: LiveGames, pin: str) -> tuple[dict[str, Any], list[Emit]]:
    """The host's next step as the socket layer sends it: the podium, then the writing."""
    state, emits = games.advance(pin, "next")
    return state, settled(emits)


def tick_for(seconds: float, *services: LiveGames) -> None:
    """Every service ticking every 20 ms, as the servers' tickers do (they tick every 100 ms)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        for service in services:
            service.tick()
        time.sleep(0.02)


def test_a_game_ending_while_the_database_refuses_is_written_once_when_it_returns(
    app: Any, switch: Switch
) -> None:
    with database(app).transaction() as session:
        roster(session)
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: switch.finish(app, store, pin))
    other_process = LiveGames(store, "k", finish=lambda pin: switch.finish(app, store, pin))
    pin = play_to_the_last_leaderboard(games)

    # The podium: the hall sees it although the database refuses the game.
    ended_ms = store.now_ms()
    state, emits = host_next(games, pin)
    assert state["phase"] == "podium"
    over = [e.payload for e in emits if e.event == protocol.GAME_OVER]
    assert [p["nickname"] for p in over[0]["podium"]] == ["张三", "李四", "王五"]
    assert switch.attempts == 1 and store.unwritten(store.now_ms()) == [pin]
    assert host_next(games, pin)[0]["phase"] == "ended"  # the host's last step works too
    assert switch.attempts == 2

    # While it refuses: one attempt per window across both processes (the claim), the
    # first not before a window has passed since the game ended.
    tick_for(0.2, games, other_process)
    assert switch.attempts == 2
    tick_for(1.5, games, other_process)
    # About 1.5 s / 0.3 s: not once per tick, nor once per process (which would be 10).
    assert 2 + 3 <= switch.attempts <= 2 + 6, switch.attempts
    # Each failed attempt keeps the game's keys alive however long the database is away.
    for key in (store.game_key(pin), store.key(pin, "players"), store.key(pin, "answers:1")):
        store.redis.expire(key, 60)
    tick_for(RETRY_MS / 1000 + 0.2, games)
    for key in (store.game_key(pin), store.key(pin, "players"), store.key(pin, "answers:1")):
        assert store.redis.ttl(key) > GAME_TTL - 60, key
    with database(app).sessions() as session:
        assert session.scalar(select(func.count(Game.id))) == 0

    # The database is back: the next window writes the game, credited once.
    switch.current = switch.real
    tick_for(RETRY_MS / 1000 + 0.2, other_process, games)
    assert store.unwritten(store.now_ms()) == []
    scores = store.scores(pin)
    with database(app).sessions() as session:
        game = session.scalars(select(Game)).one()
        assert store.meta(pin)[1] == str(game.id)
        players = {
            p.nickname: p for p in session.scalars(select(GamePlayer).where(GamePlayer.game_id == game.id))
        }
        assert {n: p.score for n, p in players.items()} == {
            n: scores[p.player_key]["score"] for n, p in players.items()
        }
        assert [(n, players[n].rank, players[n].correct_count) for n in MEMBERS_SEATS] == [
            ("张三", 1, 2),
            ("李四", 2, 1),
            ("王五", 3, 0),
            ("来宾", 4, 0),
        ]
        # It keeps the time it ended, not the time it was written: its points fall on that day.
        assert abs(game.ended_at.replace(tzinfo=dt.UTC).timestamp() - ended_ms / 1000) < 0.5
        assert ledger_rows(session) == MEMBERS_CREDITED
        entries = set(session.scalars(select(PointEntry.id)))
    attempts = switch.attempts
    tick_for(2 * RETRY_MS / 1000, games, other_process)
    assert switch.attempts == attempts  # nothing left to retry

    # The write committed but the process died before crossing the game off (the state it
    # would leave): the retry finds the game by its live key and adds nothing.
    store.redis.hdel(store.game_key(pin), "game_id")
    store.mark_unwritten(pin)
    tick_for(JUST_LISTED_S, games)
    assert switch.attempts == attempts + 1 and store.unwritten(store.now_ms()) == []
    assert store.meta(pin)[1] == str(game.id)
    with database(app).sessions() as session:
        assert session.scalar(select(func.count(Game.id))) == 1
        assert set(session.scalars(select(PointEntry.id))) == entries
        assert ledger_rows(session) == MEMBERS_CREDITED


def test_a_game_whose_process_died_after_the_podium_is_written_by_another(app: Any, switch: Switch) -> None:
    """The podium goes out before the writing; a process that dies in between (its ``Then``
    never runs) has listed the game, and another process's ticker writes it."""
    with database(app).transaction() as session:
        roster(session)
    switch.current = switch.real
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: switch.finish(app, store, pin))
    other_process = LiveGames(store, "k", finish=lambda pin: switch.finish(app, store, pin))
    pin = play_to_the_last_leaderboard(games)
    state, emits = games.advance(pin, "next")  # the podium is sent, and the process dies
    assert state["phase"] == "podium" and any(getattr(e, "event", "") == protocol.GAME_OVER for e in emits)
    assert switch.attempts == 0 and store.unwritten(store.now_ms()) == [pin]
    tick_for(JUST_LISTED_S, other_process)
    assert switch.attempts == 1 and store.unwritten(store.now_ms()) == []
    with database(app).sessions() as session:
        game = session.scalars(select(Game)).one()
        assert store.meta(pin)[1] == str(game.id) and len(game.players) == len(MEMBERS_SEATS)
        assert ledger_rows(session) == MEMBERS_CREDITED


def test_a_game_whose_keys_are_gone_is_dropped_from_the_retry(app: Any, switch: Switch) -> None:
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: switch.finish(app, store, pin))
    pin = play_to_the_last_leaderboard(games)
    host_next(games, pin)
    store.redis.delete(*store.game_keys(pin, 2))  # expired, or Redis flushed, meanwhile
    switch.current = switch.real
    tick_for(JUST_LISTED_S, games)
    assert switch.attempts == 2 and store.unwritten(store.now_ms()) == []
    with database(app).sessions() as session:
        assert session.scalar(select(func.count(Game.id))) == 0


def test_a_game_whose_own_write_fails_does_not_hold_back_the_others(
    app: Any, switch: Switch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a database that is away stops a retry at its first game. A game whose own rows
    fail (here a real integrity error from the database) stays listed, and the game listed
    after it is written in the same window."""
    with database(app).transaction() as session:
        roster(session)
    store = live_games(app).store
    broken: set[str] = set()

    def finish(pin: str) -> int | None:
        if pin in broken:
            with database(app).transaction() as session:
                session.add(Game(live_key=f"broken:{pin}", pin=pin))  # started_at is NOT NULL
        return switch.finish(app, store, pin)

    games = LiveGames(store, "k", finish=finish)
    first = play_to_the_last_leaderboard(games)
    broken.add(first)
    host_next(games, first)
    second = play_to_the_last_leaderboard(games)
    host_next(games, second)  # the database is away: listed after the first
    assert store.unwritten(store.now_ms()) == [first, second]

    switch.current = switch.real
    tick_for(JUST_LISTED_S, games)
    assert store.unwritten(store.now_ms()) == [first]
    with database(app).sessions() as session:
        game = session.scalars(select(Game)).one()
        assert game.pin == second and store.meta(second)[1] == str(game.id)
        assert len(game.players) == len(MEMBERS_SEATS)
    assert f"writing game {first} failed; retrying" in caplog.text
    assert "IntegrityError" in caplog.text


def test_the_unwritten_keys_are_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "REDIS.md").read_text(encoding="utf-8")
    assert f"`{LiveStore.UNWRITTEN}`" in text and f"`{LiveStore.UNWRITTEN_CLAIM}`" in text
