"""The assessment export on each database: every cell of every sheet read back with
openpyxl, number formats and the frozen header, the CSV with its BOM, one branch, and the
column-mapping file."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from app.extensions import database
from app.points.export import ColumnsError, apply_columns, assessment, to_csv, to_xlsx
from app.points.periods import parse_period
from app.points.service import points
from tests.points.factories import branch
from tests.points.q4 import (
    DETAIL_HEADER,
    FLOW,
    LEDGER_HEADER,
    RED,
    SUMMARY,
    SUMMARY_HEADER,
    VANGUARD,
    Ledger,
    as_text,
    cells,
    csv_rows,
    formats,
    ledger_sheet,
    report,
)


def test_every_cell_of_every_sheet(points_app: Any, q4: Ledger) -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report(points_app))))
    assert book.sheetnames == ["支部汇总", "成员明细", "积分流水"]
    assert cells(book["支部汇总"]) == [SUMMARY_HEADER, *SUMMARY]
    assert cells(book["成员明细"]) == [DETAIL_HEADER, *VANGUARD, *RED]
    assert cells(book["积分流水"]) == [LEDGER_HEADER, *ledger_sheet(q4)]
    assert formats(book["支部汇总"]) == {"D2": "0.0%", "D3": "0.0%"}
    assert formats(book["成员明细"]) == {}
    assert formats(book["积分流水"]) == {f"B{row}": "yyyy-mm-dd hh:mm" for row in range(2, 30)}
    for sheet in book:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1]) and not any(cell.font.bold for cell in sheet[2])


def test_one_branch_holds_only_what_was_earned_there(points_app: Any, q4: Ledger) -> None:
    everything = ledger_sheet(q4)
    for branch_id, summary, detail in (
        (q4.vanguard, ("先锋支部", 2, 1, 0.5, 69, 34.5, 1), VANGUARD),
        (q4.red, ("红旗支部", 2, 2, 1, 274, 137, 1), RED),
    ):
        book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report(points_app, branch_id))))
        assert cells(book["支部汇总"]) == [SUMMARY_HEADER, summary]
        assert cells(book["成员明细"]) == [DETAIL_HEADER, *detail]
        assert cells(book["积分流水"]) == [
            LEDGER_HEADER,
            *[row for row in everything if row[2] == summary[0]],
        ]


def test_a_single_day_at_the_end_of_the_year(points_app: Any, q4: Ledger) -> None:
    """23:59 on 31 December counts, 00:00 on 1 January does not; members who left and
    earned nothing that day are not listed; equal averages share a place."""
    with database(points_app).sessions() as session:
        day = assessment(session, points(points_app).rules(), parse_period("2026-12-31..2026-12-31"))
    assert day.sheet("支部汇总").rows == [
        {
            "支部": "先锋支部",
            "党员数": 2,
            "参与人数": 0,
            "参与率": 0.0,
            "总积分": 0,
            "人均积分": 0.0,
            "排名": 1,
        },
        {
            "支部": "红旗支部",
            "党员数": 2,
            "参与人数": 0,
            "参与率": 0.0,
            "总积分": 0,
            "人均积分": 0.0,
            "排名": 1,
        },
    ]
    detail = [
        (r["支部"], r["姓名"], r["周期"], r["合计"], r["支部内排名"]) for r in day.sheet("成员明细").rows
    ]
    assert detail == [
        ("先锋支部", "赵六", "2026-12-31..2026-12-31", 1, None),
        ("先锋支部", "王五", "2026-12-31..2026-12-31", 0, 1),
        ("先锋支部", "孙八", "2026-12-31..2026-12-31", 0, 1),
        ("先锋支部", "吴十", "2026-12-31..2026-12-31", 0, None),
        ("红旗支部", "张三", "2026-12-31..2026-12-31", 0, 1),
        ("红旗支部", "李四", "2026-12-31..2026-12-31", 0, 1),
    ]
    assert [(r["序号"], r["说明"]) for r in day.sheet("积分流水").rows] == [(q4.entry_ids[-1], "年末志愿")]


def test_the_csv_is_utf8_with_a_bom(points_app: Any, q4: Ledger) -> None:
    assessed = report(points_app)
    assert csv_rows(to_csv(assessed)) == [as_text(DETAIL_HEADER), *map(as_text, VANGUARD + RED)]
    assert csv_rows(to_csv(assessed, "支部汇总")) == [
        list(SUMMARY_HEADER),
        ["红旗支部", "2", "2", "100.0%", "274", "137.0", "1"],
        ["先锋支部", "2", "1", "50.0%", "69", "34.5", "2"],
    ]
    flow = csv_rows(to_csv(assessed, "积分流水"))
    assert flow[0] == list(LEDGER_HEADER) and len(flow) == 1 + 28
    assert flow[1:] == [
        [str(number), *line.format(g=q4.game, n=q4.deduction).split("|")]
        for number, line in zip(q4.entry_ids, FLOW.strip().splitlines(), strict=True)
    ]


MAPPING = """\
支部汇总:
  - 支部
  - {列: 参与率, 标题: 参与度}
  - {列: 人均积分, 标题: 人均}
