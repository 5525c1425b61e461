"""The host and phone pages as served: no inline script or style (the CSP forbids them),
every static file they load is there, and the event names come from the protocol."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from app.live import protocol
from app.realtime import live_games
from tests.live.conftest import new_game, single


def fetch(client: Any, path: str) -> tuple[int, str]:
    """Status and text of a static file (the response is closed: files stream)."""
    with client.get(path) as response:
        return response.status_code, response.get_data(as_text=True)


def test_live_pages_are_csp_clean_and_complete(app: Any, client: Any) -> None:
    pin, _token = new_game(live_games(app).store, [single("题", ["甲", "乙"], 0)])
    for path in (f"/host/{pin}", f"/play/{pin}", "/play"):
        response = client.get(path)
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = response.get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # no inline script
        assert " style=" not in page and not re.search(r"\son[a-z]+=", page)
        events = json.loads(html.unescape(re.search(r'data-events="([^"]+)"', page).group(1)))
        assert events == protocol.EVENTS
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            assert fetch(client, asset)[0] == 200, asset
    # What the modules import is served too.
    for module in ("host.js", "play.js", "live-common.js"):
        source = fetch(client, f"/static/js/{module}")[1]
        for imported in re.findall(r'from "\./([^"]+)"|from "\.\./([^"]+)"', source):
            target = f"/static/js/{imported[0]}" if imported[0] else f"/static/{imported[1]}"
            assert fetch(client, target)[0] == 200, target
    assert client.get("/host/12345").status_code == 404
    with client.get(f"/host/{pin}/qr.svg") as qr:
        assert qr.mimetype == "image/svg+xml" and qr.get_data(as_text=True).startswith("<?xml")
