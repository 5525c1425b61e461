"""Socket.IO handlers of scenario runs: parse, call the service, emit what it returns.

The events and payloads are named in ``app.scenario.protocol`` and documented in
docs/PROTOCOL.md; the rules are in ``engine``. Handlers know no scenario rules (STYLE §4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from flask import current_app
from flask_socketio import SocketIO, join_room

from app.live.events import connection, handler, send
from app.live.protocol import ProtocolError
from app.scenario import protocol as p
from app.scenario.engine import Refused
from app.scenario.runs import ScenarioRuns, host_room, player_room, screen_room

log = logging.getLogger(__name__)


def runs() -> ScenarioRuns:
    from app.realtime import scenario_runs

    return scenario_runs(current_app)  # type: ignore[no-any-return]


def scenario_handler(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return handler("scenario", error=p.error, refusals=(ProtocolError, Refused))(function)


def register(socketio: SocketIO) -> None:
    if getattr(socketio, "arena_scenario_registered", False):
        return
    socketio.arena_scenario_registered = True  # type: ignore[attr-defined]

    def require_host(pin: str) -> None:
        if pin not in connection().get("scenario_hosts", ()):
            raise ProtocolError("bad_host_token")

    def seat(pin: str) -> str:
        player = connection().get("scenario_player")
        if not player or player[0] != pin:
            raise ProtocolError("not_joined")
        return str(player[1])

    @socketio.on(p.HOST_JOIN)
    @scenario_handler
    def host_join(data: Any) -> dict[str, Any]:
        command = p.parse(p.HOST_JOIN, data)
        result = runs().host_join(command.pin, command["host_token"])
        connection().setdefault("scenario_hosts", set()).add(command.pin)
        join_room(host_room(command.pin))
        return {"ok": True, **result}

    @socketio.on(p.SCREEN_JOIN)
    @scenario_handler
    def screen_join(data: Any) -> dict[str, Any]:
        command = p.parse(p.SCREEN_JOIN, data)
        result = runs().screen_join(command.pin, command["host_token"])
        join_room(screen_room(command.pin))
        return {"ok": True, **result}

    def host_command(event: str, name: str) -> Callable[[Any], dict[str, Any]]:
        def command_handler(data: Any) -> dict[str, Any]:
            command = p.parse(event, data)
            require_host(command.pin)
            result, emits = runs().host_command(command.pin, name, command)
            send(socketio, emits)
            return {"ok": True, **result}

        command_handler.__name__ = f"scenario_{name}"
        return command_handler

    for event, name in (
        (p.HOST_NEXT, "next"),
        (p.HOST_PREVIOUS, "previous"),
        (p.HOST_PAUSE, "pause"),
        (p.HOST_RESUME, "resume"),
        (p.HOST_ASSIGN, "assign"),
        (p.HOST_RELEASE, "release"),
        (p.HOST_NOTE, "note"),
        (p.HOST_REPLACE, "replace"),
        (p.HOST_END, "end"),
    ):
        socketio.on(event)(scenario_handler(host_command(event, name)))

    @socketio.on(p.PLAYER_JOIN)
    @scenario_handler
    def player_join(data: Any) -> dict[str, Any]:
        from app.live import protocol as live_protocol

        join = live_protocol.parse_join(data)
        result, emits = runs().join(join.pin, join.nickname, join.member_no, join.rejoin_token)
        connection()["scenario_player"] = (join.pin, result["player_id"])
        join_room(player_room(join.pin, result["player_id"]))
        send(socketio, emits)
        return {"ok": True, **result}

    def player_command(event: str) -> Callable[[Any], dict[str, Any]]:
        def command_handler(data: Any) -> dict[str, Any]:
            command = p.parse(event, data)
            result, emits = runs().act(command.pin, seat(command.pin), event, command)
            send(socketio, emits)
            return {"ok": True, **result}

        command_handler.__name__ = f"scenario_{event.split(':')[1]}"
        return command_handler

    for event in (p.PLAYER_SEARCH, p.PLAYER_SCAN, p.PLAYER_ANSWER, p.PLAYER_VOTE, p.PLAYER_SHARE):
        socketio.on(event)(scenario_handler(player_command(event)))

    def disconnect() -> None:
        player = connection().get("scenario_player")
        if not player:
            return
        try:
            send(socketio, runs().disconnect(*player))
        except (redis.RedisError, Refused):
            log.warning("could not record that %s left run %s", player[1], player[0])

    # Socket.IO keeps one disconnect handler; the live quiz's calls this one too.
    socketio.arena_disconnect_hooks.append(disconnect)  # type: ignore[attr-defined]
