"""The word filter: listed words are caught through the usual evasions; innocent text that
merely contains a listed word's characters in another order passes."""

from __future__ import annotations

import pytest

from app.danmaku.wordfilter import WordFilter, normalise

WORDS = ["坏蛋", "台独", "fuck", "ＳＢ"]
FILTER = WordFilter(WORDS)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("你个坏蛋", ["坏蛋"]),
        ("坏 蛋", ["坏蛋"]),  # an inserted space
        ("坏.蛋", ["坏蛋"]),  # an inserted symbol
        ("坏★☆蛋！", ["坏蛋"]),
        ("坏\u3000蛋", ["坏蛋"]),  # an ideographic space
        ("臺獨", ["台独"]),  # traditional characters
        ("台獨", ["台独"]),
        ("ＦＵＣＫ", ["fuck"]),  # full-width letters
        ("F u C k!!", ["fuck"]),  # case and spaces
        ("sb", ["sb"]),  # a full-width listed word matches half-width text
        ("坏蛋坏蛋", ["坏蛋", "坏蛋"]),
    ],
)
def test_listed_words_are_caught_through_evasions(text: str, found: list[str]) -> None:
    assert FILTER.matches(text) == found
    assert FILTER.blocks(text)


@pytest.mark.parametrize(
    "text",
    [
        "蛋坏",  # the characters of a listed word in another order
        "独立自主，台湾是中国的一部分",  # 台 and 独 apart, in another order
        "好好学习",
        "suck it up",
        "坏了一个鸡蛋",  # the characters apart
        "",
    ],
)
def test_innocent_text_passes(text: str) -> None:
    assert FILTER.matches(text) == []
    assert not FILTER.blocks(text)


def test_an_empty_list_blocks_nothing_and_blank_words_are_ignored() -> None:
    assert WordFilter([]).blocks("坏蛋") is False
    assert WordFilter(["  ", "！"]).words == []


def test_normalisation() -> None:
    assert normalise("Ｈｅｌｌｏ，世界！臺灣 ２０２６") == "hello世界台湾2026"
