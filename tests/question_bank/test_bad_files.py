"""A corpus of bad files: each is refused whole with one stable code, or loads with the
exact list of rejected (row, column, code); every message is zh-CN and never a traceback.

Files are built here byte for byte, except the two OLE files under tests/data/ (see the
README there).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from question_bank import BankFileError, Report, tabular
from question_bank.readers import read_bank
from question_bank.roster import read_roster
from tests.question_bank.conftest import (
    assert_zh,
    csv_text,
    fields,
    file_error,
    problems,
    read,
    rezip,
    xlsx_bytes,
)

DATA = Path(__file__).resolve().parents[1] / "data"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "分值", "时限", "难度"]
FOUR = ["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"]
GOOD = ["单选题", "中国共产党的最高理想和最终目标是（ ）。", *FOUR, "B", "", None, None, None]


def good_xlsx() -> bytes:
    return xlsx_bytes([HEADER, GOOD, ["判断题", "预备党员的预备期为一年。", None, None, None, None, "对"]])


# -- row-level problems: the row is rejected, the rest of the file loads -----------------------

# One bad row each, with the good question after it; the row number is the spreadsheet's.
BAD_ROWS: list[tuple[str, list[Any], tuple[str, str], str]] = [
    (
        "unknown type",
        ["问答题", "简述党的性质。", None, None, None, None, "略"],
        ("题型", "unknown_type"),
        "无法识别的题型“问答题”，可用：单选题、多选题、判断题、填空题、排序题。",
    ),
    (
        "answer letter outside the options",
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "全心全意为人民服务", None, None, "C"],
        ("答案", "answer_out_of_range"),
        "答案“C”超出选项范围（本题只有 AB）。",
    ),
    (
        "one of several letters outside",
        ["多选题", "党的纪律包括（ ）。", "政治纪律", "组织纪律", "廉洁纪律", None, "A、B、E"],
        ("答案", "answer_out_of_range"),
        "答案“A、B、E”超出选项范围（本题只有 ABC）。",
    ),
    (
        "answer matching no option",
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "全心全意为人民服务", None, None, "服务人民"],
        ("答案", "answer_not_in_options"),
        "答案“服务人民”既不是选项字母，也与任何选项内容不一致。",
    ),
    ("empty stem", ["单选题", "  ", *FOUR, "B"], ("题干", "missing_field"), "“题干”不能为空。"),
    (
        "empty answer",
        ["单选题", "党的根本宗旨是（ ）。", *FOUR, None, "有解析但没答案"],
        ("答案", "missing_field"),
        "“答案”不能为空。",
    ),
    (
        "judge with three options",
        ["判断题", "预备期为一年。", "正确", "错误", "不确定", None, "A"],
        ("选项", "judge_options"),
        "判断题只能有“正确/错误”两个选项，本题有 3 个选项。",
    ),
    (
        "judge with an unknown answer",
        ["判断题", "预备期为一年。", None, None, None, None, "不一定"],
        ("答案", "bad_judge_answer"),
        "判断题答案“不一定”无法识别，请填写 对/错、正确/错误、√/×、T/F。",
    ),
    (
        "single with two answers",
        ["单选题", "党的根本宗旨是（ ）。", *FOUR, "AB"],
        ("答案", "single_needs_one"),
        "单选题只能有一个答案，本题给出了“AB”。",
    ),
    (
        "multiple with one answer",
        ["多选题", "党的纪律包括（ ）。", *FOUR, "A"],
        ("答案", "multiple_needs_two"),
        "多选题至少需要两个正确答案，本题只有“A”。",
    ),
    (
        "gap in the options",
        ["单选题", "党的根本宗旨是（ ）。", "甲", None, "丙", None, "A"],
        ("选项B", "option_gap"),
        "选项不连续：选项B为空，但后面还有选项。",
    ),
    (
        "one option only",
        ["单选题", "党的根本宗旨是（ ）。", "甲", None, None, None, "A"],
        ("选项", "too_few_options"),
        "单选题至少需要 2 个选项。",
    ),
    (
        "same option twice",
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "为人民服务 ", None, None, "A"],
        ("选项B", "duplicate_option"),
        "选项B与选项A内容相同。",
    ),
    (
        "order missing a letter",
        ["排序题", "排序（ ）。", "甲", "乙", "丙", None, "CA"],
        ("答案", "bad_order_answer"),
        "排序题答案“CA”必须按正确顺序列出全部选项字母（ABC）各一次。",
    ),
    (
        "fill with options",
        ["填空题", "党的根本宗旨是____。", "为人民服务", None, None, None, "为人民服务"],
        ("选项", "fill_has_options"),
        "填空题不应填写选项。",
    ),
    (
        "fill with the wrong number of answers",
        ["填空题", "____和____。", None, None, None, None, "甲|乙|丙"],
        ("答案", "fill_blank_mismatch"),
        "题干中有 2 个空，但答案给出了 3 组。",
    ),
    (
        "stem over 500 characters",
        ["判断题", "长" * 501, None, None, None, None, "对"],
        ("题干", "stem_too_long"),
        "题干超过 500 个字符。",
    ),
    (
        "option over 200 characters",
        ["单选题", "长选项（ ）", "甲", "乙" * 201, None, None, "A"],
        ("选项B", "option_too_long"),
        "选项B超过 200 个字符。",
    ),
    # Numeric cells: a number where a letter was meant, numbers out of range or not whole.
    (
        "number as the answer",
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "全心全意为人民服务", None, None, 2],
        ("答案", "answer_not_in_options"),
        "答案“2”既不是选项字母，也与任何选项内容不一致。",
    ),
    (
        "points zero",
        [*GOOD[:8], 0, None, None],
        ("分值", "number_out_of_range"),
        "“分值”应在 1 到 1000 之间，实际为 0。",
    ),
    (
        "points as words",
        [*GOOD[:8], "十分", None, None],
        ("分值", "bad_number"),
        "“分值”应为整数，实际为“十分”。",
    ),
    (
        "time limit a fraction",
        [*GOOD[:8], None, 12.5, None],
        ("时限", "bad_number"),
        "“时限”应为整数，实际为“12.5”。",
    ),
    (
        "time limit too short",
        [*GOOD[:8], None, 3, None],
        ("时限", "number_out_of_range"),
        "“时限”应在 5 到 600 之间，实际为 3。",
    ),
    (
        "difficulty 6",
        [*GOOD[:8], None, None, 6],
        ("难度", "bad_difficulty"),
        "无法识别的难度“6”，请填写 1-5 或 简单/较易/中等/较难/困难。",
    ),
]


@pytest.mark.parametrize(("case", "row", "where", "text"), BAD_ROWS, ids=[case[0] for case in BAD_ROWS])
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_bad_row_is_rejected_with_row_column_and_code(
    kind: str, case: str, row: list[Any], where: tuple[str, str], text: str
) -> None:
    rows = [["题库（第一版）"], HEADER, row, GOOD]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_text(rows).encode("utf-8")
    report = read(data, f"bad.{kind}")
    assert problems(report) == [(3, *where)]
    assert report.rejected[0].message == text
    assert [q.origin.row for q in report.accepted if q.origin] == [4]


def test_every_bad_row_in_one_file_is_reported_in_order_and_good_rows_load() -> None:
    rows = [HEADER] + [case[1] for case in BAD_ROWS] + [GOOD]
    report = read(xlsx_bytes(rows), "bad.xlsx")
    assert problems(report) == [(row, *case[2]) for row, case in enumerate(BAD_ROWS, start=2)]
    assert report.rejected_rows() == list(range(2, 2 + len(BAD_ROWS)))
    assert report.rows_read == len(BAD_ROWS) + 1
    assert [q.origin.row for q in report.accepted if q.origin] == [2 + len(BAD_ROWS)]
    assert report.as_dict()["accepted"] == 1


def test_formula_cells_are_rejected_with_the_formula_shown() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["单选题", '=CONCATENATE("党的根本宗旨","是（ ）。")', *FOUR, "B"])
    sheet.append(["单选题", "党的性质是（ ）。", *FOUR, "=CHAR(66)"])
    sheet.append(["单选题", "分值是公式（ ）。", *FOUR, "B", None, "=5*2"])
    sheet.append(["单选题", "数组公式（ ）。", *FOUR, None])
    sheet["G5"] = ArrayFormula("G5", '=UPPER("b")')
    sheet.append(GOOD)
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = read(buffer.getvalue(), "f.xlsx")
    assert problems(report) == [
        (2, "题干", "formula_cell"),
        (3, "答案", "formula_cell"),
        (4, "分值", "formula_cell"),
        (5, "答案", "formula_cell"),
    ]
    assert report.rejected[0].message == (
        '单元格是公式（=CONCATENATE("党的根本宗旨","是（ ）。")），'
        "请改为直接填写内容（复制后“选择性粘贴 → 数值”）。"
    )
    assert report.rejected[3].message.startswith('单元格是公式（=UPPER("b")）')
    assert [q.origin.row for q in report.accepted if q.origin] == [6]


def test_text_that_only_looks_like_a_formula_is_text() -> None:
    # Typed as '=... in Excel: a text cell (quotePrefix style), not a formula.
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["填空题", "=号开头的题干____", None, None, None, None, "'=SUM(A1)"])
    sheet["B2"].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert fields(read(buffer.getvalue(), "b.xlsx")) == [
        {"row": 2, "type": "fill", "stem": "=号开头的题干____", "answer": [["=SUM(A1)"]]}
    ]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_bom_csv_with_bad_rows(encoding: str) -> None:
    rows = [
        ["党建知识竞赛题库", "", "", "", ""],
        ["题目类型", "题目", "A", "B", "正确答案"],
        ["单选题", "党的根本宗旨是（ ）。", "为人民服务", "全心全意为人民服务", "B"],
        ["单选题", "", "甲", "乙", "A"],
        ["论述题", "论述党的建设。", "", "", "略"],
        ["判断题", "预备党员的预备期为一年。", "", "", "√"],
        ["单选题", "党的根本宗旨是( )。", "全心全意为人民服务", "为人民服务", "A"],
    ]
    data = csv_text(rows).encode(encoding)
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    report = read(data, "题库.csv")
    assert problems(report) == [
        (4, "题目", "missing_field"),
        (5, "题目类型", "unknown_type"),
        (7, None, "duplicate_in_file"),
    ]
    assert [(q.origin.row if q.origin else None, q.type, q.answer) for q in report.accepted] == [
        (3, "single", "B"),
        (6, "judge", True),
    ]


# -- whole-file problems: nothing is imported ---------------------------------------------------


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _hidden_only() -> bytes:
    def hide(name: str, content: bytes) -> bytes:
        return (
            content.replace(b'state="visible"', b'state="hidden"') if name == "xl/workbook.xml" else content
        )

    return rezip(good_xlsx(), hide)


FILE_ERRORS: list[tuple[str, bytes, str, str, str]] = [
    ("empty file", b"", "题库.xlsx", "empty_file", "文件是空的，没有可读取的内容。"),
    ("whitespace only csv", b" \r\n\t\r\n", "题库.csv", "empty_file", "文件是空的，没有可读取的内容。"),
    ("empty yaml", b"\n\n", "题库.yaml", "empty_file", "文件是空的，没有可读取的内容。"),
    (
        "unknown extension",
        b"data",
        "题库.docx",
        "unknown_format",
        "无法识别文件格式“题库.docx”，支持 .xlsx、.csv、.yaml/.yml、.json、.gift、.txt（GIFT 或 Aiken）。",
    ),
    (
        "no extension",
        b"data",
        "题库",
        "unknown_format",
        "无法识别文件格式“题库”，支持 .xlsx、.csv、.yaml/.yml、.json、.gift、.txt（GIFT 或 Aiken）。",
    ),
    (
        "text named xlsx",
        "题型,题干,答案\n".encode(),
        "题库.xlsx",
        "not_xlsx",
        "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "pdf named xlsx",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "题库.xlsx",
        "not_xlsx",
        "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "html named xlsx",
        b"<html><body><table><tr><td>x</td></tr></table></body></html>",
        "题库.xlsx",
        "not_xlsx",
        "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "docx named xlsx",
        _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
        "题库.xlsx",
        "not_xlsx",
        "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "zip named xlsx",
        _zip({"题库.csv": "题干,答案\n甲,对\n"}),
        "题库.xlsx",
        "not_xlsx",
        "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "truncated xlsx",
        good_xlsx()[:3000],
        "题库.xlsx",
        "corrupt_file",
        "文件已损坏或不完整（File is not a zip file），请重新导出或重新下载后重试。",
    ),
    (
        "only the zip signature",
        b"PK\x03\x04broken",
        "题库.xlsx",
        "corrupt_file",
        "文件已损坏或不完整（File is not a zip file），请重新导出或重新下载后重试。",
    ),
    ("workbook without a visible sheet", _hidden_only(), "题库.xlsx", "no_sheet", "工作簿中没有工作表。"),
    (
        "password-protected workbook",
        (DATA / "encrypted.xlsx").read_bytes(),
        "题库.xlsx",
        "encrypted_workbook",
        "工作簿设置了打开密码，请取消密码保护后重试。",
    ),
    (
        "Excel 97-2003 file",
        (DATA / "legacy.xls").read_bytes(),
        "题库.xls",
        "xls_not_supported",
        "这是旧版 Excel 97-2003（.xls）文件，请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "Excel 97-2003 file named xlsx",
        (DATA / "legacy.xls").read_bytes(),
        "题库.xlsx",
        "xls_not_supported",
        "这是旧版 Excel 97-2003（.xls）文件，请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    ),
    (
        "neither UTF-8 nor GBK",
        "题干,答案\n".encode() + b"\xff\xfe\xfd,\x80\n",
        "题库.csv",
        "bad_encoding",
        "文件编码无法识别，请以 UTF-8 或 GBK 编码保存后重试。",
    ),
    (
        "UTF-8 BOM then GBK bytes",
        b"\xef\xbb\xbf" + "题干,答案\n".encode("gbk"),
        "题库.csv",
        "bad_encoding",
        "文件编码无法识别，请以 UTF-8 或 GBK 编码保存后重试。",
    ),
    (
        "UTF-16 BOM then a broken surrogate",
        b"\xff\xfe\x00\xd8a\x00",
        "题库.csv",
        "bad_encoding",
        "文件编码无法识别，请以 UTF-8 或 GBK 编码保存后重试。",
    ),
    (
        "no header in the first 20 rows",
        xlsx_bytes([["甲", "乙"], ["丙", "丁"]]),
        "题库.xlsx",
        "no_header",
        "前 20 行中没有找到表头：至少需要“题干”和“答案”两列。",
    ),
    (
        "header without 答案",
        xlsx_bytes([["题型", "题干", "选项A", "解析"], ["单选题", "甲", "乙", ""]]),
        "题库.xlsx",
        "missing_column",
        "缺少必需的列“答案”。",
    ),
    (
        "header without 题干",
        csv_text([["题型", "选项A", "选项B", "答案"], ["单选题", "甲", "乙", "A"]]).encode(),
        "题库.csv",
        "missing_column",
        "缺少必需的列“题干”。",
    ),
    ("header only", xlsx_bytes([HEADER]), "题库.xlsx", "no_questions", "文件中没有题目。"),
    (
        "header and empty rows",
        csv_text([HEADER, [""] * 11, []]).encode(),
        "题库.csv",
        "no_questions",
        "文件中没有题目。",
    ),
    (
        "yaml syntax error",
        "questions:\n  - stem: [未闭合\n    answer: 对\n".encode(),
        "题库.yaml",
        "bad_syntax",
        "文件格式错误（第 3 行）：expected ',' or ']', but got ':'",
    ),
    (
        "yaml with a date that does not exist",
        "questions:\n  - {stem: 建党日期, answer: 1921-07-32}\n".encode(),
        "题库.yaml",
        "bad_syntax",
        "文件格式错误（第 ? 行）：日期不存在（day is out of range for month）",
    ),
    (
        "yaml that is a mapping of questions",
        "questions:\n  q1: {stem: 甲}\n".encode(),
        "题库.yml",
        "bad_structure",
        "文件结构不正确：应为题目列表，或包含 questions 列表的对象",
    ),
    ("yaml with only a comment", "# 题库\n".encode(), "题库.yaml", "no_questions", "文件中没有题目。"),
    ("yaml with an empty list", b"questions: []\n", "题库.yaml", "no_questions", "文件中没有题目。"),
    (
        "json syntax error",
        '[\n  {"stem": "甲",}\n]'.encode(),
        "题库.json",
        "bad_syntax",
        "文件格式错误（第 2 行）：Expecting property name enclosed in double quotes",
    ),
    (
        "json scalar",
        b"42",
        "题库.json",
        "bad_structure",
        "文件结构不正确：应为题目列表，或包含 questions 列表的对象",
    ),
    (
        "gift with comments only",
        "// 只有注释\n// 第二行\n".encode(),
        "题库.gift",
        "no_questions",
        "文件中没有题目。",
    ),
    (
        "csv field over the csv module's limit",
        b"stem,answer\n" + b"x" * 200_000 + b",y\n",
        "题库.csv",
        "bad_syntax",
        "文件格式错误（第 2 行）：field larger than field limit (131072)",
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "filename", "code", "text"), FILE_ERRORS, ids=[case[0] for case in FILE_ERRORS]
)
def test_file_is_refused_whole(case: str, data: bytes, filename: str, code: str, text: str) -> None:
    error = file_error(data, filename)
    assert (error.code, error.message) == (code, text)
    assert str(error) == f"{code}: {text}"


def test_the_upload_size_limit() -> None:
    limit = 64 * 1024
    data = csv_text([["题干", "答案"], ["预备党员的预备期为一年。", "对"]]).encode()
    padded = data + b"\n" * (limit - len(data))
    assert len(read(padded, "b.csv", max_bytes=limit).accepted) == 1  # exactly the limit loads
    error = file_error(padded + b"\n", "b.csv", max_bytes=limit)
    assert (error.code, error.message) == ("file_too_large", "文件大小为 64 KB，超过上限 64 KB。")
    error = file_error(b"x" * (10 * 1024 * 1024 + 1), "b.xlsx")  # the default, 10 MB
    assert (error.code, error.message) == ("file_too_large", "文件大小为 10.0 MB，超过上限 10.0 MB。")
    error = file_error(b"x" * (3 * 1024 * 1024 // 2), "b.yaml", max_bytes=1024 * 1024)
    assert error.message == "文件大小为 1.5 MB，超过上限 1.0 MB。"


def _many_rows(count: int) -> bytes:
    rows = [["题型", "题干", "选项A", "选项B", "答案"]]
    rows += [["单选题", f"第{number}题", "甲", "乙", "A"] for number in range(count)]
    return csv_text(rows).encode()


def test_20000_rows_load_and_20001_are_refused() -> None:
    report = read(_many_rows(20_000), "big.csv")
    assert (len(report.accepted), report.rejected, report.accepted[-1].origin.row) == (20_000, [], 20_001)
    error = file_error(_many_rows(20_001), "big.csv")
    assert (error.code, error.message) == ("too_many_rows", "文件超过 20,000 行，请拆分成多个文件导入。")


def test_row_cap_counts_data_rows_in_a_workbook_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    rows = [["说明"], HEADER] + [
        ["判断题", f"第{number}题", None, None, None, None, "对"] for number in range(3)
    ]
    # Empty rows and the rows above the header do not count.
    assert len(read(xlsx_bytes([*rows[:3], [], [], *rows[3:]]), "b.xlsx").accepted) == 3
    error = file_error(xlsx_bytes([*rows, ["判断题", "第四题", None, None, None, None, "错"]]), "b.xlsx")
    assert (error.code, error.message) == ("too_many_rows", "文件超过 3 行，请拆分成多个文件导入。")


def test_sheets_are_chosen_by_their_header_and_hidden_sheets_are_skipped() -> None:
    workbook = Workbook()
    hidden = workbook.active
    hidden.title = "旧题"
    hidden.append(["题干", "答案"])
    hidden.append(["隐藏表里的题", "对"])
    hidden.sheet_state = "hidden"
    notes = workbook.create_sheet("说明")
    notes.append(["本表的题干和答案两列必填"])
    bank = workbook.create_sheet("题库")
    bank.append(["题干", "答案"])
    bank.append(["预备党员的预备期为一年。", "对"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert fields(read(buffer.getvalue(), "b.xlsx")) == [
        {"row": 2, "type": "judge", "stem": "预备党员的预备期为一年。", "answer": True}
    ]


def test_the_first_header_problem_is_reported_when_no_sheet_has_a_header() -> None:
    data = xlsx_bytes([["甲"]], sheets=[("说明", [["题干", "解析"], ["甲", "乙"]])])
    error = file_error(data, "b.xlsx")
    assert (error.code, error.message) == ("missing_column", "缺少必需的列“答案”。")


# -- never a traceback ---------------------------------------------------------------------------


def _member_offsets(data: bytes) -> list[tuple[str, int, int]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    offsets = []
    for info in archive.infolist():
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        offsets.append((info.filename, start, info.compress_size))
    return offsets


def _outcome(data: bytes, filename: str) -> str:
    try:
        result: Report[Any] = read_bank(data, filename)
    except BankFileError as error:
        assert_zh(error.message)
        return error.code
    for problem in result.rejected:
        assert_zh(problem.message)
    return "read"


@pytest.mark.parametrize("reader", ["bank", "roster"])
def test_damaged_workbooks_give_a_code_never_an_exception(reader: str) -> None:
    good = xlsx_bytes(
        [HEADER, GOOD, ["姓名", "工号", "支部"], ["张伟", "D0001", "第一党支部"]], merges=["H2:H3"]
    )
    outcomes: dict[str, set[str]] = {}
    for name, start, size in _member_offsets(good):
        for fraction in (0.1, 0.5, 0.9):
            damaged = bytearray(good)
            damaged[start + int(size * fraction)] ^= 0x5A
            try:
                if reader == "bank":
                    outcome = _outcome(bytes(damaged), "d.xlsx")
                else:
                    read_roster(bytes(damaged), "d.xlsx")
                    outcome = "read"
            except BankFileError as error:
                assert_zh(error.message)
                outcome = error.code
            outcomes.setdefault(name, set()).add(outcome)
    assert outcomes["xl/worksheets/sheet1.xml"] == {"corrupt_file"}
    assert outcomes["xl/workbook.xml"] == {"corrupt_file"}
    assert set().union(*outcomes.values()) <= {"corrupt_file", "read", "no_header"}
    for cut in range(0, len(good), len(good) // 10):
        assert _outcome(good[:cut], "t.xlsx") in {"empty_file", "corrupt_file"}


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("x.yaml", b"\x00\x01\x02"),
        ("x.yaml", b"!!python/object:os.system {}"),
        ("x.yaml", b"- *unknown"),
        ("x.yaml", b"a: b: c"),
        ("x.json", b"\xef\xbb\xbf"),
        ("x.json", b"[1, 2"),
        ("x.gift", b"{{{}}}"),
        ("x.aiken", b"A. B.\nANSWER:"),
        ("x.txt", b"\xff\xfe\x00"),
        ("x.csv", b'"\n"\n"'),
        ("x.csv", b"\x00\x00\x00\x00"),
        ("x.xlsx", b"PK\x05\x06" + b"\x00" * 18),
    ],
)
def test_garbage_gives_a_code_or_a_report_never_an_exception(filename: str, data: bytes) -> None:
    assert _outcome(data, filename) in {
        "read",
        "empty_file",
        "bad_syntax",
        "bad_structure",
        "bad_encoding",
        "no_questions",
        "no_header",
        "corrupt_file",
        "not_xlsx",
    }
