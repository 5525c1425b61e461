"""Every reader on good files (docs/FORMATS.md §2-§5): the exact questions each accepts.

Files are made here byte for byte; each test asserts the canonical fields of every accepted
question, with the row (spreadsheet row, YAML line, JSON position, GIFT/Aiken line) that
reports would name.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from question_bank.readers import detect_format
from tests.question_bank.conftest import csv_text, fields, file_error, problems, read, xlsx_bytes

FOUR = ["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"]
HIGHEST = "中国共产党的最高理想和最终目标是（ ）。"

# The five types as the canonical form writes them; every structured reader must give these.
CANONICAL: list[dict[str, Any]] = [
    {
        "type": "single",
        "stem": HIGHEST,
        "options": FOUR,
        "answer": "B",
        "explanation": "党章总纲指出：党的最高理想和最终目标是实现共产主义。",
        "difficulty": 1,
        "source": "《中国共产党章程》总纲",
        "tags": ["党章", "总纲"],
    },
    {
        "type": "multiple",
        "stem": "党的纪律主要包括（ ）。",
        "options": ["政治纪律", "组织纪律", "廉洁纪律", "言论自由纪律"],
        "answer": ["A", "B", "C"],
        "points": 20,
        "time_limit": 30,
    },
    {
        "type": "judge",
        "stem": "预备党员的预备期为一年。",
        "answer": True,
        "source": "《中国共产党章程》第七条",
    },
    {
        "type": "fill",
        "stem": "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        "answer": [["实事求是", "求真务实"]],
    },
    {
        "id": "Q5",
        "type": "order",
        "stem": "请将下列会议按召开时间先后排序。",
        "options": ["遵义会议", "中共一大", "古田会议", "八七会议"],
        "answer": ["B", "D", "C", "A"],
        "media": "img/meetings.png",
    },
]

# -- YAML --------------------------------------------------------------------------------------

BANK_YAML = """\
bank:
  name: 党章知识
  description: 《中国共产党章程》学习题
questions:
  - type: single
    stem: 中国共产党的最高理想和最终目标是（ ）。
    options: [实现社会主义现代化, 实现共产主义, 全面建成小康社会, 实现中华民族伟大复兴]
    answer: B
    explanation: 党章总纲指出：党的最高理想和最终目标是实现共产主义。
    source: 《中国共产党章程》总纲
    difficulty: 1
    tags: [党章, 总纲]
  - type: multiple
    stem: 党的纪律主要包括（ ）。
    options:
      - 政治纪律
      - 组织纪律
      - 廉洁纪律
      - 言论自由纪律
    answer: [C, A, B]
    points: 20
    time_limit: 30
  - type: judge
    stem: 预备党员的预备期为一年。
    answer: true
    source: 《中国共产党章程》第七条
  - type: fill
    stem: 党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。
    answer: [[实事求是, 求真务实]]
  - id: Q5
    type: order
    stem: 请将下列会议按召开时间先后排序。
    options: [遵义会议, 中共一大, 古田会议, 八七会议]
    answer: [B, D, C, A]
    media: img/meetings.png
"""
YAML_LINES = [5, 13, 23, 27, 30]


def test_yaml_bank_with_every_type() -> None:
    report = read(BANK_YAML.encode(), "uploads/党章.yaml")
    assert (report.filename, report.format, report.rows_read, problems(report)) == (
        "党章.yaml",
        "yaml",
        5,
        [],
    )
    assert fields(report) == [{"row": row, **q} for row, q in zip(YAML_LINES, CANONICAL, strict=True)]
    assert [q.origin.file for q in report.accepted if q.origin] == ["党章.yaml"] * 5


def test_yaml_bare_list_and_yml_extension() -> None:
    text = (
        "- type: judge\n  stem: 预备党员的预备期为一年。\n  answer: 对\n"
        "- {type: 单选题, stem: 甲（ ）, options: [一, 二], answer: 二}\n"
    )
    report = read(text.encode(), "bank.yml")
    assert fields(report) == [
        {"row": 1, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True},
        {"row": 4, "type": "single", "stem": "甲（ ）", "options": ["一", "二"], "answer": "B"},
    ]


def test_yaml_only_the_first_document_is_read() -> None:
    text = "- {type: judge, stem: 甲, answer: true}\n---\n- {type: judge, stem: 乙, answer: false}\n"
    assert fields(read(text.encode(), "b.yaml")) == [
        {"row": 1, "type": "judge", "stem": "甲", "answer": True}
    ]


def test_yaml_in_gbk_is_decoded() -> None:
    report = read(BANK_YAML.encode("gbk"), "b.yaml")
    assert fields(report) == [{"row": row, **q} for row, q in zip(YAML_LINES, CANONICAL, strict=True)]


def test_yaml_problems_name_the_line_each_question_starts_on() -> None:
    text = """\
