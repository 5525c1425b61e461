"""Socket.IO handlers of the live quiz: parse, call the service, emit what it returns.

Each handler's payload and replies are documented in docs/PROTOCOL.md; the names and
payload rules live in ``protocol``. Handlers know no game rules (STYLE §4).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
from flask import current_app, request
from flask_socketio import SocketIO, join_room, leave_room

from app.live import protocol
from app.live.games import Emit, LiveGames, Then, game_room, host_room, player_room
from app.live.limits import ConnectionLimits
from app.live.protocol import ProtocolError

log = logging.getLogger(__name__)

# Per connection: (events, window in ms). Generous for people, tight for scripts.
RATE_LIMITS = {
    "join": (5, 10_000),
    "answer": (6, 5_000),
    "host": (30, 5_000),
    "scenario": (20, 10_000),
    "wall": (30, 10_000),  # the wall's own per-player limit (1 per 3 s, burst 3) comes first
}


LIMITS = ConnectionLimits()  # this process's connections


def live() -> LiveGames:
    from app.realtime import live_games

    return live_games(current_app)  # type: ignore[no-any-return]


def connection() -> dict[str, Any]:
    """This connection's own facts (which game, which seat, host or not), kept by Flask-SocketIO."""
    from flask import session

    return session  # type: ignore[return-value]


def send(socketio: SocketIO, emits: Iterable[Emit | Then]) -> None:
    """Emit each to its room, in order; many at once (a reveal's results) as one message on
    the Redis queue when the server has one (``RedisQueue.emit_many``). A ``Then`` runs once
    everything before it is sent, and what it returns is sent in its place.

    Before a ``Then`` the hub gets a turn, so that each socket's writer sends what was just
    emitted: the work that follows (scoring 2,000 players, writing a game) holds the process,
    and at 2,000 phones the reveal's p99 was 1.1-1.6x longer on eventlet, and 3x on gevent,
    when its frames waited behind the scoring (bench/README.md). A ``Then`` that would hold
    the process longer (writing a finished game) asks for more time (``Then.after``).
    """
    batch: list[Emit] = []
    for item in emits:
        if isinstance(item, Then):
            emit_batch(socketio, batch)
            batch = []
            socketio.sleep(item.after)  # the writers' turn
            send(socketio, item.work())
        else:
            batch.append(item)
    emit_batch(socketio, batch)


def emit_batch(socketio: SocketIO, emits: list[Emit]) -> None:
    manager = socketio.server.manager if socketio.server else None
    if len(emits) > 1 and hasattr(manager, "emit_many"):
        manager.emit_many([(item.event, item.payload, item.to) for item in emits])
        return
    for item in emits:
        socketio.emit(item.event, item.payload, to=item.to)


