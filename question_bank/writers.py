"""Writing banks back out: XLSX and CSV in the import template's layout, YAML and JSON in
the canonical form. Everything written here loads back through :func:`read_bank` unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from question_bank.normalize import neutralise
from question_bank.schema import LETTERS, TYPE_LABELS, Question

COLUMNS = [
    "题型",
    "题干",
    *(f"选项{letter}" for letter in LETTERS),
    "答案",
    "解析",
    "分值",
    "时限（秒）",
    "难度",
    "标签",
    "出处",
]
# Columns the template leaves out, written only when a question has a value for them, so that
# an export loads back unchanged.
OPTIONAL_COLUMNS = {"id": "编号", "media": "图片"}
TEMPLATE_TITLE = "党建知识竞赛题库导入模板"
TEMPLATE_NOTES = (
    "填写说明：第 3 行是表头，请勿修改；从第 4 行起每行一题，示例行可直接删除。"
    "题型填 单选题/多选题/判断题/填空题/排序题；答案填选项字母（多选如 ABD 或 A、B、D），"
    "判断题填 对/错；填空题多个空用 | 分隔，同一空的多个可接受答案用 ; 分隔；"
    "排序题按正确顺序写选项字母（如 CABD）。难度 1-5 或 简单/中等/困难；时限单位为秒。"
)

TEMPLATE_EXAMPLES = [
    Question(
        type="single",
        stem="中国共产党的最高理想和最终目标是（ ）。",
        options=["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"],
        answer="B",
        explanation="党章总纲：党的最高理想和最终目标是实现共产主义。",
        points=10,
        time_limit=20,
        difficulty=1,
        tags=["党章"],
        source="《中国共产党章程》总纲",
    ),
    Question(
        type="multiple",
        stem="党员的权利包括（ ）。",
        options=["参加党的有关会议", "在党的会议上参加讨论", "对党的工作提出建议和倡议", "拒绝执行党的决议"],
        answer=["A", "B", "C"],
        explanation="党章第四条列举了党员的八项权利。",
        points=10,
        time_limit=30,
        difficulty=2,
        tags=["党章", "党员权利"],
        source="《中国共产党章程》第四条",
    ),
    Question(
        type="judge",
        stem="预备党员的预备期为一年。",
        answer=True,
        explanation="党章第七条：预备党员的预备期为一年。",
        difficulty=1,
        tags=["党章"],
        source="《中国共产党章程》第七条",
    ),
    Question(
        type="fill",
        stem="党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        answer=[["实事求是"]],
        explanation="见党章总纲。",
        difficulty=2,
        tags=["党章"],
        source="《中国共产党章程》总纲",
    ),
    Question(
        type="order",
        stem="请将下列会议按召开时间先后排序。",
        options=["遵义会议", "中共一大", "古田会议", "八七会议"],
        answer=["B", "D", "C", "A"],
        explanation="中共一大 1921 年，八七会议 1927 年，古田会议 1929 年，遵义会议 1935 年。",
        difficulty=3,
        tags=["党史"],
        source="《中国共产党简史》",
    ),
]


def optional_fields(questions: Sequence[Question]) -> list[str]:
    """The optional fields (``id``, ``media``) that at least one question uses."""
    return [name for name in OPTIONAL_COLUMNS if any(getattr(q, name) for q in questions)]


def question_row(question: Question, extra: Sequence[str] = ()) -> list[Any]:
    options = list(question.options) + [""] * (len(LETTERS) - len(question.options))
    cells: list[Any] = [
        TYPE_LABELS[question.type],
        question.stem,
        *options,
        question.answer_text(),
        question.explanation,
        question.points,
        question.time_limit,
        question.difficulty,
        "、".join(question.tags),
        question.source,
        *(getattr(question, name) for name in extra),
    ]
    return [neutralise(cell) if isinstance(cell, str) else cell for cell in cells]


def to_xlsx(questions: Iterable[Question], *, title: str = "", notes: str = "") -> bytes:
    """The bank as an XLSX workbook in the import template's layout."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    questions = list(questions)
    extra = optional_fields(questions)
    columns = COLUMNS + [OPTIONAL_COLUMNS[name] for name in extra]
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "题库"
    if title:
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([notes])
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(columns))
        sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[2].height = 60
    sheet.append(columns)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFE699")
    for question in questions:
        sheet.append(question_row(question, extra))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
    widths = {"A": 10, "B": 50, "I": 10, "J": 40, "N": 14, "O": 30}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx() -> bytes:
    """The import template: a title, instructions, the header, one example per type."""
    return to_xlsx(TEMPLATE_EXAMPLES, title=TEMPLATE_TITLE, notes=TEMPLATE_NOTES)


def to_csv(questions: Iterable[Question]) -> bytes:
    """UTF-8 with BOM, so that Excel opens the Chinese text correctly."""
    questions = list(questions)
    extra = optional_fields(questions)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS + [OPTIONAL_COLUMNS[name] for name in extra])
    for question in questions:
        writer.writerow(["" if cell is None else cell for cell in question_row(question, extra)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _document(questions: Iterable[Question], name: str, description: str) -> dict[str, Any]:
    bank = {"name": name}
    if description:
        bank["description"] = description
    return {"bank": bank, "questions": [question.to_dict() for question in questions]}


def to_yaml(questions: Iterable[Question], *, name: str = "", description: str = "") -> bytes:
    text = yaml.safe_dump(
        _document(questions, name, description), allow_unicode=True, sort_keys=False, width=1000
    )
    return text.encode("utf-8")


def to_json(questions: Iterable[Question], *, name: str = "", description: str = "") -> bytes:
    document = _document(questions, name, description)
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