成员明细: [姓名, {列: 合计, 标题: 季度积分}, 星级]
积分流水: [{列: 时间, 标题: 北京时间}, 分值]
"""


def test_the_column_mapping_renames_reorders_and_chooses(points_app: Any, q4: Ledger) -> None:
    assessed = report(points_app)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(apply_columns(assessed, MAPPING))))
    assert book.sheetnames == ["支部汇总", "成员明细", "积分流水"]
    assert cells(book["支部汇总"]) == [
        ("支部", "参与度", "人均"),
        ("红旗支部", 1, 137),
        ("先锋支部", 0.5, 34.5),
    ]
    assert formats(book["支部汇总"]) == {"B2": "0.0%", "B3": "0.0%"}  # the format follows the column
    assert cells(book["成员明细"]) == [
        ("姓名", "季度积分", "星级"),
        *[(r[1], r[13], r[15]) for r in VANGUARD + RED],
    ]
    assert cells(book["积分流水"])[:2] == [("北京时间", "分值"), (dt.datetime(2026, 10, 1), 60)]
    assert formats(book["积分流水"]) == {f"A{row}": "yyyy-mm-dd hh:mm" for row in range(2, 30)}
    # A sheet the file does not name keeps its columns; one mapped to [] is left out. Bytes
    # with a BOM, as Windows editors save them, are read too.
    fewer = apply_columns(assessed, "\ufeff积分流水: []\n成员明细: [合计, 姓名]\n".encode())
    assert [sheet.title for sheet in fewer.sheets] == ["支部汇总", "成员明细"]
    assert fewer.sheet("支部汇总").columns == [(c, c) for c in SUMMARY_HEADER]
    assert csv_rows(to_csv(fewer))[:2] == [["合计", "姓名"], ["64", "王五"]]
    # A title left out or empty is the column's own name.
    named = apply_columns(assessed, "支部汇总: [{列: 排名}, {列: 参与人数, 标题: ''}]\n")
    assert named.sheet("支部汇总").columns == [("排名", "排名"), ("参与人数", "参与人数")]
    # Without 成员明细 the CSV is the first sheet left.
    assert csv_rows(to_csv(apply_columns(assessed, "成员明细: []\n")))[0] == list(SUMMARY_HEADER)


DETAIL_COLUMNS = "、".join(DETAIL_HEADER)


BAD_MAPPINGS = [
    ("成员明细: [姓名, 工资]", f"“成员明细”没有“工资”这一列。可用：{DETAIL_COLUMNS}。"),
    ("支部汇总: [{标题: 名称}]", "“支部汇总”的每一项应是列名，或写作 {列: 列名, 标题: 新标题}。"),
    ("支部汇总: [[支部]]", "“支部汇总”的每一项应是列名，或写作 {列: 列名, 标题: 新标题}。"),
    ("考勤: [支部]\n成员明细: [姓名]", "没有名为“考勤”的工作表。"),
    ("成员明细: [姓名, {列: 合计, 标题: 姓名}]", "“成员明细”中有重复的列标题。"),
    ("成员明细: [{列: 合计, 标题: 2026}]", "“成员明细”中“合计”的标题应为 1-30 个字。"),
    ("成员明细: [{列: 合计, 标题: " + "长" * 31 + "}]", "“成员明细”中“合计”的标题应为 1-30 个字。"),
    ("支部汇总: 支部", "“支部汇总”应是列的列表。"),
    ("支部汇总: []\n成员明细: []\n积分流水: []", "至少要保留一个工作表。"),
    ("- 支部", "列设置文件应以工作表名称为键：支部汇总、成员明细、积分流水。"),
    ("a: [", "列设置文件不是有效的 UTF-8 YAML。"),
    (b"\xff\xfe", "列设置文件不是有效的 UTF-8 YAML。"),
    ("支部汇总: [2026-13-01]", "列设置文件不是有效的 UTF-8 YAML。"),
]


def test_a_bad_column_mapping_is_refused_with_what_is_wrong(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        branch(session, "红旗支部")
    assessed = report(points_app)
    for text, message in BAD_MAPPINGS:
        with pytest.raises(ColumnsError) as raised:
            apply_columns(assessed, text)
        assert (raised.value.code, raised.value.message) == ("bad_columns", message), text
