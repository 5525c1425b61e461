"""Socket events run in a request context that matches a route (app/realtime.py,
match_socket_path): otherwise every event leaves a NotFound and its traceback for the
garbage collector, the pauses bench/README.md tells of. Nor do they open the cookie session
again (EventSessionInterface)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import request

WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade"}


@pytest.mark.parametrize("headers", [WEBSOCKET, {}], ids=["websocket", "long-polling"])
def test_a_socket_connections_request_context_matches_a_route(app: Any, headers: dict[str, str]) -> None:
    query = f"EIO=4&transport={'websocket' if headers else 'polling'}"
    with app.test_request_context("/socket.io/", query_string=query, headers=headers):
        assert request.routing_exception is None
        assert request.url_rule is not None and request.url_rule.endpoint == "socketio"


def test_the_socket_path_is_still_engine_ios(app: Any) -> None:
    """Flask's rule is never reached: Engine.IO answers the path (a handshake without its
    parameters is its own 400, not our 404 page)."""
    response = app.test_client().get("/socket.io/")
    assert response.status_code == 400 and "text/html" not in response.content_type
    opened = app.test_client().get("/socket.io/?EIO=4&transport=polling")
    assert opened.status_code == 200 and opened.get_data(as_text=True).startswith("0{")


def test_socket_events_do_not_open_the_cookie_session_again(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask-SocketIO swaps in the connection's own session on each event; the cookie session
    is opened once, for the copy it takes (app/realtime.py, EventSessionInterface), and the
    connection's session still carries what the handlers keep in it."""
    from flask.sessions import SecureCookieSessionInterface

    from app.realtime import live_games, socketio
    from tests.live.conftest import new_game, single

    opened: list[str] = []
    real = SecureCookieSessionInterface.open_session

    def counted(self: Any, flask_app: Any, req: Any) -> Any:
        opened.append(req.path)
        return real(self, flask_app, req)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", counted)
    pin, _token = new_game(live_games(app).store, [single("题", ["甲", "乙"], 0)])
    phone = socketio.test_client(app)
    joined = phone.emit("player:join", {"pin": pin, "nickname": "甲", "team": "红队"}, callback=True)
    assert joined["ok"] is True and len(opened) == 1 and opened[0].startswith("/socket.io")
    for _ in range(3):  # the seat is the connection's own session's: answering needs it
        reply = phone.emit("player:answer", {"pin": pin, "q": 0, "choice": [0]}, callback=True)
        assert reply["ok"] is False and reply["error"]["code"] == "not_open"
    assert len(opened) == 1
    assert app.test_client().get("/login").status_code == 200 and opened[-1] == "/login"  # HTTP as before
    phone.disconnect()
