"""The Socket.IO server object and the live quiz service, bound in the factory.

A serving process (``arena serve``) sends every broadcast through Redis (``message_queue``)
so that several processes serve one game. python-socketio's Redis listener must not time
out: redis-py 8 sets a finite socket timeout that ends its pub/sub loop (DESIGN §10), so
the manager is built here with ``socket_timeout=None``.
"""

from __future__ import annotations

from typing import Any

import socketio as python_socketio
from flask import Flask, Request, abort
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_socketio import SocketIO

from app.extensions import database, redis_connection

socketio = SocketIO()


class RedisQueue(python_socketio.RedisManager):
    """The Redis message queue, plus ``emit_many``: many emits as one message on the queue.

    A reveal sends every player their own result; one PUBLISH each would be 2,000 Redis round
    trips (and 2,000 messages for every other process to decode) before the last phone hears.
    """

    def emit_many(self, items: list[tuple[str, Any, str]], namespace: str = "/") -> None:
        """``items``: (event, payload, room), delivered in order in every process."""
        message = {"method": "emit", "batch": items, "namespace": namespace, "host_id": self.host_id}
        self._handle_emit(message)  # the clients of this process
        self._publish(message)  # those of the others

    def _handle_emit(self, message: dict[str, Any]) -> None:
        batch = message.get("batch")
        if batch is None:
            super()._handle_emit(message)
            return
        for event, data, room in batch:
            # The plain manager's emit: to this process's clients in the room, not the queue.
            python_socketio.Manager.emit(self, event, data, message.get("namespace"), room=room)


# A connection's events are handled one at a time, in the order sent, in the greenlet that
# reads them. python-socketio's default starts a greenlet per event, and each waited its turn
# at the hub: at 2,000 phones the answer's acknowledgement took 0.1-0.2 ms longer at the
# median (bench/README.md), and an answer sent right behind a join could be handled first. A
# slow event (the host's 结束, which writes the game) holds only its own connection's next
# events. The load generator's floor is built with the same.
EVENT_HANDLING = {"async_handlers": False}


def init_app(app: Flask) -> None:
    from app.danmaku import events as wall_events
    from app.live import events
    from app.scenario import events as scenario_events

    settings = app.config["ARENA"]
    options: dict[str, object] = {}
    if settings.message_queue:
        options["client_manager"] = RedisQueue(
            redis_connection(app).url, redis_options={"socket_timeout": None, "health_check_interval": 30}
        )
    # Before init_app: handlers added while no server exists are kept by Flask-SocketIO and
    # attached to every server it creates (each app made here creates one).
    events.register(socketio)
    scenario_events.register(socketio)
    wall_events.register(socketio)
    # Named explicitly: under `flask`/`arena` (FLASK_RUN_FROM_CLI) Flask-SocketIO would
    # otherwise fall back to threading and refuse to serve.
    socketio.init_app(
        app, async_mode=settings.async_mode, ping_interval=settings.ping_interval, **EVENT_HANDLING, **options
    )
    match_socket_path(app)
    app.session_interface = EventSessionInterface()


def match_socket_path(app: Flask) -> None:
    """Give the Engine.IO endpoint a URL rule of its own.

    Flask-SocketIO runs every event in a request context made from its connection's environ,
    whose path is ``/socket.io/``. With no rule for that path Werkzeug raised, and kept on the
    request, a NotFound per event, whose traceback held the event's frames: a reference cycle
    per answer that only the garbage collector frees: with 2,000 phones answering, they were
    about a third of what each of its 100-ms collections walked (bench/README.md). The
    Engine.IO middleware answers this path before Flask does, so the view never runs.
    """
    app.add_url_rule("/socket.io/", "socketio", not_found)  # long-polling connections
    app.add_url_rule("/socket.io/", "socketio", not_found, websocket=True)  # websocket ones


def not_found() -> Any:
    abort(404)


class EventSessionInterface(SecureCookieSessionInterface):
    """The cookie session, not opened again for each Socket.IO event.

    Flask-SocketIO runs each event in a request context of its connection's environ, in which
    Flask opens the cookie session (a signing serializer built, the cookie parsed), and then
    puts the connection's own session in its place: a copy taken at connect, kept in the
    environ as ``saved_session``. What Flask opened was thrown away on every event, about 3 %
    of the server's CPU in a 2,000-phone game (bench/README.md). The connect itself, and every
    HTTP request, open it as before.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "saved_session" in request.environ:
            return None  # Flask makes a null session, which Flask-SocketIO replaces at once
        return super().open_session(app, request)


def close_message_queue() -> None:
    """Drop this process's message-queue connections (at shutdown, before Redis stops)."""
    manager = socketio.server.manager if socketio.server else None
    if not isinstance(manager, python_socketio.RedisManager):
        return
    for client in (getattr(manager, "pubsub", None), getattr(manager, "redis", None)):
        if client is not None:
            client.close()


def live_games(app: Flask):  # type: ignore[no-untyped-def]
    """The live quiz service of this app, created on first use (Redis may start lazily)."""
    from app.live.games import LiveGames
    from app.live.results import finish_game
    from app.live.store import LiveStore
    from app.points.service import points

    games = app.extensions.get("arena.live")
    if games is None:
        store = LiveStore(redis_connection(app).client())
        games = LiveGames(
            store,
            app.config["SECRET_KEY"],
            finish=lambda pin: finish_game(database(app), store, pin, points(app)),
        )
        app.extensions["arena.live"] = games
    return games


def scenario_runs(app: Flask):  # type: ignore[no-untyped-def]
    """The scenario-run service of this app, created on first use."""
    from app.points.service import points
    from app.scenario.results import finish_run
    from app.scenario.runs import ScenarioRuns
    from app.scenario.store import ScenarioStore

    runs = app.extensions.get("arena.scenario")
    if runs is None:
        store = ScenarioStore(redis_connection(app).client())
        runs = ScenarioRuns(
            store,
            app.config["SECRET_KEY"],
            finish=lambda pin: finish_run(database(app), runs, pin, points(app)),
        )
        app.extensions["arena.scenario"] = runs
    return runs


def danmaku_walls(app: Flask):  # type: ignore[no-untyped-def]
    """The danmaku wall service of this app; a game's or a run's host token is its host's."""
    from app.danmaku.store import WallStore
    from app.danmaku.walls import Walls

    walls = app.extensions.get("arena.walls")
    if walls is None:
        games, runs = live_games(app), scenario_runs(app)
        walls = Walls(
            WallStore(redis_connection(app).client()),
            database(app),
            app.config["SECRET_KEY"],
            host_check=lambda pin, token: (
                games.store.check_host(pin, token) or runs.store.check_host(pin, token)
            ),
        )
        app.extensions["arena.walls"] = walls
    return walls
