"""Exports load back unchanged (docs/FORMATS.md §7): read -> write -> read gives equal
questions in every format; spreadsheet cells never run as formulas; the template loads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from question_bank import Question, template_xlsx, to_csv, to_json, to_xlsx, to_yaml
from question_bank.writers import COLUMNS, TEMPLATE_EXAMPLES, TEMPLATE_NOTES, TEMPLATE_TITLE
from tests.question_bank.conftest import problems, read

SAMPLES = Path(__file__).resolve().parents[2] / "question_bank" / "samples"
WRITERS: dict[str, Callable[[list[Question]], bytes]] = {
    "xlsx": to_xlsx,
    "csv": to_csv,
    "yaml": to_yaml,
    "json": to_json,
}

# Every type and every field, with the texts exports must keep: Chinese punctuation, circled
# numbers, line breaks, the separators of a fill answer, a leading apostrophe.
TRICKY = """\
- id: DZ-001
  type: single
  stem: "关于党的性质，下列说法正确的是（ ）：①先锋队；②领导核心"
  options: [只有①, 只有②, "①和②", "都不对"]
  answer: C
  explanation: "党章总纲：\\n“中国共产党是中国工人阶级的先锋队……”"
  points: 15
  time_limit: 45
  difficulty: 4
  tags: [党章, 总纲, "党的性质"]
  source: 《中国共产党章程》总纲
  media: img/dangzhang.png
- type: multiple
  stem: 党的纪律包括（ ）。
  options: [政治纪律, 组织纪律, 廉洁纪律, 群众纪律, 工作纪律, 生活纪律]
  answer: [A, B, C, D, E, F]
- type: judge
  stem: "'引号开头的判断题。"
  answer: false
  difficulty: 5
- type: fill
  stem: 党的宗旨是____，思想路线的核心是____。
  answer: [[全心全意为人民服务], [实事求是, 求真务实]]
- type: order
  stem: 请排序：
  options: [遵义会议, 中共一大, 古田会议, 八七会议]
  answer: [B, D, C, A]
  id: "42"
