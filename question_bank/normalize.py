"""Text cleaning for what real question banks contain.

Display text keeps Chinese punctuation and circled numbers (①②③ carry meaning in stems),
so it is not fully NFKC-normalised; only the compatibility forms that are noise are folded:
full-width letters and digits, odd spaces, zero-width and control characters, and the
spaces that copying from a PDF puts between Chinese characters. Matching (answers,
headers, duplicate fingerprints) uses full NFKC plus case folding.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata

# Spaces that Word, WPS and PDFs produce instead of U+0020.
_ODD_SPACES = dict.fromkeys(
    [
        0x00A0,
        0x1680,
        0x2000,
        0x2001,
        0x2002,
        0x2003,
        0x2004,
        0x2005,
        0x2006,
        0x2007,
        0x2008,
        0x2009,
        0x200A,
        0x202F,
        0x205F,
        0x3000,
        0x0009,
        0x000B,
        0x000C,
    ],
    " ",
)
# Invisible characters that break matching and never mean anything in a question.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E])
# Full-width ASCII letters and digits fold to half-width; full-width punctuation stays.
_FULLWIDTH_ALNUM = {
    cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}
_TRANSLATE = {**_ODD_SPACES, **_INVISIBLE, **_FULLWIDTH_ALNUM}

# Ideographs only: a space inside "（ ）" is a deliberate blank, not PDF spacing.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")
_MULTI_SPACE = re.compile(r" {2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """Clean one piece of display text (stem, option, explanation)."""
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATE)
    text = _CONTROL.sub("", text)
    lines = []
    for line in text.split("\n"):
        line = _MULTI_SPACE.sub(" ", line).strip()
        lines.append(_SPACE_BETWEEN_CJK.sub("", line))
    return "\n".join(line for line in lines if line).strip()


def strip_invisible(value: str) -> str:
    """Remove zero-width and other invisible characters (copied from web pages and Word)."""
    return value.translate(_INVISIBLE)


def fold(value: str) -> str:
    """Matching form: NFKC, case-folded, with all whitespace removed."""
    text = unicodedata.normalize("NFKC", value.translate(_INVISIBLE)).casefold()
    return "".join(text.split())


def _strip_punctuation(value: str) -> str:
    return "".join(ch for ch in value if unicodedata.category(ch)[0] not in "PSZ")


def fingerprint(stem: str, options: list[str]) -> str:
    """Duplicate-detection key: same stem and same options (in any order) after folding.

    Punctuation is ignored so that a question typed with （ ） and one with ( ) match.
    """
    parts = [_strip_punctuation(fold(stem))]
    parts.extend(sorted(_strip_punctuation(fold(option)) for option in options))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def cell_text(value: object) -> str:
    """Text of one spreadsheet cell, undoing what Excel does to text that looks like a number.

    Excel stores ``1`` typed into a text column as the float 1.0 and ``1921-7-1`` as a date;
    the organizer meant the text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0, 0):
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, _dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M")
    return clean_text(str(value))


_FORMULA_PREFIX = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Stop a spreadsheet from running text as a formula (CSV/formula injection).

    A leading apostrophe makes Excel and WPS show the text as it is.
    """
    if value.startswith(_FORMULA_PREFIX):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise`, so that an exported bank loads back unchanged."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value
