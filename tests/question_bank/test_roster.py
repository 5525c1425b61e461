"""The member roster reader (docs/FORMATS.md §6): 姓名 / 工号 / 支部 / optional 手机."""

from __future__ import annotations

from typing import Any

import pytest

from question_bank import BankFileError
from question_bank.roster import RosterEntry, read_roster
from tests.question_bank.conftest import assert_zh, csv_text, problems, xlsx_bytes


def roster(data: bytes, filename: str) -> Any:
    report = read_roster(data, filename)
    for problem in report.rejected:
        assert_zh(problem.message)
    return report


def roster_error(data: bytes, filename: str) -> BankFileError:
    with pytest.raises(BankFileError) as caught:
        read_roster(data, filename)
    assert_zh(caught.value.message)
    return caught.value


GOOD = [
    ["姓名", "工号", "支部", "手机"],
    ["张伟", "D0001", "第一党支部", "13800010001"],
    ["王芳", "D0002", "第一党支部", ""],
    ["李娜", "D0003", "第二党支部", "13800010003"],
]
GOOD_ENTRIES = [
    RosterEntry("张伟", "D0001", "第一党支部", "13800010001", 2),
    RosterEntry("王芳", "D0002", "第一党支部", "", 3),
    RosterEntry("李娜", "D0003", "第二党支部", "13800010003", 4),
]


@pytest.mark.parametrize(
    ("filename", "encode"),
    [
        ("党员.xlsx", lambda rows: xlsx_bytes(rows)),
        ("党员.csv", lambda rows: csv_text(rows).encode("utf-8")),
        ("党员.csv", lambda rows: csv_text(rows).encode("utf-8-sig")),
        ("党员.csv", lambda rows: csv_text(rows).encode("gbk")),
        ("党员.csv", lambda rows: csv_text(rows, "\t").encode("gbk")),
    ],
)
def test_good_roster(filename: str, encode: Any) -> None:
    report = roster(encode(GOOD), filename)
    assert (report.format, report.rows_read, problems(report)) == (filename.rsplit(".", 1)[1], 3, [])
    assert report.accepted == GOOD_ENTRIES


def test_gbk_csv_is_detected_not_misread() -> None:
    data = csv_text(GOOD).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert roster(data, "党员.csv").accepted == GOOD_ENTRIES


@pytest.mark.parametrize(
    "header",
    [
        ["名字", "员工号", "党支部", "手机号"],
        ["党员姓名", "人员编号", "所在支部", "联系电话"],
        ["姓名（必填）", "党员编号\n(勿改)", "所在党支部", "手机号码"],
        ["Name", "member_no", "Branch", "Mobile"],
        ["编号", "姓名", "支部名称", "电话"],
    ],
)
def test_header_aliases_below_a_title(header: list[str]) -> None:
    rows: list[list[Any]] = [["2024 年党员花名册"], [], header]
    for name, number, branch, phone in GOOD[1:]:
        values = {"name": name, "member_no": number, "branch": branch, "phone": phone}
        order = (
            ["member_no", "name", "branch", "phone"]
            if header[0] == "编号"
            else ["name", "member_no", "branch", "phone"]
        )
        rows.append([values[key] for key in order])
    report = roster(xlsx_bytes(rows), "党员.xlsx")
    assert problems(report) == []
    assert report.accepted == [
        RosterEntry(e.name, e.member_no, e.branch, e.phone, e.row + 2) for e in GOOD_ENTRIES
    ]


def test_phone_is_optional_as_a_column() -> None:
    report = roster(csv_text([["姓名", "工号", "支部"], ["张伟", "D0001", "第一党支部"]]).encode(), "r.csv")
    assert report.accepted == [RosterEntry("张伟", "D0001", "第一党支部", "", 2)]