"""

# Cells that a spreadsheet would run as a formula if written as they are.
INJECTION = """\
- type: single
  stem: "=1+1 等于几？"
  options: ["+2", "-3", "@SUM(A1)", "=HYPERLINK(\\"http://example.com\\",\\"点我\\")"]
  answer: A
  explanation: "-解析以减号开头"
  tags: ["-标签", "@人"]
  source: "+出处"
- type: fill
  stem: "-____-"
  answer: [["=x", "+y"]]
- type: order
  stem: "@排序"
  options: ["-甲", "=乙", "+丙"]
  answer: [C, A, B]
"""


def _samples() -> list[Question]:
    questions: list[Question] = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        questions += read(path.read_bytes(), path.name).accepted
    return questions


def _source(text: str) -> list[Question]:
    report = read(text.encode(), "source.yaml")
    assert problems(report) == []
    return report.accepted


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("bank", ["samples", "tricky", "injection"])
def test_read_write_read_gives_equal_questions(kind: str, bank: str) -> None:
    questions = {
        "samples": _samples,
        "tricky": lambda: _source(TRICKY),
        "injection": lambda: _source(INJECTION),
    }[bank]()
    report = read(WRITERS[kind](questions), f"export.{kind}")
    assert (report.format, problems(report)) == (kind, [])
    assert report.accepted == questions
    assert [q.to_dict() for q in report.accepted] == [q.to_dict() for q in questions]
    if kind in ("xlsx", "csv"):  # header on row 1, one question per row
        assert [q.origin.row for q in report.accepted if q.origin] == list(range(2, len(questions) + 2))


def test_tricky_source_reads_as_written() -> None:
    first, *_, last = _source(TRICKY)
    assert first.to_dict() == {
        "id": "DZ-001",
        "type": "single",
        "stem": "关于党的性质，下列说法正确的是（ ）：①先锋队；②领导核心",
        "options": ["只有①", "只有②", "①和②", "都不对"],
        "answer": "C",
        "explanation": "党章总纲：\n“中国共产党是中国工人阶级的先锋队……”",
        "points": 15,
        "time_limit": 45,
        "difficulty": 4,
        "source": "《中国共产党章程》总纲",
        "media": "img/dangzhang.png",
        "tags": ["党章", "总纲", "党的性质"],
    }
    assert (last.id, last.answer) == ("42", ["B", "D", "C", "A"])


HYPERLINK = '\'=HYPERLINK("http://example.com","点我")'


def _xlsx_cells(data: bytes) -> list[list[tuple[object, str]]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [
        [(cell.value, cell.data_type) for cell in row if cell.value is not None] for row in sheet.iter_rows()
    ]


def test_xlsx_export_neutralises_formula_text_and_never_writes_a_formula() -> None:
    rows = _xlsx_cells(to_xlsx(_source(INJECTION)))
    assert [value for value, _type in rows[0]] == COLUMNS
    assert [value for value, _type in rows[1]] == [
        "单选题",
        "'=1+1 等于几？",
        "'+2",
        "'-3",
        "'@SUM(A1)",
        HYPERLINK,
        "A",
        "'-解析以减号开头",
        "'-标签、@人",
        "'+出处",
    ]
    assert [value for value, _type in rows[2]] == ["填空题", "'-____-", "'=x;+y"]
    assert [value for value, _type in rows[3]] == ["排序题", "'@排序", "'-甲", "'=乙", "'+丙", "CAB"]
    assert {data_type for row in rows for _value, data_type in row} == {"s"}


def test_csv_export_is_utf8_with_bom_crlf_and_neutralised() -> None:
    data = to_csv(_source(INJECTION))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.count("\r\n") == 4 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    assert rows[1] == [
        "单选题",
        "'=1+1 等于几？",
        "'+2",
        "'-3",
        "'@SUM(A1)",
        HYPERLINK,
        "",
        "",
        "A",
        "'-解析以减号开头",
        "",
        "",
        "",
        "'-标签、@人",
        "'+出处",
    ]
    assert rows[2][:2] == ["填空题", "'-____-"] and rows[2][8] == "'=x;+y"
    # No cell a spreadsheet would evaluate.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


def test_yaml_and_json_exports_keep_the_text_as_it_is() -> None:
    questions = _source(INJECTION)
    document = yaml.safe_load(to_yaml(questions, name="注入", description="公式样的文字"))
    assert document["bank"] == {"name": "注入", "description": "公式样的文字"}
    assert document["questions"][0]["stem"] == "=1+1 等于几？"
    assert document["questions"] == [q.to_dict() for q in questions]
    assert b"'=1+1" not in to_json(questions)


def test_optional_columns_are_added_only_when_used() -> None:
    with_id = _source(TRICKY)
    header = _xlsx_cells(to_xlsx(with_id))[0]
    assert [value for value, _type in header] == [*COLUMNS, "编号", "图片"]
    assert next(csv.reader(io.StringIO(to_csv(with_id)[3:].decode()))) == [*COLUMNS, "编号", "图片"]
    plain = _source(INJECTION)
    assert [value for value, _type in _xlsx_cells(to_xlsx(plain))[0]] == COLUMNS


def test_template_loads_with_one_example_per_type_and_no_rejects() -> None:
    data = template_xlsx()
    report = read(data, "党建知识竞赛题库导入模板.xlsx")
    assert (report.rows_read, problems(report)) == (5, [])
    assert [q.type for q in report.accepted] == ["single", "multiple", "judge", "fill", "order"]
    assert [q.origin.row for q in report.accepted if q.origin] == [4, 5, 6, 7, 8]
    assert report.accepted == TEMPLATE_EXAMPLES
    assert all(q.explanation and q.source for q in report.accepted)
    rows = _xlsx_cells(data)
    assert rows[0] == [(TEMPLATE_TITLE, "s")]
    assert rows[1] == [(TEMPLATE_NOTES, "s")]
    assert [value for value, _type in rows[2]] == COLUMNS
