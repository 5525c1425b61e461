"""docs/PROTOCOL.md's danmaku section names every wall event and error code, and
docs/REDIS.md every wall key family."""

from __future__ import annotations

import re
from pathlib import Path

from app.danmaku import protocol
from app.danmaku.store import WallStore

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_wall_event_and_error_code_is_documented() -> None:
    text = (DOCS / "PROTOCOL.md").read_text(encoding="utf-8").split("## Danmaku wall", 1)[1]
    assert set(re.findall(r"`((?:wall|qa):[a-z_]+)`", text)) == set(protocol.EVENTS.values())
    codes = text.split("### Danmaku error codes", 1)[1]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", codes, re.M)) == set(protocol.ERRORS)


def test_every_wall_key_family_is_documented() -> None:
    text = (DOCS / "REDIS.md").read_text(encoding="utf-8")
    store = WallStore.__new__(WallStore)
    parts = (
        "players",
        "mutes",
        "bucket:<kind>:<player>",
        "recent:<kind>:<player>:<digest>",
        "pending",
        "shown",
        "qa",
        "qa:votes",
        "qa:voters:<id>",
    )
    assert f"`{store.wall_key('<pin>')}`" in text
    for part in parts:
        assert f"`{store.key('<pin>', part)}`" in text, part
    assert f"`{WallStore.WORDS_VERSION}`" in text
