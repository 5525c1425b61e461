"""docs/PROTOCOL.md's scenario section names every scenario event and error code, and
docs/REDIS.md every scenario key family."""

from __future__ import annotations

import re
from pathlib import Path

from app.scenario import protocol
from app.scenario.store import ScenarioStore

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_scenario_event_and_error_code_is_documented() -> None:
    text = (DOCS / "PROTOCOL.md").read_text(encoding="utf-8").split("## Scenario runs", 1)[1]
    text = text.split("## Danmaku wall", 1)[0]
    assert set(re.findall(r"`(scenario:[a-z_]+)`", text)) == set(protocol.EVENTS.values())
    codes = text.split("### Scenario error codes", 1)[1]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", codes, re.M)) == set(protocol.ERRORS)


def test_every_scenario_key_family_is_documented() -> None:
    text = (DOCS / "REDIS.md").read_text(encoding="utf-8")
    store = ScenarioStore.__new__(ScenarioStore)
    for key in (store.run_key("123456"), store.key("123456", "codes"), store.key("123456", "online")):
        assert f"`{key.replace('123456', '<pin>')}`" in text, key
    assert f"`{ScenarioStore.code_key('<code>')}`" in text
