"""Duplicates are reported, never stored twice (docs/FORMATS.md §1 "Duplicates").

Within a file the later copy is ``duplicate_in_file`` naming the row of the first; against
the target bank's fingerprints a question is ``duplicate_in_bank``.
"""

from __future__ import annotations

from question_bank.normalize import fingerprint
from tests.question_bank.conftest import csv_text, problems, read, xlsx_bytes

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案"]
FOUR = ["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"]
HIGHEST = "中国共产党的最高理想和最终目标是（ ）。"


def _rows() -> list[list[object]]:
    return [
        ["党章知识题库"],
        HEADER,
        ["单选题", HIGHEST, *FOUR, "B"],  # 3
        ["判断题", "预备党员的预备期为一年。", None, None, None, None, "对"],  # 4
        # The same question as row 3: half-width brackets, PDF spacing, options reordered,
        # a different answer letter for the same option.
        ["单选题", "中国共产党的最高理想和最终目标是 ( ) ", FOUR[1], FOUR[0], FOUR[3], FOUR[2], "A"],  # 5
        ["单选题", "中国共产党的最高理想和最终目标是（ ）。", *FOUR[:3], None, "B"],  # 6: other options
        ["判断题", "预备党员的预备期为一年", None, None, None, None, "错"],  # 7: same as 4
        ["单选题", "中国 共产党的 最高理想和最终目标是（　）", *FOUR, "Ｂ"],  # 8: same as 3
    ]


def test_duplicates_within_a_file_name_the_first_row() -> None:
    report = read(xlsx_bytes(_rows()), "b.xlsx")
    assert problems(report) == [
        (5, None, "duplicate_in_file"),
        (7, None, "duplicate_in_file"),
        (8, None, "duplicate_in_file"),
    ]
    assert [p.message for p in report.rejected] == [
        "与本文件第 3 行的题目重复（题干和选项相同）。",
        "与本文件第 4 行的题目重复（题干和选项相同）。",
        "与本文件第 3 行的题目重复（题干和选项相同）。",
    ]
    assert [q.origin.row for q in report.accepted if q.origin] == [3, 4, 6]


def test_a_rejected_row_does_not_count_as_the_first_copy() -> None:
    rows = [HEADER, ["单选题", HIGHEST, *FOUR, "E"], ["单选题", HIGHEST, *FOUR, "B"]]
    report = read(csv_text(rows).encode(), "b.csv")
    assert problems(report) == [(2, "答案", "answer_out_of_range")]
    assert [q.origin.row for q in report.accepted if q.origin] == [3]


def test_duplicates_against_the_bank() -> None:
    existing = iter([fingerprint(HIGHEST, FOUR), fingerprint("一道别的题", [])])
    report = read(xlsx_bytes(_rows()), "b.xlsx", existing=existing, bank_name="党章知识")
    # Row 3 is in the bank, and so are its copies on rows 5 and 8: none is stored.
    assert problems(report) == [
        (3, None, "duplicate_in_bank"),
        (5, None, "duplicate_in_bank"),
        (7, None, "duplicate_in_file"),
        (8, None, "duplicate_in_bank"),
    ]
    assert report.rejected[0].message == "题库“党章知识”中已有相同的题目（题干和选项相同）。"
    assert [q.origin.row for q in report.accepted if q.origin] == [4, 6]


def test_reading_an_export_into_its_own_bank_stores_nothing() -> None:
    first = read(xlsx_bytes(_rows()), "b.xlsx")
    again = read(xlsx_bytes(_rows()), "b.xlsx", existing={q.fingerprint for q in first.accepted})
    assert again.accepted == []
    assert problems(again) == [(row, None, "duplicate_in_bank") for row in range(3, 9)]


def test_duplicates_in_yaml_name_the_line() -> None:
    text = """\
- type: judge
  stem: 预备党员的预备期为一年。
  answer: true
- type: single
  stem: 甲（ ）
  options: [一, 二]
  answer: A
- {type: judge, stem: 预备党员的预备期为一年, answer: false}
"""
    report = read(text.encode(), "b.yaml")
    assert problems(report) == [(8, None, "duplicate_in_file")]
    assert report.rejected[0].message == "与本文件第 1 行的题目重复（题干和选项相同）。"
