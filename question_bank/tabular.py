"""Spreadsheet-shaped files (XLSX and CSV): find the header, map columns, read rows.

Chinese templates put a title or instructions above the header and decorate header cells
(``题干（必填）``, ``选项E\\n(勿删)``, ``*答案``); Kahoot's template starts its header on
row 8 and writes ``Question - max 120 characters``. The header is the first row in the
first :data:`HEADER_SEARCH_ROWS` whose cells name a stem and at least one other field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from question_bank.errors import BankFileError
from question_bank.normalize import cell_text, strip_invisible, unneutralise
from question_bank.report import Problem
from question_bank.schema import LETTERS, RawQuestion, parse_type

HEADER_SEARCH_ROWS = 20
MAX_ROWS = 20_000

_OPTION_ALIASES = {
    letter: [f"选项{letter}", letter, f"option{letter}", f"答案{letter}"] for letter in LETTERS
}
for _index, (_digit, _chinese) in enumerate(zip("123456", "一二三四五六", strict=True)):
    _OPTION_ALIASES[LETTERS[_index]] += [f"选项{_digit}", f"选项{_chinese}", f"answer{_digit}"]

QUESTION_COLUMNS: dict[str, list[str]] = {
    "type": ["题型", "题目类型", "试题类型", "类型", "题类", "type", "questiontype"],
    "stem": [
        "题干",
        "题目",
        "题目内容",
        "试题",
        "试题内容",
        "试题题干",
        "问题",
        "题面",
        "题目名称",
        "stem",
        "question",
    ],
    "answer": ["答案", "正确答案", "标准答案", "参考答案", "answer"],
    "answer_number": ["correctanswer", "correctanswers"],
    "explanation": ["解析", "答案解析", "试题解析", "题目解析", "解释", "explanation"],
    "points": ["分值", "分数", "本题分值", "points", "score"],
    "time_limit": ["时限", "答题时间", "答题时长", "限时", "倒计时", "timelimit", "time"],
    "difficulty": ["难度", "难易程度", "难度等级", "难易度", "difficulty"],
    "tags": ["标签", "分类", "知识点", "题目分类", "试题分类", "章节", "tags", "tag", "category"],
    "source": ["出处", "来源", "依据", "出题依据", "source"],
    "media": ["图片", "图片链接", "媒体", "media", "image"],
    "id": ["编号", "题号", "试题编号", "id"],
    **{f"option_{letter}": aliases for letter, aliases in _OPTION_ALIASES.items()},
}
QUESTION_REQUIRED = {"stem": "题干", "answer": "答案"}
# How a problem names a field the file has no column for (e.g. a type it had to infer).
FIELD_LABELS = {
    "type": "题型",
    "stem": "题干",
    "answer": "答案",
    "options": "选项",
    "explanation": "解析",
    "points": "分值",
    "time_limit": "时限",
    "difficulty": "难度",
    "tags": "标签",
    "source": "出处",
    "media": "图片",
    "id": "编号",
    **{f"option_{letter}": f"选项{letter}" for letter in LETTERS},
}

_PARENTHESES = re.compile(r"[（(【\[].*?[）)】\]]", re.S)
_TRAILING_NOTE = re.compile(r"\s[-–—].*$", re.S)
_TYPE_CODE = re.compile(r"(\d+)\s*[:：=.、\-]?\s*([\u4e00-\u9fffA-Za-z]+)")


class Formula(str):
    """A cell that holds a formula rather than a value (only XLSX has them)."""


def header_key(value: object) -> str:
    """The comparable form of a header cell: no notes, no decoration, no spacing."""
    text = unicodedata.normalize("NFKC", strip_invisible(str(value or ""))).casefold()
    lines = [line for line in text.split("\n") if line.strip()]
    text = _PARENTHESES.sub("", lines[0] if lines else "")
    text = _TRAILING_NOTE.sub("", text)
    return re.sub(r"[\s*:]+", "", text)


def type_codes_from_header(value: object) -> dict[str, str]:
    """``题型（0单选，1判断，2多选）`` → {"0": "single", "1": "judge", "2": "multiple"}."""
    codes: dict[str, str] = {}
    text = unicodedata.normalize("NFKC", str(value or ""))
    for code, name in _TYPE_CODE.findall(text):
        parsed = parse_type(name)
        if parsed:
            codes[code] = parsed
    return codes


@dataclass
class Header:
    row: int
    fields: dict[int, str]  # column index → canonical field
    labels: dict[str, str]  # canonical field → the header text as the file shows it
    raw: dict[str, object]  # canonical field → the header cell as found


def _label(value: object) -> str:
    text = " ".join(str(value or "").split())
    return text or "?"


def match_header(cells: list[object], columns: dict[str, list[str]]) -> Header | None:
    lookup = {alias.casefold(): field for field, aliases in columns.items() for alias in aliases}
    fields: dict[int, str] = {}
    labels: dict[str, str] = {}
    raw: dict[str, object] = {}
    for index, cell in enumerate(cells):
        field = lookup.get(header_key(cell))
        if field and field not in labels:
            fields[index] = field
            labels[field] = _label(cell)
            raw[field] = cell
    return Header(0, fields, labels, raw) if fields else None


def find_header(
    rows: Iterator[tuple[int, list[object]]],
    columns: dict[str, list[str]],
    required: dict[str, str],
    anchor: str,
) -> Header:
    """Read rows until the header; the rows after it are left in ``rows``.

    A row that names two known columns including another required one, but not the
    anchor, is a header missing its anchor column: ``missing_column`` rather than
    ``no_header``.
    """
    without_anchor = False
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        header = match_header(cells, columns)
        if header and anchor not in header.labels and len(header.labels) >= 2:
            without_anchor = without_anchor or any(
                field in header.labels for field in required if field != anchor
            )
        if header and anchor in header.labels and len(header.labels) >= 2:
            header.row = number
            for field, label in required.items():
                if field not in header.labels and not (
                    field == "answer" and "answer_number" in header.labels
                ):
                    raise BankFileError("missing_column", column=label)
            return header
    if without_anchor:
        raise BankFileError("missing_column", column=required[anchor])
    raise BankFileError("no_header", rows=HEADER_SEARCH_ROWS, columns=_column_list(required))


def _column_list(required: dict[str, str]) -> str:
    """``“题干”和“答案”两列``, ``“姓名”、“工号”和“支部”三列``."""
    labels = [f"“{label}”" for label in required.values()]
    count = {1: "一", 2: "两", 3: "三"}.get(len(labels), str(len(labels)))
    joined = "、".join(labels[:-1]) + "和" + labels[-1] if len(labels) > 1 else labels[0]
    return f"{joined}{count}列"


def data_rows(
    rows: Iterator[tuple[int, list[object]]], header: Header
) -> Iterator[tuple[int, dict[str, object], list[Problem]]]:
    """Each non-empty row after the header as {field: cell text}, with cell problems."""
    count = 0
    for number, cells in rows:
        values: dict[str, object] = {}
        problems: list[Problem] = []
        for index, field in header.fields.items():
            cell = cells[index] if index < len(cells) else None
            if isinstance(cell, Formula):
                problems.append(
                    Problem.of(number, header.labels[field], "formula_cell", value=str(cell)[:40])
                )
                continue
            text = unneutralise(cell_text(cell))
            if text:
                values[field] = text
        if not values and not problems:
            continue
        count += 1
        if count > MAX_ROWS:
            raise BankFileError("too_many_rows", limit=f"{MAX_ROWS:,}")
        yield number, values, problems


def raw_questions(
    rows: Iterable[tuple[int, list[object]]], filename: str
) -> Iterator[tuple[RawQuestion, list[Problem]]]:
    """Questions from spreadsheet rows (numbered as the spreadsheet shows them)."""
    iterator = iter(rows)
    header = find_header(iterator, QUESTION_COLUMNS, QUESTION_REQUIRED, anchor="stem")
    type_codes = type_codes_from_header(header.raw.get("type"))
    columns = {**FIELD_LABELS, **header.labels}
    if "answer_number" in header.labels:
        columns["answer"] = header.labels["answer_number"]
    for number, values, problems in data_rows(iterator, header):
        options = [values.get(f"option_{letter}") for letter in LETTERS]
        answer = values.get("answer")
        answer_is_number = False
        if answer is None and "answer_number" in values:
            answer, answer_is_number = values["answer_number"], True
        raw = RawQuestion(
            row=number,
            file=filename,
            type=values.get("type"),
            stem=values.get("stem"),
            options=options,
            answer=answer,
            explanation=values.get("explanation"),
            points=values.get("points"),
            time_limit=values.get("time_limit"),
            difficulty=values.get("difficulty"),
            tags=values.get("tags"),
            source=values.get("source"),
            media=values.get("media"),
            id=values.get("id"),
            columns=columns,
            type_codes=type_codes,
            answer_is_number=answer_is_number,
        )
        yield raw, problems
