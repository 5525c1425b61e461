"""The assessment export: exact cells of every sheet, read back with openpyxl; the CSV
with its BOM; the column-mapping file; the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.extensions import database
from app.models import Branch, Member
from app.points.export import ColumnsError, apply_columns, assessment, to_csv, to_xlsx
from app.points.ledger import credit, manual_entry
from app.points.periods import parse_period
from app.points.rules import Award
from app.points.service import points

OCT = dt.datetime(2026, 10, 10, 2)  # 10:00 in Beijing
NOV = dt.datetime(2026, 11, 10, 2)


@pytest.fixture
def ledger(app: Any) -> dict[str, int]:
    """红旗: 张三 (14), 李四 预备党员 (5), 钱七 left the roster after earning 4, 孙八 earned 3
    here before moving to 先锋; 先锋: 王五 (-2), 赵六 群众 (8), 孙八 (6 after the move)."""
    rules = points(app).rules()
    with database(app).transaction() as session:
        red, vanguard = Branch(name="红旗支部"), Branch(name="先锋支部")
        session.add_all([red, vanguard])
        session.flush()
        made = {
            name: Member(name=name, member_no=no, branch_id=branch.id, member_type=kind)
            for name, no, branch, kind in (
                ("张三", "D001", red, "正式党员"),
                ("李四", "D002", red, "预备党员"),
                ("钱七", "D007", red, "正式党员"),
                ("孙八", "D008", red, "正式党员"),
                ("王五", "D003", vanguard, "正式党员"),
                ("赵六", "D004", vanguard, "群众"),
            )
        }
        session.add_all(made.values())
        session.flush()

        def award(name: str, amount: int, category: str, source: str, at: dt.datetime) -> None:
            credit(
                session,
                rules,
                made[name],
                [Award("task.completed", category, amount, f"完成任务{source}")],
                source_type="task",
                source_id=source,
                occurred_at=at,
            )

        award("张三", 10, "志愿服务", "T1", OCT)
        manual_entry(
            session,
            made["张三"],
            points=4,
            category="学习",
            reason='=HYPERLINK("x")',
            created_by="组织委员",
            request_id="m1",
            rules=rules,
            occurred_at=NOV,
        )
        award("李四", 5, "学习", "T2", NOV)
        award("钱七", 4, "学习", "T3", OCT)
        made["钱七"].active = False
        award("孙八", 3, "学习", "T4", OCT)
        made["孙八"].branch_id = vanguard.id
        session.flush()
        award("孙八", 6, "学习", "T5", NOV)
        manual_entry(
            session,
            made["王五"],
            points=-2,
            category="纪律",
            reason="会议迟到",
            created_by="组织委员",
            request_id="m2",
            rules=rules,
            occurred_at=NOV,
        )
        award("赵六", 8, "志愿服务", "T6", NOV)
        award("张三", 99, "学习", "T9", dt.datetime(2027, 1, 2))  # another quarter: not in 2026-Q4
        return {"红旗支部": red.id, "先锋支部": vanguard.id}


def sheets(app: Any, branch: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    with database(app).sessions() as session:
        report = assessment(session, points(app).rules(), parse_period("2026-Q4"), branch)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert book["支部汇总"]["D2"].number_format == "0.0%"
    return {name: list(book[name].values) for name in book.sheetnames}


def test_every_cell_of_the_xlsx(app: Any, ledger: dict[str, int]) -> None:
    book = sheets(app)
    assert list(book) == ["支部汇总", "成员明细", "积分流水"]
    assert book["支部汇总"] == [
        ("支部", "党员数", "参与人数", "参与率", "总积分", "人均积分", "排名"),
        # 红旗: 张三 and 李四 now (钱七 left, 孙八 moved): 14 + 5 + 4 (钱七) + 3 (孙八 before moving).
        ("红旗支部", 2, 2, 1, 26, 13, 1),
        # 先锋: 王五 and 孙八 (赵六 is 群众): -2 + 6.
        ("先锋支部", 2, 1, 0.5, 4, 2, 2),
    ]
    header = (
        "支部",
        "姓名",
        "工号",
        "党员类别",
        "周期",
        "基础分",
        "加分",
        "扣分",
        "学习",
        "组织生活",
        "志愿服务",
        "履职",
        "纪律",
        "合计",
        "支部内排名",
        "星级",
        "备注",
    )
    assert book["成员明细"] == [
        header,
        (
            "先锋支部",
            "赵六",
            "D004",
            "群众",
            "2026-Q4",
            0,
            8,
            0,
            0,
            0,
            8,
            0,
            0,
            8,
            None,
            None,
            "不计入支部考核",
        ),
        ("先锋支部", "孙八", "D008", "正式党员", "2026-Q4", 0, 6, 0, 6, 0, 0, 0, 0, 6, 1, None, None),
        ("先锋支部", "王五", "D003", "正式党员", "2026-Q4", 0, 0, -2, 0, 0, 0, 0, -2, -2, 2, None, None),
        ("红旗支部", "张三", "D001", "正式党员", "2026-Q4", 0, 14, 0, 4, 0, 10, 0, 0, 14, 1, None, None),
        ("红旗支部", "李四", "D002", "预备党员", "2026-Q4", 0, 5, 0, 5, 0, 0, 0, 0, 5, 2, None, None),
        ("红旗支部", "钱七", "D007", "正式党员", "2026-Q4", 0, 4, 0, 4, 0, 0, 0, 0, 4, 3, None, "已不在册"),
        (
            "红旗支部",
            "孙八",
            "D008",
            "正式党员",
            "2026-Q4",
            0,
            3,
            0,
            3,
            0,
            0,
            0,
            0,
            3,
            4,
            None,
            "期间转出本支部",
        ),
    ]
    flow = book["积分流水"]
    assert flow[0] == (
        "序号",
        "时间",
        "支部",
        "姓名",
        "工号",
        "党员类别",
        "类型",
        "类别",
        "来源",
        "来源编号",
        "分值",
        "说明",
        "录入人",
        "更正序号",
    )
    assert [row[1:] for row in flow[1:3]] == [
        (
            dt.datetime(2026, 10, 10, 10),
            "红旗支部",
            "张三",
            "D001",
            "正式党员",
            "加分",
            "志愿服务",
            "盲盒任务",
            "T1",
            10,
            "完成任务T1",
            None,
            None,
        ),
        (
            dt.datetime(2026, 10, 10, 10),
            "红旗支部",
            "钱七",
            "D007",
            "正式党员",
            "加分",
            "学习",
            "盲盒任务",
            "T3",
            4,
            "完成任务T3",
            None,
            None,
        ),
    ]
    manual = next(row for row in flow if row[11] and "HYPERLINK" in row[11])
    assert manual[11] == '\'=HYPERLINK("x")' and manual[12] == "组织委员"  # a formula is shown, never run
    assert len(flow) == 1 + 8


def test_one_branch_and_its_csv_with_bom(app: Any, ledger: dict[str, int]) -> None:
    book = sheets(app, ledger["先锋支部"])
    assert book["支部汇总"][1:] == [("先锋支部", 2, 1, 0.5, 4, 2, 1)]
    with database(app).sessions() as session:
        report = assessment(session, points(app).rules(), parse_period("2026-Q4"), ledger["先锋支部"])
    data = to_csv(report)
    assert data[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["赵六", "孙八", "王五"]
    assert rows[3][-4:] == ["-2", "2", "", ""]


def test_column_mapping(app: Any, ledger: dict[str, int]) -> None:
    with database(app).sessions() as session:
        report = assessment(session, points(app).rules(), parse_period("2026-Q4"))
    mapped = apply_columns(
        report,
        "支部汇总: [支部, {列: 人均积分, 标题: 人均}]\n"
        "成员明细: [姓名, {列: 合计, 标题: 季度积分}]\n"
        "积分流水: []\n",
    )
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(mapped)))
    assert book.sheetnames == ["支部汇总", "成员明细"]
    assert list(book["支部汇总"].values) == [("支部", "人均"), ("红旗支部", 13), ("先锋支部", 2)]
    assert list(book["成员明细"].values)[:2] == [("姓名", "季度积分"), ("赵六", 8)]
    for text, message in (
        ("成员明细: [工资]", "“成员明细”没有“工资”这一列。"),
        ("考勤: [支部]", "没有名为“考勤”的工作表。"),
        ("成员明细: [姓名, {列: 合计, 标题: 姓名}]", "“成员明细”中有重复的列标题。"),
        ("支部汇总: []\n成员明细: []\n积分流水: []", "至少要保留一个工作表。"),
        ("- 支部", "列设置文件应以工作表名称为键：支部汇总、成员明细、积分流水。"),
    ):
        with pytest.raises(ColumnsError) as raised:
            apply_columns(report, text)
        assert raised.value.code == "bad_columns" and raised.value.message.startswith(message)


def test_cli_export(app: Any, runner: Any, ledger: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "考核.xlsx"
    result = runner.invoke(
        args=["points", "export", "--period", "2026-Q4", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0 and "已导出 2026-Q4（2026-10-01 至 2026-12-31）" in result.output
    assert list(openpyxl.load_workbook(out)["支部汇总"].values)[1][0] == "红旗支部"
    columns = tmp_path / "列.yaml"
    columns.write_text("成员明细: [姓名, 合计]\n", encoding="utf-8")
    csv_out = tmp_path / "先锋.csv"
    result = runner.invoke(
        args=[
            "points",
            "export",
            "--period",
            "2026年第四季度",
            "--branch",
            "先锋支部",
            "--format",
            "csv",
            "--out",
            str(csv_out),
            "--columns",
            str(columns),
        ]
    )
    assert result.exit_code == 0
    assert csv_out.read_bytes().decode("utf-8-sig").splitlines() == [
        "姓名,合计",
        "赵六,8",
        "孙八,6",
        "王五,-2",
    ]
    for args, code in (
        (["--period", "2026-Q9"], "bad_period"),
        (["--period", "2026", "--branch", "无此支部"], "branch_not_found"),
    ):
        failed = runner.invoke(args=["points", "export", *args, "--out", str(out)])
        assert failed.exit_code == 2 and f"错误 {code}" in failed.output


def test_cli_base_credit_and_check_rules(
    app: Any, runner: Any, ledger: dict[str, int], tmp_path: Path
) -> None:
    first = runner.invoke(args=["points", "base", "--period", "2026"])
    assert first.exit_code == 0 and first.output.strip() == "2026：新记基础分 4 人。"  # 张三 李四 孙八 王五
    assert (
        runner.invoke(args=["points", "base", "--period", "2026"]).output.strip() == "2026：新记基础分 0 人。"
    )
    missing = runner.invoke(args=["points", "credit-game", "404"])
    assert missing.exit_code == 2 and "错误 game_not_found" in missing.output
    bad = tmp_path / "rules.yaml"
    bad.write_text("categories: []\n", encoding="utf-8")
    checked = runner.invoke(args=["points", "check-rules", str(bad)])
    assert checked.exit_code == 2 and "categories：至少需要 1 项" in checked.output
    good = runner.invoke(args=["points", "check-rules", str(Path("app/points/default_rules.yaml"))])
    assert good.exit_code == 0 and "规则文件有效" in good.output
