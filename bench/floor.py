"""The floor: a bare Flask-SocketIO server on the same async mode that only acknowledges and
broadcasts (no game rules, no Redis, no database), speaking just enough of docs/PROTOCOL.md
for the load generator to run against it unchanged. What our game costs on top of
Flask-SocketIO itself is the difference between the two runs.

It broadcasts payloads of the same shape, and so about the same bytes, as ours for the run's
game (the question with its stem and options, the reveal, a podium of three players and
every team): each phone decodes every frame, and with a 15-byte podium the floor's podium
fan-out at 2,000 phones was half what the same server took for ours (p50 53-87 against
125-131 ms), a difference of the instrument's reading, not of the server.

Flask-SocketIO is set up as in ours where that is the framework's and not the game's: each
connection's events handled in order in its reading greenlet (``EVENT_HANDLING``), the
heartbeat at the run's interval, the Engine.IO path matched as ours.

With ``--store`` it stores each answer in Redis before acknowledging it (``HSETNX`` and
``EXPIRE`` in one round trip, on a client set up as ours): the round trip that "zero lost
answers" asks of any server, so that what our game adds can be told from what storing an
answer costs (bench/README.md).

``python -m bench.floor --port P --async-mode eventlet|gevent [--store]``
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--async-mode", default="eventlet", choices=["eventlet", "gevent"])
    parser.add_argument("--teams", type=int, default=4)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--time-limit", type=int, default=20)
    parser.add_argument("--ping-interval", type=int, default=25)  # Engine.IO's heartbeat, as ours
    parser.add_argument("--store", action="store_true")  # each answer stored in REDIS_URL first
    options = parser.parse_args()
    from app.entry import make_green

    make_green(options.async_mode)
    from flask import Flask, request
    from flask_socketio import SocketIO, join_room

    app = Flask(__name__)
    from app.realtime import EVENT_HANDLING, match_socket_path

    # Flask-SocketIO handling events as ours does: the difference is then the game's alone.
    socketio = SocketIO(
        app,
        async_mode=options.async_mode,
        cors_allowed_origins="*",
        ping_interval=options.ping_interval,
        **EVENT_HANDLING,
    )

    match_socket_path(app)  # as our server does: a bare server's events otherwise cost a cycle each
    game: dict[str, Any] = {
        "phase": "lobby",
        "q": -1,
        "players": 0,
        "answered": set(),
    }

    def now_ms() -> int:
        return int(time.time() * 1000)

    from app.live.games import public_question
    from bench.loadgen import key_of, questions

    bank = questions(options.questions, options.time_limit)

    def state(phase: str) -> dict[str, Any]:
        game["phase"] = phase
        ms = now_ms()
        payload: dict[str, Any] = {
            "pin": "100000",
            "phase": phase,
            "q": game["q"],
            "total": options.questions,
            "players": game["players"],
            "server_ms": ms,
            "answered": len(game["answered"]),
        }
        if phase == "question":
            payload["question"] = public_question(bank[game["q"] % len(bank)], game["q"])
            payload.update(shown_ms=ms, open_ms=ms, deadline_ms=ms + options.time_limit * 1000)
        return payload

    def reveal() -> dict[str, Any]:
        q = game["q"]
        return {
            "q": q,
            "type": "single",
            "correct": [key_of(q)],
            "distribution": [len(game["answered"]) // 4] * 4,
            "answered": len(game["answered"]),
            "explanation": "",
            "source": "bench",
        }

    def podium() -> dict[str, Any]:
        teams = [
            {"team": f"第{i + 1}队", "score": 3456.7 - i, "members": 100, "rank": i + 1}
            for i in range(options.teams)
        ]
        players = [
            {
                "player_id": f"{i + 1:06d}a1b2c3d4",
                "nickname": f"压测{i:05d}",
                "team": "第1队",
                "score": 4321,
                "correct": 5,
                "rank": i + 1,
            }
            for i in range(3)
        ]
        return {"podium": players, "teams": teams[:3], "all_teams": teams}

    @socketio.on("player:join")
    def player_join(data: Any) -> dict[str, Any]:
        game["players"] += 1
        join_room("game")
        return {"ok": True, "player_id": request.sid, "state": state(game["phase"])}  # type: ignore[attr-defined]

    @socketio.on("host:join")
    def host_join(data: Any) -> dict[str, Any]:
        join_room("game")
        return {"ok": True}

    store = None
    if options.store:
        import json
        import os
        from pathlib import Path

        from app.extensions import RedisConnection

        # Our pool and timeouts: redis-py's default pool refuses past 100 connections, and
        # 2,000 phones answering within seconds hold more than that at once.
        store = RedisConnection(os.environ["REDIS_URL"], Path(".")).client()

    @socketio.on("player:answer")
    def player_answer(data: Any) -> dict[str, Any]:
        if store is not None:
            choice = json.dumps(data.get("choice") if isinstance(data, dict) else None)
            key = f"bench:floor:{options.port}:answers:{game['q']}"
            with store.pipeline(transaction=False) as both:  # one round trip, as ours
                both.hsetnx(key, request.sid, choice).expire(key, 3600)  # type: ignore[attr-defined]
                both.execute()
        game["answered"].add(request.sid)  # type: ignore[attr-defined]
        if game["phase"] == "question" and len(game["answered"]) >= game["players"]:
            # Closed now, broadcast after this acknowledgement, as ours does (close_soon): in
            # the handler, the last answer's acknowledgement and the answers behind it waited
            # for 4,000 frames (the floor's ack max was about 150 ms in every run).
            socketio.start_background_task(broadcast, state("reveal"), reveal())
        return {"ok": True, "accepted": True, "elapsed_ms": 0}

    def broadcast(closed: dict[str, Any], revealed: dict[str, Any]) -> None:
        socketio.emit("game:state", closed, to="game")
        socketio.emit("game:reveal", revealed, to="game")

    @socketio.on("host:end")
    def host_end(data: Any) -> dict[str, Any]:
        game["phase"] = "ended"
        socketio.emit("game:over", podium(), to="game")
        return {"ok": True}

    @socketio.on("host:next")
    def host_next(data: Any) -> dict[str, Any]:
        if game["phase"] in ("lobby", "leaderboard"):
            game["q"] += 1
            game["answered"] = set()
            socketio.emit("game:state", state("question"), to="game")
        elif game["phase"] == "reveal":
            socketio.emit("game:state", state("leaderboard"), to="game")  # what our phones get
        return {"ok": True}

    from app.entry import raise_file_limit, tune_gc, watch_stalls  # arena serve's settings, for a fair floor

    raise_file_limit()
    tune_gc()
    watch_stalls(socketio.start_background_task)
    print(f"floor on {options.port} ({options.async_mode})", file=sys.stderr, flush=True)
    # eventlet's server accepts 1024 connections unless told otherwise, as arena serve tells it.
    extra = {"max_size": 20_000} if options.async_mode == "eventlet" else {}
    socketio.run(app, host="127.0.0.1", port=options.port, log_output=False, **extra)


if __name__ == "__main__":
    main()
