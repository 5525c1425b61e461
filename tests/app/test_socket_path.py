"""Socket events run in a request context that matches a route (app/realtime.py,
match_socket_path): otherwise every event leaves a NotFound and its traceback for the
garbage collector, the pauses bench/README.md tells of."""

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
