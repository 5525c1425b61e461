"""The Chinese spreadsheet conventions a real template arrives with (docs/FORMATS.md §1-§2).

Each test builds the sheet as an organizer's Excel or WPS would hold it (typed cells: floats,
dates, booleans, merged ranges) and asserts the exact questions, row numbers as Excel shows
them, and the header text that problems name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.question_bank.conftest import csv_text, fields, file_error, problems, read, xlsx_bytes

FOUR = ["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"]
HIGHEST = "中国共产党的最高理想和最终目标是（ ）。"
DISCIPLINE = ["政治纪律", "组织纪律", "廉洁纪律", "言论自由纪律"]

# -- header names ------------------------------------------------------------------------------

# Twelve columns: type, stem, options A-D, answer, explanation, points, difficulty, tags, source.
HEADERS = {
    "template": [
        "题型",
        "题干",
        "选项A",
        "选项B",
        "选项C",
        "选项D",
        "答案",
        "解析",
        "分值",
        "难度",
        "标签",
        "出处",
    ],
    "aliases_1": [
        "题目类型",
        "题目",
        "A",
        "B",
        "C",
        "D",
        "正确答案",
        "答案解析",
        "分数",
        "难易程度",
        "分类",
        "来源",
    ],
    "aliases_2": [
        "试题类型",
        "试题内容",
        "选项1",
        "选项2",
        "选项3",
        "选项4",
        "标准答案",
        "试题解析",
        "本题分值",
        "难度等级",
        "知识点",
        "依据",
    ],
    "aliases_3": [
        "类型",
        "问题",
        "选项一",
        "选项二",
        "选项三",
        "选项四",
        "参考答案",
        "解释",
        "分值",
        "难度",
        "章节",
        "出处",
    ],
    "english": [
        "Type",
        "Question",
        "Option A",
        "Option B",
        "Option C",
        "Option D",
        "ANSWER",
        "Explanation",
        "Points",
        "Difficulty",
        "Category",
        "Source",
    ],
    "decorated": [
        "*题型",
        "题干（必填）",
        "选项A\n(必填)",
        "选项B\n（必填）",
        "选项C",
        "选项D\n(勿删)",
        "＊答案",
        "解析 - 选填",
        "分值：",
        " 难 度 ",
        "标签【多个用、分隔】",
        "出处\u00a0",
    ],
}
ROW = ["单选题", HIGHEST, *FOUR, "B", "党章总纲。", 10, 1, "党章、总纲", "《中国共产党章程》总纲"]
BAD_ROW = ["单选题", "党的最低纲领是（ ）。", *FOUR, "E", "", None, None, "", ""]
EXPECTED = {
    "row": 2,
    "type": "single",
    "stem": HIGHEST,
    "options": FOUR,
    "answer": "B",
    "explanation": "党章总纲。",
    "points": 10,
    "difficulty": 1,
    "source": "《中国共产党章程》总纲",
    "tags": ["党章", "总纲"],
}


@pytest.mark.parametrize("name", list(HEADERS))
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_header_aliases_and_decorations(name: str, kind: str) -> None:
    header = HEADERS[name]
    rows = [header, ROW, BAD_ROW]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_text(rows).encode("gb18030")
    report = read(data, f"题库.{kind}")
    assert fields(report) == [EXPECTED]
    # A problem names the answer column the way the file's header shows it (spaces folded).
    assert problems(report) == [(3, " ".join(header[6].split()), "answer_out_of_range")]


def test_header_with_non_breaking_and_full_width_spaces_and_zero_width_characters() -> None:
    header = ["题\u00a0型", "\u3000题干\u3000", "选项\u200bA", "选项Ｂ", "答\u2002案"]
    report = read(xlsx_bytes([header, ["判断题", "预备党员的预备期为一年。", "正确", "错误", "A"]]), "b.xlsx")
    assert fields(report) == [{"row": 2, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True}]


def test_template_header_with_notes_under_options_e_and_f() -> None:
    header = [
        "题型\n（必填）",
        "题干（必填）",
        "选项A",
        "选项B",
        "选项C",
        "选项D",
        "选项E\n(勿删)",
        "选项F\n(勿删)",
        "答案（必填）",
    ]
    rows = [
        header,
        [
            "多选题",
            "党的纪律包括（ ）。",
            "政治纪律",
            "组织纪律",
            "廉洁纪律",
            "群众纪律",
            "工作纪律",
            "生活纪律",
            "ABCDEF",
        ],
        ["单选题", "只有五个选项（ ）", "甲", "乙", "丙", "丁", "戊", None, "E"],
        ["单选题", "第六个选项是空的（ ）", "甲", "乙", "丙", "丁", "戊", None, "F"],
    ]
    report = read(xlsx_bytes(rows), "b.xlsx")
    assert fields(report) == [
        {
            "row": 2,
            "type": "multiple",
            "stem": "党的纪律包括（ ）。",
            "options": ["政治纪律", "组织纪律", "廉洁纪律", "群众纪律", "工作纪律", "生活纪律"],
            "answer": ["A", "B", "C", "D", "E", "F"],
        },
        {
            "row": 3,
            "type": "single",
            "stem": "只有五个选项（ ）",
            "options": ["甲", "乙", "丙", "丁", "戊"],
            "answer": "E",
        },
    ]
    assert problems(report) == [(4, "答案（必填）", "answer_out_of_range")]
    assert report.rejected[0].message == "答案“F”超出选项范围（本题只有 ABCDE）。"


# -- where the header is -----------------------------------------------------------------------


def test_title_and_instruction_rows_above_the_header_count_in_row_numbers() -> None:
    rows: list[list[Any]] = [
        ["某某公司党委 2024 年党建知识竞赛题库"],
        ["填写说明：1. 每行一题；2. 题型填 单选题/多选题/判断题；3. 答案填选项字母。"],
        [],
        ["注意：请勿修改表头"],
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案"],
        ["单选题", HIGHEST, *FOUR, "B"],
        [],
        [None, None, None, None, None, None, None],
        ["判断题", "预备党员的预备期为一年。", None, None, None, None, "对"],
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "全心全意为人民服务", None, None, "C"],
    ]
    report = read(xlsx_bytes(rows, merges=["A1:G1", "A2:G2"]), "b.xlsx")
    assert (report.rows_read, problems(report)) == (3, [(10, "答案", "answer_out_of_range")])
    assert fields(report) == [
        {"row": 6, "type": "single", "stem": HIGHEST, "options": FOUR, "answer": "B"},
        {"row": 9, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True},
    ]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_header_on_row_20_is_found_and_on_row_21_is_not(kind: str) -> None:
    def make(blank_rows: int) -> bytes:
        rows = [["说明"]] + [[]] * (blank_rows - 1) + [["题干", "答案"], ["预备党员的预备期为一年。", "对"]]
        return xlsx_bytes(rows) if kind == "xlsx" else csv_text(rows).encode()

    report = read(make(19), f"b.{kind}")
    assert fields(report) == [
        {"row": 21, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True}
    ]
    error = file_error(make(20), f"b.{kind}")
    assert (error.code, error.message) == (
        "no_header",
        "前 20 行中没有找到表头：至少需要“题干”和“答案”两列。",
    )


# Kahoot's "Quiz template": instructions in column B of rows 2-6, the header on row 8 with
# column A empty, question numbers down column A and rows numbered ahead with nothing else.
KAHOOT_HEADER = [
    None,
    "Question - max 120 characters",
    "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters",
    "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters",
    "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
]
KAHOOT_TOP = [
    [],
    [None, "Quiz template"],
    [
        None,
        "Add questions, at least two answer alternatives, time limit and choose correct answers (at least "
        "one). Have fun creating your awesome quiz!",
    ],
    [
        None,
        "Remember: questions have a limit of 120 characters and answers can have 75 characters max. Text "
        "will turn red in Excel or Google Docs if you exceed this limit. If several answers are correct, "
        "separate them with a comma.",
    ],
    [None, "See an example question below (don't forget to overwrite this with your first question!)"],
    [
        None,
        "And remember, if you're not using Excel you need to export to .xlsx format before you upload to "
        "Kahoot!",
    ],
    [],
    KAHOOT_HEADER,
]


def test_kahoot_template_layout() -> None:
    rows = [
        *KAHOOT_TOP,
        [1, "中国共产党成立于哪一年？", "1919年", "1921年", "1927年", "1949年", 20, 2],
        [2, "党的纪律包括哪些？", *DISCIPLINE, 60, "1,2,3"],
        [3, "预备党员的预备期为一年。", "正确", "错误", None, None, 10, 1],
        [4, "党的根本宗旨是？", "为人民服务", "全心全意为人民服务", None, None, 240, "2, 1"],
        [5, "超出选项的答案", "甲", "乙", None, None, 20, 3],
        [6, "时限不在范围内", "甲", "乙", None, None, 1000, 1],
        *[[number] for number in range(7, 101)],
    ]
    report = read(xlsx_bytes(rows, merges=["B2:H2"]), "KahootQuizTemplate.xlsx")
    assert report.rows_read == 6
    assert fields(report) == [
        {
            "row": 9,
            "type": "single",
            "stem": "中国共产党成立于哪一年？",
            "options": ["1919年", "1921年", "1927年", "1949年"],
            "answer": "B",
            "time_limit": 20,
        },
        {
            "row": 10,
            "type": "multiple",
            "stem": "党的纪律包括哪些？",
            "options": DISCIPLINE,
            "answer": ["A", "B", "C"],
            "time_limit": 60,
        },
        {
            "row": 11,
            "type": "single",
            "stem": "预备党员的预备期为一年。",
            "options": ["正确", "错误"],
            "answer": "A",
            "time_limit": 10,
        },
        {
            "row": 12,
            "type": "multiple",
            "stem": "党的根本宗旨是？",
            "options": ["为人民服务", "全心全意为人民服务"],
            "answer": ["A", "B"],
            "time_limit": 240,
        },
    ]
    correct = "Correct answer(s) - choose at least one"
    time_limit = "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs"
    assert problems(report) == [(13, correct, "answer_out_of_range"), (14, time_limit, "number_out_of_range")]
    assert [p.message for p in report.rejected] == [
        "答案“3”超出选项范围（本题只有 AB）。",
        f"“{time_limit}”应在 5 到 600 之间，实际为 1000。",
    ]


# -- type column -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["题型（0单选，1判断，2多选）", "题型(0:单选 1:判断 2:多选)", "题型\n0=单选题、1=判断题、2=多选题"],
)
def test_type_column_coded_by_numbers_in_its_header(header: str) -> None:
    rows = [
        [header, "题干", "选项A", "选项B", "选项C", "选项D", "答案"],
        [0, HIGHEST, *FOUR, "B"],
        [1.0, "预备党员的预备期为一年。", None, None, None, None, "对"],
        ["2", "党的纪律包括（ ）。", *DISCIPLINE, "ABC"],
        [3, "未知代码", "甲", "乙", None, None, "A"],
        ["多选", "名称也可以", "甲", "乙", "丙", None, "AC"],
    ]
    report = read(xlsx_bytes(rows), "b.xlsx")
    assert fields(report) == [
        {"row": 2, "type": "single", "stem": HIGHEST, "options": FOUR, "answer": "B"},
        {"row": 3, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True},
        {
            "row": 4,
            "type": "multiple",
            "stem": "党的纪律包括（ ）。",
            "options": DISCIPLINE,
            "answer": ["A", "B", "C"],
        },
        {
            "row": 6,
            "type": "multiple",
            "stem": "名称也可以",
            "options": ["甲", "乙", "丙"],
            "answer": ["A", "C"],
        },
    ]
    assert problems(report) == [(5, " ".join(header.split()), "unknown_type")]
    assert report.rejected[0].message == "无法识别的题型“3”，可用：单选题、多选题、判断题、填空题、排序题。"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("单选", "single"),
        ("单项选择题", "single"),
        (" 单选题。", "single"),
        ("多项选择题", "multiple"),
        ("不定项", "multiple"),
        ("是非题", "judge"),
        ("判断", "judge"),
        ("填空", "fill"),
        ("排序题", "order"),
        ("Single", "single"),
        ("ORDER", "order"),
    ],
)
def test_type_names_in_a_sheet(written: str, expected: str) -> None:
    cells = {
        "single": (["甲", "乙", "丙"], "B"),
        "multiple": (["甲", "乙", "丙"], "BC"),
        "judge": ([], "错"),
        "fill": ([], "甲"),
        "order": (["甲", "乙", "丙"], "CAB"),
    }[expected]
    options, answer = cells
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "答案"],
        [written, "题目____", *(options or [None] * 3), answer],
    ]
    assert [q.type for q in read(xlsx_bytes(rows), "b.xlsx").accepted] == [expected]


def test_type_is_inferred_when_the_cell_is_empty() -> None:
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "答案"],
        [None, "单选（ ）", "甲", "乙", "丙", "B"],
        ["", "多选（ ）", "甲", "乙", "丙", "A、C"],
        [" ", "判断。", None, None, None, "×"],
        [None, "填空____。", None, None, None, "甲"],
    ]
    assert [(q.type, q.answer) for q in read(xlsx_bytes(rows), "b.xlsx").accepted] == [
        ("single", "B"),
        ("multiple", ["A", "C"]),
        ("judge", False),
        ("fill", [["甲"]]),
    ]


# -- answers -----------------------------------------------------------------------------------

ANSWER_HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_multiple_answers_written_every_usual_way(kind: str) -> None:
    spellings = [
        "A、B、D",
        "A,B,D",
        "ABD",
        "A，B，D",
        "A B D",
        "A;B;D",
        "ＡＢＤ",
        "Ａ、Ｂ、Ｄ",
        "abd",
        " D、B、A ",
    ]
    rows = [ANSWER_HEADER] + [
        ["多选题", f"第{number}题：党的纪律包括（ ）。", *DISCIPLINE, spelling]
        for number, spelling in enumerate(spellings, start=1)
    ]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_text(rows).encode("utf-8-sig")
    report = read(data, f"b.{kind}")
    assert problems(report) == []
    assert [(q.origin.row if q.origin else None, q.answer) for q in report.accepted] == [
        (row, ["A", "B", "D"]) for row in range(2, 12)
    ]


@pytest.mark.parametrize(
    ("written", "options", "expected"),
    [
        ("对", [], True),
        ("错", [], False),
        ("正确", [], True),
        ("错误", [], False),
        ("√", [], True),
        ("×", [], False),
        ("T", [], True),
        ("F", [], False),
        ("Ｔ", [], True),
        (True, [], True),
        (False, [], False),
        ("A", ["正确", "错误"], True),
        ("B", ["正确", "错误"], False),
        ("A", ["对", "错"], True),
        ("正确", ["正确", "错误"], True),
    ],
)
def test_judge_answers(written: object, options: list[str], expected: bool) -> None:
    padded = options + [None] * (4 - len(options))
    rows = [ANSWER_HEADER, ["判断题", "预备党员的预备期为一年。", *padded, written]]
    assert fields(read(xlsx_bytes(rows), "b.xlsx")) == [
        {"row": 2, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": expected}
    ]


def test_answers_given_as_option_text() -> None:
    rows = [
        ANSWER_HEADER,
        ["单选题", HIGHEST, *FOUR, "实现共产主义"],
        ["单选题", "第二题（ ）", *FOUR, " 实现\u00a0共产主义 "],
        ["多选题", "党的纪律包括（ ）。", *DISCIPLINE, "政治纪律、组织纪律、廉洁纪律"],
        ["排序题", "排序（ ）", "乙", "甲", "丙", None, "甲;乙;丙"],
        ["单选题", "没有这个选项（ ）", *FOUR, "实现小康"],
        ["多选题", "一个不对（ ）", *DISCIPLINE, "政治纪律、经济纪律"],
    ]
    report = read(xlsx_bytes(rows), "b.xlsx")
    assert [(q.origin.row if q.origin else None, q.answer) for q in report.accepted] == [
        (2, "B"),
        (3, "B"),
        (4, ["A", "B", "C"]),
        (5, ["B", "A", "C"]),
    ]
    assert problems(report) == [(6, "答案", "answer_not_in_options"), (7, "答案", "answer_not_in_options")]
    assert [p.message for p in report.rejected] == [
        "答案“实现小康”既不是选项字母，也与任何选项内容不一致。",
        "答案“政治纪律、经济纪律”既不是选项字母，也与任何选项内容不一致。",
    ]


def test_full_width_letters_digits_and_stray_whitespace() -> None:
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "分值", "难度"],
        [
            " 单选题 ",
            "  中国 共产党 成立于（　）年。 ",
            "１９１９",
            " １９２１ ",
            "1927\u00a0",
            "1949",
            " Ｂ ",
            "１０",
            "２",
        ],
        ["多选题", "党的纪律\u200b包括（ ）：①政治纪律②组织纪律", *DISCIPLINE, "Ａ，Ｂ", None, None],
    ]
    assert fields(read(xlsx_bytes(rows), "b.xlsx")) == [
        {
            "row": 2,
            "type": "single",
            "stem": "中国共产党成立于（ ）年。",
            "options": ["1919", "1921", "1927", "1949"],
            "answer": "B",
            "points": 10,
            "difficulty": 2,
        },
        {
            "row": 3,
            "type": "multiple",
            "stem": "党的纪律包括（ ）：①政治纪律②组织纪律",
            "options": DISCIPLINE,
            "answer": ["A", "B"],
        },
    ]


def test_fill_answers_alternatives_and_blanks() -> None:
    rows = [
        ["题型", "题干", "答案"],
        ["填空题", "党的思想路线的核心是____。", "实事求是；求真务实"],
        ["填空题", "党的思想路线的精髓是（ ）。", "实事求是;求真务实"],
        ["填空题", "党的宗旨是____，思想路线的核心是____。", "全心全意为人民服务；实事求是"],
        ["填空题", "党的根本宗旨是【 】，思想路线的精髓是【 】。", "全心全意为人民服务|实事求是;求真务实"],
        ["填空题", "宗旨：____；核心：____。", "全心全意为人民服务\n实事求是"],
        ["填空题", "三个空____、____、____。", "甲；乙"],
        ["填空题", "党的根本宗旨是全心全意为人民服务。", "为人民服务"],
    ]
    report = read(xlsx_bytes(rows), "b.xlsx")
    assert [(q.origin.row if q.origin else None, q.answer) for q in report.accepted] == [
        (2, [["实事求是", "求真务实"]]),
        (3, [["实事求是", "求真务实"]]),
        (4, [["全心全意为人民服务"], ["实事求是"]]),
        (5, [["全心全意为人民服务"], ["实事求是", "求真务实"]]),
        (6, [["全心全意为人民服务"], ["实事求是"]]),
        (8, [["为人民服务"]]),
    ]
    assert problems(report) == [(7, "答案", "fill_blank_mismatch")]
    assert report.rejected[0].message == "题干中有 3 个空，但答案给出了 1 组。"


# -- what Excel does to cells ------------------------------------------------------------------


def test_numbers_stored_as_floats_and_dates_are_read_as_the_text_meant() -> None:
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "分值", "时限", "难度", "标签"],
        ["单选题", "中国共产党成立于（ ）年。", 1919.0, 1921.0, 1927.0, 1949.0, "B", 10.0, 20.0, 2.0, 2021.0],
        ["填空题", "遵义会议召开于____年。", None, None, None, None, 1935.0, 5, 30, None, None],
        [
            "填空题",
            "中国共产党第一次全国代表大会开幕于____。",
            None,
            None,
            None,
            None,
            dt.datetime(1921, 7, 23),
            None,
            None,
            None,
            None,
        ],
        [
            "填空题",
            "开国大典于____开始。",
            None,
            None,
            None,
            None,
            dt.datetime(1949, 10, 1, 15, 0),
            None,
            None,
            None,
            None,
        ],
        ["填空题", "党的生日是____。", None, None, None, None, dt.date(1921, 7, 1), None, None, None, None],
        ["单选题", "选项是小数（ ）", 0.5, 1.25, None, None, 1.25, None, None, None, None],
        ["判断题", "Excel 把 TRUE 存成布尔值。", None, None, None, None, True, None, None, None, None],
        ["单选题", "分值不是整数", "甲", "乙", None, None, "A", 2.5, None, None, None],
    ]
    report = read(xlsx_bytes(rows), "b.xlsx")
    assert fields(report) == [
        {
            "row": 2,
            "type": "single",
            "stem": "中国共产党成立于（ ）年。",
            "options": ["1919", "1921", "1927", "1949"],
            "answer": "B",
            "points": 10,
            "time_limit": 20,
            "difficulty": 2,
            "tags": ["2021"],
        },
        {
            "row": 3,
            "type": "fill",
            "stem": "遵义会议召开于____年。",
            "answer": [["1935"]],
            "points": 5,
            "time_limit": 30,
        },
        {
            "row": 4,
            "type": "fill",
            "stem": "中国共产党第一次全国代表大会开幕于____。",
            "answer": [["1921年7月23日"]],
        },
        {"row": 5, "type": "fill", "stem": "开国大典于____开始。", "answer": [["1949-10-01 15:00"]]},
        {"row": 6, "type": "fill", "stem": "党的生日是____。", "answer": [["1921年7月1日"]]},
        {"row": 7, "type": "single", "stem": "选项是小数（ ）", "options": ["0.5", "1.25"], "answer": "B"},
        {"row": 8, "type": "judge", "stem": "Excel 把 TRUE 存成布尔值。", "answer": True},
    ]
    assert problems(report) == [(9, "分值", "bad_number")]
    assert report.rejected[0].message == "“分值”应为整数，实际为“2.5”。"


def test_merged_cells_apply_their_value_to_every_cell_of_the_range() -> None:
    rows = [
        ["题型", "题干", "选项A", "选项B", "选项C", "答案", "解析"],
        ["单选题", "第一题（ ）", "甲", "乙", "丙", "A", "三题共用的解析。"],
        [None, "第二题（ ）", "甲", "乙", "丙", "B", None],
        [None, "第三题（ ）", "甲", "乙", "丙", "C", None],
        ["判断题", "第四题。", None, None, None, "对", None],
        [None, "第五题。", None, None, None, "错", None],
    ]
    report = read(xlsx_bytes(rows, merges=["A2:A4", "G2:G4", "A5:A6"]), "b.xlsx")
    assert problems(report) == []
    assert [
        (q.origin.row if q.origin else None, q.type, q.answer, q.explanation) for q in report.accepted
    ] == [
        (2, "single", "A", "三题共用的解析。"),
        (3, "single", "B", "三题共用的解析。"),
        (4, "single", "C", "三题共用的解析。"),
        (5, "judge", True, ""),
        (6, "judge", False, ""),
    ]


def test_a_merged_stem_over_two_rows_makes_the_second_row_a_duplicate() -> None:
    rows = [
        ["题型", "题干", "选项A", "选项B", "答案"],
        ["单选题", "合并的题干（ ）", "甲", "乙", "A"],
        ["单选题", None, "甲", "乙", "B"],
    ]
    report = read(xlsx_bytes(rows, merges=["B2:B3"]), "b.xlsx")
    assert problems(report) == [(3, None, "duplicate_in_file")]
    assert report.rejected[0].message == "与本文件第 2 行的题目重复（题干和选项相同）。"
