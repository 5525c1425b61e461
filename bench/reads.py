"""The reveal's reads of a whole hall, timed in-process against a real Redis.

A full run (``bench run``) is too noisy on a small machine to show a change of tens of
milliseconds in the reveal; this seats ``players`` in a game through the store and the rules,
answers the first question for all of them, and times each read the closing process makes
(median and minimum of ``repeat``), with redis-py's reply parser named (``hiredis`` or Python).

    REDIS_URL=redis://127.0.0.1:6379/13 python -m bench reads --players 2000
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from app.live import protocol
from app.live.games import LiveGames
from app.live.store import LiveStore
from bench.loadgen import new_game

QUESTIONS = 3


def seated_game(live: LiveGames, players: int, teams: int) -> str:
    """The bench's game (``bench.loadgen.new_game``), every player seated and the first
    question answered by all."""
    names = [f"第{index + 1}队" for index in range(teams)]
    pin, _token = new_game(live.store, players, names, QUESTIONS, time_limit=30)
    seats = []
    for index in range(players):
        join = protocol.parse_join({"pin": pin, "nickname": f"读取{index:05d}", "team": names[index % teams]})
        seats.append(live.player_join(join, f"sid{index}")["player_id"])
    live.advance(pin, "start")
    time.sleep(0.05)  # past the question's opening
    for index, player_id in enumerate(seats):
        live.submit_answer(pin, player_id, 0, [index % 4])
    return pin


def timed(work: Callable[[], Any], repeat: int) -> dict[str, float]:
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        took.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(took), 2), "min_ms": round(min(took), 2)}


def rescore(client: Any, store: LiveStore, live: LiveGames, pin: str) -> None:
    """Score the first question again: a question is scored once, so its marker goes first."""
    client.delete(store.key(pin, "scored"))
    live.score_question(pin, 0)


def reads(players: int = 2000, teams: int = 20, repeat: int = 15) -> dict[str, Any]:
    import redis
    from redis.utils import HIREDIS_AVAILABLE

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    client = redis.Redis.from_url(url, decode_responses=True)
    store = LiveStore(client)
    live = LiveGames(store, "bench-reads")
    pin = seated_game(live, players, teams)
    try:
        figures = {
            "everyone answered": timed(lambda: store.all_online_answered(pin, 0), repeat),
            "answers": timed(lambda: store.answers(pin, 0), repeat),
            "players": timed(lambda: store.players(pin), repeat),
            "scoring the question": timed(lambda: rescore(client, store, live, pin), repeat),
            "leaderboard": timed(lambda: live.leaderboard(pin), repeat),
        }
    finally:
        client.delete(*store.game_keys(pin, QUESTIONS), store.key(pin, "tick"))
        client.zrem(store.DEADLINES, pin)
    return {
        "name": f"reads-{players}",
        "settings": {"players": players, "teams": teams, "repeat": repeat},
        "parser": "hiredis" if HIREDIS_AVAILABLE else "python",
        "reads": figures,
    }