def handler(
    kind: str,
    error: Callable[..., dict[str, Any]] = protocol.error,
    refusals: tuple[type[Exception], ...] = (ProtocolError,),
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Rate-limit, and turn every failure into a stable error code: never a traceback.

    ``refusals`` are the exceptions that carry a code (``.code``, ``.extra``) and ``error``
    turns one into the reply; the scenario runs pass their own.
    """

    def wrap(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(function)
        def wrapped(data: Any = None, *_extra: Any) -> dict[str, Any]:
            try:
                limit, window = RATE_LIMITS[kind]
                wait = LIMITS.wait_ms(request.sid, kind, limit, window)  # type: ignore[attr-defined]
                if wait:
                    return error("rate_limited", retry_ms=wait)
                return function(data)
            except refusals as refused:
                return error(refused.code, **refused.extra)  # type: ignore[attr-defined]
            except redis.RedisError:
                log.exception("Redis unavailable in %s", function.__name__)
                return error("unavailable")
            except Exception:
                log.exception("unexpected error in %s", function.__name__)
                return error("unavailable")

        return wrapped

    return wrap


def register(socketio: SocketIO) -> None:
    """Attach the handlers to the one SocketIO object (once, however many apps are made)."""
    if getattr(socketio, "arena_registered", False):
        return
    socketio.arena_registered = True  # type: ignore[attr-defined]
    socketio.arena_disconnect_hooks = []  # type: ignore[attr-defined]  # other games' leave handlers

    def require_host(pin: str) -> None:
        if pin not in connection().get("host_pins", ()):
            raise ProtocolError("bad_host_token")

    @socketio.on(protocol.HOST_JOIN)
    @handler("host")
    def host_join(data: Any) -> dict[str, Any]:
        """{pin, host_token} → {ok, state, roster}; joins the game and host rooms."""
        command = protocol.parse_host(data, with_token=True)
        result = live().host_join(command.pin, command.host_token)
        connection().setdefault("host_pins", set()).add(command.pin)
        join_room(game_room(command.pin))
        join_room(host_room(command.pin))
        return protocol.ok(**result)

    def host_command(name: str) -> Callable[[Any], dict[str, Any]]:
        def command_handler(data: Any) -> dict[str, Any]:
            command = protocol.parse_host(data)
            require_host(command.pin)
            state, emits = live().advance(command.pin, name)
            send(socketio, emits)
            return protocol.ok(state=state)

        command_handler.__name__ = f"host_{name}"
        return command_handler

    # host:start / host:next / host:end {pin} → {ok, state}; the game room gets game:state
    # and, as the phase requires, game:reveal, player:result, game:leaderboard, game:over.
    for event, name in (
        (protocol.HOST_START, "start"),
        (protocol.HOST_NEXT, "next"),
        (protocol.HOST_END, "end"),
    ):
        socketio.on(event)(handler("host")(host_command(name)))

    @socketio.on(protocol.HOST_KICK)
    @handler("host")
    def host_kick(data: Any) -> dict[str, Any]:
        """{pin, player_id} → {ok}; the player's phones get player:kicked."""
        command = protocol.parse_host(data, with_player=True)
        require_host(command.pin)
        send(socketio, live().kick(command.pin, command.player_id))
        return protocol.ok()

    @socketio.on(protocol.PLAYER_JOIN)
    @handler("join")
    def player_join(data: Any) -> dict[str, Any]:
        """{pin, nickname, team?, member_no?, rejoin_token?} → {ok, player_id, rejoin_token, state, …}."""
        join = protocol.parse_join(data)
        snapshot = live().player_join(join, request.sid)  # type: ignore[attr-defined]
        previous = connection().get("player")
        if previous and previous != (join.pin, snapshot["player_id"]):
            leave_room(player_room(*previous))
        connection()["player"] = (join.pin, snapshot["player_id"])
        join_room(game_room(join.pin))
        join_room(player_room(join.pin, snapshot["player_id"]))
        announce_roster(socketio, join.pin)
        return protocol.ok(**snapshot)

    @socketio.on(protocol.PLAYER_ANSWER)
    @handler("answer")
    def player_answer(data: Any) -> dict[str, Any]:
        """{pin, q, choice} → {ok, accepted: true, elapsed_ms}; may close the question early."""
        answer = protocol.parse_answer(data)
        seat = connection().get("player")
        if not seat or seat[0] != answer.pin:
            raise ProtocolError("not_joined")
        ack, may_be_last = live().submit_answer(answer.pin, seat[1], answer.q, answer.choice)
        if may_be_last:
            close_soon(socketio, answer.pin, answer.q)
        return protocol.ok(**ack)

    @socketio.on("disconnect")
    def disconnect(*_args: Any) -> None:
        LIMITS.forget(request.sid)  # type: ignore[attr-defined]
        for hook in socketio.arena_disconnect_hooks:  # type: ignore[attr-defined]
            hook()
        seat = connection().get("player")
        if not seat:
            return
        try:
            send(socketio, live().disconnect(seat[0], seat[1], request.sid))  # type: ignore[attr-defined]
        except redis.RedisError:
            log.warning("Redis unavailable while %s left game %s", seat[1], seat[0])


def later(socketio: SocketIO, what: str, work: Callable[[], list[Emit | Then]], delay: float = 0) -> None:
    """Run ``work`` in the background (after ``delay`` seconds) in this app's context and
    send what it returns; a Redis failure or a bug is logged, never raised into the hub."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        if delay:
            socketio.sleep(delay)
        try:
            with app.app_context():
                send(socketio, work())
        except redis.RedisError:
            log.warning("Redis unavailable while %s", what)
        except Exception:
            log.exception("%s failed", what)

    socketio.start_background_task(run)


def close_soon(socketio: SocketIO, pin: str, q: int) -> None:
    """Close the question if everyone has answered, after this answer is acknowledged: the
    close scores every player and sends every result, and the last phone to answer should
    not wait for that (nor the answers that arrive meanwhile). Several answers may ask at
    once; the close itself is atomic, so one of them closes; if Redis fails, the deadline
    closes it."""
    later(socketio, f"closing question {q} of {pin} early", lambda: live().close_if_all_answered(pin, q))


ROSTER_DELAY = 0.25  # seconds: joins within it share one game:players to the host
_roster_due: set[str] = set()  # games of this process with a roster announcement on its way


def announce_roster(socketio: SocketIO, pin: str) -> None:
    """Send the host the lobby's roster shortly after a join, once for all the joins that
    came meanwhile. The roster grows with the hall: sent on every join, 2,000 phones joining
    at once would cost 2,000 rosters of up to 2,000 names each."""
    if pin in _roster_due:
        return
    _roster_due.add(pin)

    def roster() -> list[Emit]:
        _roster_due.discard(pin)  # a join from here on schedules the next announcement
        return [Emit(protocol.GAME_PLAYERS, live().roster_payload(pin), host_room(pin))]

    later(socketio, f"announcing the roster of {pin}", roster, delay=ROSTER_DELAY)


def run_ticker(socketio: SocketIO, app: Any, interval: float = 0.1) -> None:
    """Closes due questions and sends answered counts; one per process, all processes safe."""
    from app.realtime import live_games

    games: LiveGames = live_games(app)
    while True:
        try:
            with app.app_context():
                send(socketio, games.tick())
        except redis.RedisError:
            log.warning("ticker: Redis unavailable")
            socketio.sleep(1)
        except Exception:
            log.exception("ticker failed")
        socketio.sleep(interval)
