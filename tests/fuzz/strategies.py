"""What the fuzz tests throw: hostile values of every JSON type, payload dicts of the right
shape with wrong values, and random YAML documents and spreadsheets.

One settings profile (``FUZZ``) bounds every property: a fixed derandomized run (CI sees
the same examples every time) and no example database written anywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=150,
    deadline=None,  # a Redis or SQL round trip varies; the suite's run time is the bound
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the app and its game are set up once per test
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def examples(count: int) -> settings:
    return settings(FUZZ, max_examples=count)


def _nested(depth: int) -> Any:
    value: Any = {"pin": "123456"}
    for level in range(depth):
        value = {"x": value, "level": level} if level % 2 else [value]
    return value


# Strings a phone or a script might send: empty, huge, control characters, emoji,
# full-width digits (a Chinese IME), right-to-left overrides, markup, SQL.
NASTY_TEXT = [
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "😀" * 50,
    "👨‍👩‍👧‍👦",
    "１２３４５６",
    "١٢٣٤٥٦",  # Arabic-Indic digits: isdigit() is true, int() reads them
    "\u202e123456\u202c",
    "\u200b",
    "\ufeff",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "%s%n{0}{x}",
    "\U0010ffff",
    "null",
    "NaN",
    "-1",
    "１",
    "9" * 400,
    "\n\r\t",
]

text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=60))
integers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30]),
)
floats = st.one_of(st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, 0.5]))
scalars = st.one_of(st.none(), st.booleans(), integers, floats, text)
DEEP = [_nested(300), _nested(50)]


def json_values(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, lists and dicts nested a few levels, or very deeply."""
    nested = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(st.one_of(text, st.sampled_from(FIELDS)), inner, max_size=5),
        ),
        max_leaves=12,
    )
    return st.one_of(nested, st.sampled_from(DEEP))


# Every payload field any client event names (live, scenario, wall protocols).
FIELDS = [
    "pin",
    "host_token",
    "player_id",
    "nickname",
    "team",
    "member_no",
    "rejoin_token",
    "q",
    "choice",
    "group",
    "role",
    "clue",
    "text",
    "new_player_id",
    "place",
    "code",
    "checkpoint",
    "option",
    "color",
    "question_id",
    "token",
    "name",
    "message_id",
    "minutes",
    "mode",
    "paused",
    "overlay",
]


def _flat_values() -> st.SearchStrategy[Any]:
    """A wrong value for one field: cheaper to draw than ``json_values`` (a payload has a
    dozen fields), still of every type."""
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=4),
        st.dictionaries(st.one_of(text, st.sampled_from(FIELDS)), scalars, max_size=3),
        st.sampled_from(DEEP),
    )


def payloads(known: dict[str, list[Any]], fields: list[str]) -> st.SearchStrategy[Any]:
    """A client event's payload: anything at all, or a dict with the event's ``fields`` (and
    sometimes others) whose values are sometimes right (``known``: real PINs, tokens, ids of
    this test's games) and sometimes of a wrong type or out of range."""
    wrong = _flat_values()
    mostly = st.sampled_from([True, True, True, True, False])

    @st.composite
    def shaped(draw: st.DrawFn) -> dict[str, Any]:
        names = [name for name in fields if draw(mostly)]  # each field mostly present
        names += draw(st.lists(st.sampled_from(FIELDS), max_size=2))
        return {
            name: draw(st.sampled_from(known[name]) if known.get(name) and draw(mostly) else wrong)
            for name in names  # each value mostly right
        }

    anything = json_values()
    return st.sampled_from([False, True, True, True]).flatmap(lambda shape: shaped() if shape else anything)


# -- files ------------------------------------------------------------------------------------


def mutations(sample: bytes) -> st.SearchStrategy[bytes]:
    """Byte-level damage to a real file: truncated, bits flipped, junk inserted, a slice
    repeated or cut out."""
    size = len(sample)
    position = st.integers(min_value=0, max_value=max(size - 1, 0))

    def flipped(spots: list[tuple[int, int]]) -> bytes:
        data = bytearray(sample)
        for spot, bit in spots:
            data[spot] ^= 1 << bit
        return bytes(data)

    return st.one_of(
        position.map(lambda cut: sample[:cut]),
        st.lists(st.tuples(position, st.integers(0, 7)), min_size=1, max_size=8).map(flipped),
        st.tuples(position, st.binary(min_size=1, max_size=64)).map(
            lambda spot: sample[: spot[0]] + spot[1] + sample[spot[0] :]
        ),
        st.tuples(position, position).map(lambda span: sample[: min(span)] + sample[max(span) :]),
        st.tuples(position, position).map(lambda span: sample + sample[min(span) : max(span)]),
    )


yaml_keys = st.one_of(text, st.sampled_from(["id", "key", "title", "cards", "roles", "questions", "rules"]))
yaml_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), integers, floats, text, st.dates()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(yaml_keys, integers, st.booleans()), inner, max_size=5),
    ),
    max_leaves=20,
)

cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "单选题", "题干", "答案", "A", "对", "工号", "姓名", "支部"]),
    st.datetimes(min_value=dt.datetime(1901, 1, 1)),
)
sheet_names = st.one_of(
    st.sampled_from(["题库", "Sheet1", "规则", "卡片", "花名册"]),
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_characters="[]:*?/\\'", exclude_categories=["Cc", "Cs"]
        ),
        min_size=1,
        max_size=31,
    ),
)


@st.composite
def spreadsheets(draw: st.DrawFn, header: list[str] | None = None, words: tuple[str, ...] = ()) -> bytes:
    """A real .xlsx (openpyxl) with random sheets, cells of every type, formulas, and
    sometimes the reader's own header row (and ``words`` it knows) so the rows below are read."""
    from openpyxl import Workbook

    cells = st.one_of(cell_values, st.sampled_from(words)) if words else cell_values
    book = Workbook()
    book.remove(book.active)
    names = draw(st.lists(sheet_names, min_size=1, max_size=3, unique_by=str.lower))
    for name in names:
        sheet = book.create_sheet(name)
        rows = draw(st.lists(st.lists(cells, max_size=8), max_size=8))
        if header is not None and draw(st.booleans()):
            rows.insert(0, list(header))
        for row in rows:
            sheet.append(row)
    body = io.BytesIO()
    book.save(body)
    return body.getvalue()
