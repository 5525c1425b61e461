"""Socket.IO handlers of the danmaku wall and Q&A: parse, call the service, emit.

A phone sends as the player it already is on that PIN: a quiz player, a scenario player,
or a standalone wall's player (``wall:join``). Host consoles, big screens and moderation
pages join with the game's host token or the wall's moderator token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_socketio import SocketIO, join_room

from app.danmaku import protocol as p
from app.danmaku.protocol import WallRefused
from app.danmaku.walls import Walls, moderator_room, phones_room, screen_room
from app.live.events import connection, handler, send
from app.live.protocol import ProtocolError


def walls() -> Walls:
    from app.realtime import danmaku_walls

    return danmaku_walls(current_app)  # type: ignore[no-any-return]


def wall_handler(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return handler("wall", error=p.error, refusals=(ProtocolError, WallRefused))(function)


def sender(pin: str) -> tuple[str, str]:
    """(player key, nickname) of this connection on ``pin``; the wall is made on first use."""
    from app.realtime import live_games, scenario_runs

    facts = connection()
    quiz = facts.get("player")
    if quiz and quiz[0] == pin:
        store = live_games(current_app).store
        if store.is_kicked(pin, quiz[1]):
            raise ProtocolError("kicked")
        player = store.player(pin, quiz[1]) or {}
        walls().store.ensure(pin, "quiz", "")
        return f"quiz:{quiz[1]}", str(player.get("nickname", ""))
    scenario = facts.get("scenario_player")
    if scenario and scenario[0] == pin:
        state = scenario_runs(current_app).store.state(pin) or {"players": {}}
        seat = state["players"].get(scenario[1])
        if seat is None or seat.get("replaced_by"):  # the seat went to another phone
            raise ProtocolError("not_joined")
        walls().store.ensure(pin, "scenario", "")
        return f"scenario:{scenario[1]}", str(seat["nickname"])
    standalone = facts.get("wall_player")
    if standalone and standalone[0] == pin:
        return f"wall:{standalone[1]}", walls().store.player_nickname(pin, standalone[1]) or ""
    raise ProtocolError("not_joined")


def register(socketio: SocketIO) -> None:
    if getattr(socketio, "arena_wall_registered", False):
        return
    socketio.arena_wall_registered = True  # type: ignore[attr-defined]

    @socketio.on(p.JOIN)
    @wall_handler
    def wall_join(data: Any) -> dict[str, Any]:
        command = p.parse(p.JOIN, data)
        game_seat = connection().get("player") or connection().get("scenario_player")
        if game_seat and game_seat[0] == command.pin:
            # A game's phone: it sends as the player it is; this only subscribes it.
            player, nickname = sender(command.pin)
            join_room(phones_room(command.pin))
            return {
                "ok": True,
                "player_id": player,
                "nickname": nickname,
                "wall": walls().state(command.pin),
                **walls().questions_payload(command.pin, for_screen=True),
            }
        result = walls().join(command.pin, command["nickname"], command["rejoin_token"])
        connection()["wall_player"] = (command.pin, result["player_id"])
        join_room(phones_room(command.pin))
        return {"ok": True, **result, **walls().questions_payload(command.pin, for_screen=True)}

    @socketio.on(p.SEND)
    @wall_handler
    def wall_send(data: Any) -> dict[str, Any]:
        command = p.parse(p.SEND, data)
        player, nickname = sender(command.pin)
        join_room(phones_room(command.pin))
        result, emits = walls().send(command.pin, player, nickname, command["text"], command["color"])
        send(socketio, emits)
        return {"ok": True, **result}

    @socketio.on(p.ASK)
    @wall_handler
    def qa_ask(data: Any) -> dict[str, Any]:
        command = p.parse(p.ASK, data)
        player, nickname = sender(command.pin)
        join_room(phones_room(command.pin))
        result, emits = walls().ask(command.pin, player, nickname, command["text"])
        send(socketio, emits)
        return {"ok": True, **result}

    @socketio.on(p.VOTE)
    @wall_handler
    def qa_vote(data: Any) -> dict[str, Any]:
        command = p.parse(p.VOTE, data)
        player, _nickname = sender(command.pin)
        result, emits = walls().vote(command.pin, player, command["question_id"])
        send(socketio, emits)
        return {"ok": True, **result}

    def staff_join(
        event: str, room: Callable[[str], str], moderators_only: bool
    ) -> Callable[[Any], dict[str, Any]]:
        def join(data: Any) -> dict[str, Any]:
            command = p.parse(event, data)
            service = walls()
            role = service.role_of(command.pin, command["token"])
            if role is None or (moderators_only is False and role != "host"):
                raise ProtocolError("bad_host_token")
            if not service.store.wall(command.pin):
                service.store.ensure(command.pin, "quiz" if role == "host" else "standalone", "")
            join_room(room(command.pin))
            if event == p.SCREEN_JOIN:
                return {
                    "ok": True,
                    "state": service.state(command.pin),
                    "shown": [
                        {k: m[k] for k in ("id", "text", "color")}
                        for m in service.store.shown(command.pin)[:20]
                    ],
                    **service.questions_payload(command.pin, for_screen=True),
                }
            actor = command["name"] or ("主持人" if role == "host" else "审核员")
            connection().setdefault("wall_moderates", {})[command.pin] = actor
            extra = {"moderator_token": service.moderator_token(command.pin)} if role == "host" else {}
            return {"ok": True, "moderator": service.moderator_view(command.pin), **extra}

        join.__name__ = f"wall_{event.split(':')[1]}"
        return join

    socketio.on(p.SCREEN_JOIN)(wall_handler(staff_join(p.SCREEN_JOIN, screen_room, moderators_only=False)))
    socketio.on(p.MODERATOR_JOIN)(
        wall_handler(staff_join(p.MODERATOR_JOIN, moderator_room, moderators_only=True))
    )

    def moderation(event: str) -> Callable[[Any], dict[str, Any]]:
        def command_handler(data: Any) -> dict[str, Any]:
            command = p.parse(event, data)
            actor = connection().get("wall_moderates", {}).get(command.pin)
            if actor is None:
                raise ProtocolError("bad_host_token")
            result, emits = walls().moderate(command.pin, actor, event, command)
            send(socketio, emits)
            return {"ok": True, **result}

        command_handler.__name__ = f"wall_{event.replace(':', '_')}"
        return command_handler

    for event in (p.APPROVE, p.REJECT, p.REMOVE, p.MUTE, p.SETTINGS, p.QA_PIN, p.QA_ANSWERED, p.QA_HIDE):
        socketio.on(event)(wall_handler(moderation(event)))
