"""docs/PROTOCOL.md is the contract: it must name every event and error code the server has,
and docs/REDIS.md every key family the store builds."""

from __future__ import annotations

import re
from pathlib import Path

from app.live import protocol
from app.live.store import LiveStore

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_event_and_error_code_is_documented() -> None:
    text = (DOCS / "PROTOCOL.md").read_text(encoding="utf-8").split("## Scenario runs")[0]
    documented_events = set(re.findall(r"`((?:host|player|game):[a-z]+)`", text))
    assert documented_events == set(protocol.EVENTS.values())
    documented_codes = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    assert documented_codes == set(protocol.ERRORS)


def test_every_key_family_is_documented() -> None:
    text = (DOCS / "REDIS.md").read_text(encoding="utf-8")
    store = LiveStore.__new__(LiveStore)
    for key in store.game_keys("123456", 1):
        family = key.replace("123456", "<pin>").replace(":0", ":<q>")
        assert f"`{family}`" in text, family
    assert f"`{LiveStore.DEADLINES}`" in text
