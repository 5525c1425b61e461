"""The word filter of the danmaku wall: many words at once (Aho-Corasick, pyahocorasick)
over a normalised text, so the usual evasions do not pass.

Normalisation, applied to the listed words and to every message alike:
- NFKC: full-width letters, digits and punctuation become half-width (ＡＢＣ → ABC);
- case folding (ABC → abc);
- traditional to simplified Chinese (OpenCC ``t2s``: 發輪 → 发轮);
- everything that is not a letter or a digit is dropped, so spaces, dots, emoji and symbols
  inserted between the characters of a word (法 . 轮) do not hide it.

The organizer's list lives in SQL; ``WordFilter`` is built from it and rebuilt whenever the
list's version in Redis changes, so every process picks up an edit at its next message.
"""

from __future__ import annotations

import functools
import unicodedata

import ahocorasick
import opencc

# What `arena seed` puts in an empty list, to show the filter working: nothing more.
DEMO_WORDS = ("傻瓜", "笨蛋", "滚蛋")


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    folded = _t2s().convert(unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in ("L", "N"))


class WordFilter:
    """Blocks a text that contains any listed word (after normalisation)."""

    def __init__(self, words: list[str]) -> None:
        self.words = sorted({normalise(word) for word in words} - {""})
        self._automaton: ahocorasick.Automaton | None = None
        if self.words:
            automaton = ahocorasick.Automaton()
            for word in self.words:
                automaton.add_word(word, word)
            automaton.make_automaton()
            self._automaton = automaton

    def matches(self, text: str) -> list[str]:
        """The listed words found in ``text`` (normalised), in order of appearance."""
        if self._automaton is None:
            return []
        return [word for _end, word in self._automaton.iter(normalise(text))]

    def blocks(self, text: str) -> bool:
        return bool(self.matches(text))
