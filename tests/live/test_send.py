"""The socket layer's ``send``: what comes before a ``Then`` is written before its work runs."""

from __future__ import annotations

from typing import Any

import pytest

from app.live.events import send
from app.live.games import Emit, Then
from app.realtime import socketio


def test_the_writers_get_a_turn_before_a_then_runs(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own SocketIO object, its emits and its sleep watched: the reveal is
    emitted, the hub gets a turn (``sleep(0)``: each socket's writer sends it), and only then
    does the scoring run and its results go."""
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr(socketio, "emit", lambda event, payload, to: seen.append(("emit", event, to)))
    monkeypatch.setattr(socketio, "sleep", lambda seconds: seen.append(("sleep", seconds)))

    def scoring() -> list[Emit | Then]:
        seen.append(("scoring",))
        return [Emit("player:result", {"points": 10}, "player:100000:a")]

    send(socketio, [Emit("game:reveal", {"q": 0}, "game:100000"), Then(scoring)])
    assert seen == [
        ("emit", "game:reveal", "game:100000"),
        ("sleep", 0),
        ("scoring",),
        ("emit", "player:result", "player:100000:a"),
    ]
    seen.clear()
    send(socketio, [Emit("game:state", {}, "game:100000")])  # no Then: no turn given
    assert seen == [("emit", "game:state", "game:100000")]