def test_every_bad_row_is_reported_with_row_column_and_code() -> None:
    rows: list[list[Any]] = [
        ["第一党支部党员名单"],
        ["姓名", "工号", "支部", "手机"],
        ["张伟", "D0001", "第一党支部", "138 0001 0001"],  # 3: spaces are removed
        ["王芳", "d0001", "第一党支部", ""],  # 4: 工号 compared without case
        ["", "D0003", "第一党支部", ""],  # 5
        ["李娜", "D 0004", "第一党支部", ""],  # 6
        ["刘洋", "Ｄ０００５", "第一党支部", "12345"],  # 7: full-width 工号 folds; phone too short
        ["陈静", "D0006", "", "13800010006"],  # 8
        ["杨帆", "D0007", "第二党支部", 13800010007],  # 9: a number cell
        ["赵磊", "D0008", "第二党支部", "+86 138-0001-0008"],  # 10
        ["孙" * 41, "D0009", "第二党支部", ""],  # 11
        ["周杰", "D0010", "第二党支部", "8613800010010"],  # 12
        ["吴敏", "D0011", "第二党支部", "010-12345678"],  # 13: a landline
        ["郑浩", 10012, "第二党支部", ""],  # 14: a number cell
        ["冯雪", "D0013", "支" * 61, ""],  # 15
        ["钱进", "D" * 33, "第二党支部", ""],  # 16
        ["何平", "D0001", "第三党支部", ""],  # 17: same 工号 as row 3
        ["马超", "D0018", "第三党支部", "23800010018"],  # 18: must start with 1
        ["", "", "", ""],  # 19: empty, skipped
        ["林", "D0020", "第三党支部", "１３８０００１００２０"],  # 20: full-width digits
    ]
    report = roster(xlsx_bytes(rows, merges=["A1:D1"]), "党员.xlsx")
    assert problems(report) == [
        (4, "工号", "duplicate_member_no"),
        (5, "姓名", "missing_field"),
        (6, "工号", "bad_member_no"),
        (7, "手机", "bad_phone"),
        (8, "支部", "missing_field"),
        (11, "姓名", "name_too_long"),
        (13, "手机", "bad_phone"),
        (15, "支部", "name_too_long"),
        (16, "工号", "bad_member_no"),
        (17, "工号", "duplicate_member_no"),
        (18, "手机", "bad_phone"),
    ]
    assert [p.message for p in report.rejected] == [
        "工号“d0001”与第 3 行重复。",
        "“姓名”不能为空。",
        "工号“D 0004”格式不正确（只能包含字母、数字和 - _ ，最多 32 个字符）。",
        "手机号“12345”格式不正确，应为 11 位数字。",
        "“支部”不能为空。",
        "“姓名”超过 40 个字符。",
        "手机号“010-12345678”格式不正确，应为 11 位数字。",
        "“支部”超过 60 个字符。",
        f"工号“{'D' * 33}”格式不正确（只能包含字母、数字和 - _ ，最多 32 个字符）。",
        "工号“D0001”与第 3 行重复。",
        "手机号“23800010018”格式不正确，应为 11 位数字。",
    ]
    assert report.accepted == [
        RosterEntry("张伟", "D0001", "第一党支部", "13800010001", 3),
        RosterEntry("杨帆", "D0007", "第二党支部", "13800010007", 9),
        RosterEntry("赵磊", "D0008", "第二党支部", "13800010008", 10),
        RosterEntry("周杰", "D0010", "第二党支部", "13800010010", 12),
        RosterEntry("郑浩", "10012", "第二党支部", "", 14),
        RosterEntry("林", "D0020", "第三党支部", "13800010020", 20),
    ]
    assert report.rows_read == 17


def test_problems_name_the_columns_as_the_file_does() -> None:
    rows = [
        ["党员姓名", "员工号", "所在支部", "联系电话"],
        ["", "X1", "一支部", ""],
        ["甲", "X2", "一支部", "1"],
    ]
    report = roster(csv_text(rows).encode("gbk"), "r.csv")
    assert problems(report) == [(2, "党员姓名", "missing_field"), (3, "联系电话", "bad_phone")]


@pytest.mark.parametrize(
    ("data", "filename", "code", "text"),
    [
        (b"", "r.csv", "empty_file", "文件是空的，没有可读取的内容。"),
        (
            csv_text([["姓名", "支部"], ["张伟", "第一党支部"]]).encode(),
            "r.csv",
            "missing_column",
            "缺少必需的列“工号”。",
        ),
        (
            csv_text([["工号", "支部", "手机"], ["D1", "一支部", ""]]).encode(),
            "r.csv",
            "missing_column",
            "缺少必需的列“姓名”。",
        ),
        (
            xlsx_bytes([["花名册"], ["张伟", "D0001"]]),
            "r.xlsx",
            "no_header",
            "前 20 行中没有找到表头：至少需要“姓名”、“工号”和“支部”三列。",
        ),
        (
            csv_text([["姓名", "工号", "支部"], ["", "", ""]]).encode(),
            "r.csv",
            "no_rows",
            "文件中没有数据行。",
        ),
        (b"name,no\n", "r.txt", "unknown_format", "无法识别文件格式“r.txt”，支持 .xlsx、.csv。"),
        (b"- name: x\n", "r.yaml", "unknown_format", "无法识别文件格式“r.yaml”，支持 .xlsx、.csv。"),
        (
            b"not a workbook",
            "r.xlsx",
            "not_xlsx",
            "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
        ),
        (
            b"\xef\xbb\xbf\xff\xfe",
            "r.csv",
            "bad_encoding",
            "文件编码无法识别，请以 UTF-8 或 GBK 编码保存后重试。",
        ),
    ],
)
def test_roster_file_errors(data: bytes, filename: str, code: str, text: str) -> None:
    error = roster_error(data, filename)
    assert (error.code, error.message) == (code, text)


def test_member_types_as_rosters_write_them() -> None:
    rows = [
        ["姓名", "工号", "支部", "政治面貌"],
        ["甲", "D1", "一支部", "中共党员"],
        ["乙", "D2", "一支部", "中共预备党员"],
        ["丙", "D3", "一支部", "积极分子"],
        ["丁", "D4", "一支部", "群众"],
        ["戊", "D5", "一支部", ""],
        ["己", "D6", "一支部", "民主党派"],
    ]
    report = roster(xlsx_bytes(rows), "r.xlsx")
    types = [entry.member_type for entry in report.accepted]
    assert types == ["正式党员", "预备党员", "入党积极分子", "群众", None]
    assert problems(report) == [(7, "政治面貌", "bad_member_type")]