questions:
  - type: multiple
    stem: 多选
    options: [甲, 乙, 丙]
    explaination: 拼错的字段
    answer: AB
  - 只是一行字
  - type: single
    stem: 单选
    options: [甲, 乙]
    answer: C
  - type: judge
    stem: 判断
    answer: true
"""
    report = read(text.encode(), "b.yaml")
    assert problems(report) == [
        (2, "explaination", "unknown_field"),
        (7, None, "bad_structure"),
        (8, "answer", "answer_out_of_range"),
    ]
    assert report.rejected[1].message == "文件结构不正确：第 2 题不是对象"
    assert fields(report) == [{"row": 12, "type": "judge", "stem": "判断", "answer": True}]


# -- JSON --------------------------------------------------------------------------------------


def test_json_bank_with_every_type_reports_list_positions() -> None:
    document = {"bank": {"name": "党章知识"}, "questions": [dict(q) for q in CANONICAL]}
    document["questions"][1]["answer"] = "A、B、C"
    report = read(json.dumps(document, ensure_ascii=False).encode(), "党章.json")
    assert (report.format, report.rows_read, problems(report)) == ("json", 5, [])
    assert fields(report) == [{"row": row, **q} for row, q in enumerate(CANONICAL, start=1)]


def test_json_bare_list_with_bom_and_problems_by_position() -> None:
    items = [
        {"type": "judge", "stem": "甲", "answer": False},
        {"type": "judge", "stem": "乙", "answer": "对", "note": "x"},
        ["不是对象"],
        {"type": "fill", "stem": "党的根本宗旨是全心全意____。", "answer": [["为人民服务"]]},
    ]
    data = b"\xef\xbb\xbf" + json.dumps(items, ensure_ascii=False, indent=2).encode()
    report = read(data, "b.json")
    assert problems(report) == [(2, "note", "unknown_field"), (3, None, "bad_structure")]
    assert fields(report) == [
        {"row": 1, "type": "judge", "stem": "甲", "answer": False},
        {"row": 4, "type": "fill", "stem": "党的根本宗旨是全心全意____。", "answer": [["为人民服务"]]},
    ]


# -- CSV ---------------------------------------------------------------------------------------

TEMPLATE_HEADER = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "选项E",
    "选项F",
    "答案",
    "解析",
    "分值",
    "时限（秒）",
    "难度",
    "标签",
    "出处",
]
TEMPLATE_ROWS = [
    TEMPLATE_HEADER,
    [
        "单选题",
        HIGHEST,
        *FOUR,
        "",
        "",
        "B",
        "党章总纲指出：党的最高理想和最终目标是实现共产主义。",
        "",
        "",
        "1",
        "党章、总纲",
        "《中国共产党章程》总纲",
    ],
    [
        "多选题",
        "党的纪律主要包括（ ）。",
        "政治纪律",
        "组织纪律",
        "廉洁纪律",
        "言论自由纪律",
        "",
        "",
        "ABC",
        "",
        "20",
        "30",
        "",
        "",
        "",
    ],
    [
        "判断题",
        "预备党员的预备期为一年。",
        "",
        "",
        "",
        "",
        "",
        "",
        "对",
        "",
        "",
        "",
        "",
        "",
        "《中国共产党章程》第七条",
    ],
    [
        "填空题",
        "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        "",
        "",
        "",
        "",
        "",
        "",
        "实事求是；求真务实",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "排序题",
        "请将下列会议按召开时间先后排序。",
        "遵义会议",
        "中共一大",
        "古田会议",
        "八七会议",
        "",
        "",
        "BDCA",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]
# The template has no 编号 or 图片 column: the fifth question carries neither.
TEMPLATE_EXPECTED = [
    {"row": row, **{k: v for k, v in q.items() if k not in ("id", "media")}}
    for row, q in zip(range(2, 7), CANONICAL, strict=True)
]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("gbk", ","),
        ("gb18030", ","),
        ("utf-16", ","),
        ("utf-8", "\t"),
        ("gbk", "\t"),
        ("utf-8-sig", ";"),
    ],
)
def test_csv_template_in_every_encoding_and_delimiter(encoding: str, delimiter: str) -> None:
    data = csv_text(TEMPLATE_ROWS, delimiter).encode(encoding)
    if encoding in ("gbk", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # the reader has to detect it, not just decode it as UTF-8
    report = read(data, "题库.csv")
    assert (report.format, report.rows_read, problems(report)) == ("csv", 5, [])
    assert fields(report) == TEMPLATE_EXPECTED


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_found_below_a_title_row(delimiter: str) -> None:
    rows = [["党建知识竞赛题库"], ["填写说明：每行一题"], [], *TEMPLATE_ROWS]
    report = read(csv_text(rows, delimiter).encode("gbk"), "题库.csv")
    assert fields(report) == [{**q, "row": q["row"] + 3} for q in TEMPLATE_EXPECTED]


def test_csv_rows_are_records_even_when_a_cell_holds_line_breaks() -> None:
    rows = [
        ["题干", "选项A", "选项B", "答案", "解析"],
        ["甲（ ）", "一", "二", "A", "第一段，带逗号\n第二段\r\n第三段"],
        ["乙（ ）", "一", "二", "C", ""],
    ]
    report = read(csv_text(rows).encode(), "b.csv")
    assert fields(report) == [
        {
            "row": 2,
            "type": "single",
            "stem": "甲（ ）",
            "options": ["一", "二"],
            "answer": "A",
            "explanation": "第一段，带逗号\n第二段\n第三段",
        }
    ]
    assert problems(report) == [(3, "答案", "answer_out_of_range")]


# -- XLSX --------------------------------------------------------------------------------------


def test_xlsx_template_layout() -> None:
    report = read(xlsx_bytes(TEMPLATE_ROWS), "题库.xlsx")
    assert (report.format, report.rows_read, problems(report)) == ("xlsx", 5, [])
    assert fields(report) == TEMPLATE_EXPECTED


def test_xlsx_with_id_and_media_columns_and_typed_cells() -> None:
    rows = [
        ["编号", "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "分值", "难度", "图片"],
        [
            "Q5",
            "排序题",
            "请将下列会议按召开时间先后排序。",
            "遵义会议",
            "中共一大",
            "古田会议",
            "八七会议",
            "BDCA",
            10,
            3,
            "img/meetings.png",
        ],
        [6, "判断题", "预备党员的预备期为一年。", None, None, None, None, "√", 5.0, "中等", None],
    ]
    assert fields(read(xlsx_bytes(rows), "b.xlsx")) == [
        {
            "row": 2,
            "id": "Q5",
            "type": "order",
            "stem": "请将下列会议按召开时间先后排序。",
            "options": ["遵义会议", "中共一大", "古田会议", "八七会议"],
            "answer": ["B", "D", "C", "A"],
            "points": 10,
            "difficulty": 3,
            "media": "img/meetings.png",
        },
        {
            "row": 3,
            "id": "6",
            "type": "judge",
            "stem": "预备党员的预备期为一年。",
            "answer": True,
            "points": 5,
            "difficulty": 3,
        },
    ]


def test_xlsx_sheet_with_a_header_is_used_after_an_instructions_sheet() -> None:
    notes = [["填写说明"], ["题型：单选题、多选题、判断题"], ["答案：填选项字母"]]
    data = xlsx_bytes(TEMPLATE_ROWS[:2], sheets=[("说明", notes)], title="题库")
    assert fields(read(data, "b.xlsx")) == TEMPLATE_EXPECTED[:1]


# -- Moodle GIFT -------------------------------------------------------------------------------

GIFT = """\
// 注释行
::Q1:: 中国共产党成立于哪一年？ {=1921年 ~1919年 ~1927年}
::Q2:: 党的基本路线包括（ ） {~%50%以经济建设为中心 ~%50%坚持四项基本原则 ~%-100%以阶级斗争为纲}
预备党员的预备期为一年。 {T}
党的根本宗旨是全心全意{=为人民服务}。
"""


@pytest.mark.parametrize("blank_lines", [False, True])
def test_gift_example_from_the_docs(blank_lines: bool) -> None:
    # As the docs show it (one question per line), and as Moodle writes it (blank lines).
    data = (GIFT.replace("}\n", "}\n\n") if blank_lines else GIFT).encode()
    report = read(data, "题库.gift")
    assert (report.format, report.rows_read, problems(report)) == ("gift", 4, [])
    rows = [2, 4, 6, 8] if blank_lines else [2, 3, 4, 5]
    assert fields(report) == [
        {
            "row": rows[0],
            "type": "single",
            "stem": "中国共产党成立于哪一年？",
            "options": ["1921年", "1919年", "1927年"],
            "answer": "A",
        },
        {
            "row": rows[1],
            "type": "multiple",
            "stem": "党的基本路线包括（ ）",
            "options": ["以经济建设为中心", "坚持四项基本原则", "以阶级斗争为纲"],
            "answer": ["A", "B"],
        },
        {"row": rows[2], "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True},
        {"row": rows[3], "type": "fill", "stem": "党的根本宗旨是全心全意____。", "answer": [["为人民服务"]]},
    ]


def test_gift_features() -> None:
    text = "\r\n".join(
        [
            "$CATEGORY: $course$/党章",
            "",
            "// question: 12  name: 判断",
            "::判断::[html]预备党员可以当选为支部委员。{FALSE#预备党员没有被选举权。####见党章第七条。}",
            "",
            "$CATEGORY: $course$/党史",
            "党的思想路线是{=实事求是 =求真务实}的。",
            "",
            "下列表述正确的是 {",
            "  =党的最高理想是实现共产主义 #正确",
            "  ~党的最高理想是全面建成小康社会 #错误",
            "  ####党章总纲。",
            "}",
            "",
            "转义的等号 \\= 和花括号 \\{ 保留 {TRUE}",
            "",
            "单选写成权重 {~%100%甲 ~%0%乙 ~丙}",
            "",
        ]
    )
    report = read(text.encode(), "b.gift")
    assert problems(report) == []
    assert fields(report) == [
        {
            "row": 4,
            "type": "judge",
            "stem": "预备党员可以当选为支部委员。",
            "answer": False,
            "explanation": "见党章第七条。",
        },
        {"row": 7, "type": "fill", "stem": "党的思想路线是____的。", "answer": [["实事求是", "求真务实"]]},
        {
            "row": 9,
            "type": "single",
            "stem": "下列表述正确的是",
            "options": ["党的最高理想是实现共产主义", "党的最高理想是全面建成小康社会"],
            "answer": "A",
            "explanation": "党章总纲。",
        },
        {"row": 15, "type": "judge", "stem": "转义的等号 = 和花括号 { 保留", "answer": True},
        {"row": 17, "type": "single", "stem": "单选写成权重", "options": ["甲", "乙", "丙"], "answer": "A"},
    ]


def test_gift_unsupported_questions_are_reported_not_dropped() -> None:
    text = (
        "数值题 {#1921}\n\n配对题 {=党章 -> 根本大法 =宪法 -> 国家根本法}\n\n没有答案的一行\n\n"
        "两个空 {=甲} 和 {=乙}\n\n好题 {T}\n"
    )
    report = read(text.encode(), "b.gift")
    assert problems(report) == [
        (1, "{…}", "unsupported_question"),
        (3, "{…}", "unsupported_question"),
        (5, "{…}", "unsupported_question"),
        (7, "{…}", "unsupported_question"),
    ]
    assert [p.message for p in report.rejected] == [
        "不支持的题目写法：不支持数值题和匹配题",
        "不支持的题目写法：不支持数值题和匹配题",
        "不支持的题目写法：每题需要一对 { } 写答案",
        "不支持的题目写法：每题需要一对 { } 写答案",
    ]
    assert fields(report) == [{"row": 9, "type": "judge", "stem": "好题", "answer": True}]


# -- Aiken -------------------------------------------------------------------------------------

AIKEN = """\
中国共产党的最高理想和最终目标是（ ）。
A. 实现社会主义现代化
B. 实现共产主义
C. 全面建成小康社会
D. 实现中华民族伟大复兴
ANSWER: B

党的根本宗旨是（ ）。
A) 为人民服务
B) 全心全意为人民服务
答案：b

党的最高领导机关是
党的全国代表大会和它所产生的（ ）。
A、中央委员会
B、中央纪律检查委员会
Ｃ．中央军事委员会
答案: A
"""
AIKEN_EXPECTED = [
    {"row": 1, "type": "single", "stem": HIGHEST, "options": FOUR, "answer": "B"},
    {
        "row": 8,
        "type": "single",
        "stem": "党的根本宗旨是（ ）。",
        "options": ["为人民服务", "全心全意为人民服务"],
        "answer": "B",
    },
    {
        "row": 13,
        "type": "single",
        "stem": "党的最高领导机关是\n党的全国代表大会和它所产生的（ ）。",
        "options": ["中央委员会", "中央纪律检查委员会", "中央军事委员会"],
        "answer": "A",
    },
]


@pytest.mark.parametrize(
    ("filename", "encoding"),
    [("b.aiken", "utf-8"), ("b.txt", "utf-8"), ("b.txt", "gbk"), ("b.aiken", "utf-8-sig")],
)
def test_aiken(filename: str, encoding: str) -> None:
    report = read(AIKEN.replace("\n", "\r\n").encode(encoding), filename)
    assert (report.format, report.rows_read, problems(report)) == ("aiken", 3, [])
    assert fields(report) == AIKEN_EXPECTED


def test_aiken_problems_name_the_line_the_question_starts_on() -> None:
    text = AIKEN + "\n多了一个选项\nA. 甲\nB. 乙\nANSWER: C\n\n没有答案\nA. 甲\nB. 乙\n"
    report = read(text.encode(), "b.aiken")
    assert problems(report) == [(20, "ANSWER", "answer_out_of_range"), (25, "ANSWER", "missing_field")]
    assert report.rejected[0].message == "答案“C”超出选项范围（本题只有 AB）。"
    assert fields(report) == AIKEN_EXPECTED


# -- which reader ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("a.YAML", b"", "yaml"),
        ("a.yml", b"", "yaml"),
        ("a.json", b"", "json"),
        ("a.CSV", b"", "csv"),
        ("a.xlsx", b"", "xlsx"),
        ("a.xlsm", b"", "xlsx"),
        ("a.xls", b"", "xlsx"),
        ("a.gift", b"", "gift"),
        ("a.aiken", b"", "aiken"),
        ("a.txt", "题 {=甲 ~乙}".encode(), "gift"),
        ("a.txt", b"Q {T}", "gift"),
        ("a.txt", "题\nA. 甲\nB. 乙\nANSWER: A".encode(), "aiken"),
    ],
)
def test_format_is_chosen_by_extension_and_txt_by_content(
    filename: str, content: bytes, expected: str
) -> None:
    assert detect_format(content, filename) == expected


def test_unknown_extension_is_refused() -> None:
    error = file_error(b"anything", "bank.docx")
    assert (error.code, error.message) == (
        "unknown_format",
        "无法识别文件格式“bank.docx”，支持 .xlsx、.csv、.yaml/.yml、.json、.gift、.txt（GIFT 或 Aiken）。",
    )
