"""``arena points …`` on each database: export, base, credit-game, rebuild and check-rules,
with their output and exit codes; two processes crediting one game at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner
from sqlalchemy import func, select

from app.extensions import database
from app.models import PointEntry
from app.points.cli import points_group
from app.points.rules import DEFAULT_RULES
from app.points.service import points
from tests.points.factories import Player, beijing, branch, finished_game, member
from tests.points.q4 import (
    DETAIL_HEADER,
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
)

PERIODS = (
    "2026（年）、2026-Q4（季度）、2026-11（月）、2026-W48（周）、"
    "2026-01-01..2026-03-31（自定义起止日期，含两端）"
)


def export(cli: Any, *args: str) -> Any:
    return cli.invoke(args=["points", "export", *args])


def test_export_an_xlsx_of_every_branch(cli: Any, q4: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "考核 2026-Q4.xlsx"
    result = export(cli, "--period", "2026-Q4", "--format", "xlsx", "--out", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"已导出 2026-Q4（2026-10-01 至 2026-12-31）：{out}\n",
        "",
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["支部汇总", "成员明细", "积分流水"]
    assert cells(book["支部汇总"]) == [SUMMARY_HEADER, *SUMMARY]
    assert cells(book["成员明细"]) == [DETAIL_HEADER, *VANGUARD, *RED]
    assert cells(book["积分流水"])[1:] == ledger_sheet(q4)
    assert formats(book["支部汇总"]) == {"D2": "0.0%", "D3": "0.0%"}
    assert [sheet.freeze_panes for sheet in book] == ["A2", "A2", "A2"]
    # xlsx is the default format
    again = tmp_path / "default.xlsx"
    assert export(cli, "--period", "２０２６－Ｑ４", "--out", str(again)).exit_code == 0
    assert cells(openpyxl.load_workbook(again)["支部汇总"]) == [SUMMARY_HEADER, *SUMMARY]


def test_export_one_branch_as_csv_with_chosen_columns(cli: Any, q4: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "先锋.csv"
    result = export(
        cli, "--period", "2026年第四季度", "--branch", " 先锋支部 ", "--format", "csv", "--out", str(out)
    )
    assert (result.exit_code, result.stdout) == (0, f"已导出 2026-Q4（2026-10-01 至 2026-12-31）：{out}\n")
    assert csv_rows(out.read_bytes()) == [as_text(DETAIL_HEADER), *map(as_text, VANGUARD)]
    columns = tmp_path / "列.yaml"
    columns.write_text("成员明细: [姓名, {列: 合计, 标题: 季度积分}, 备注]\n", encoding="utf-8")
    result = export(
        cli,
        "--period",
        "2026-Q4",
        "--branch",
        "红旗支部",
        "--format",
        "csv",
        "--out",
        str(out),
        "--columns",
        str(columns),
    )
    assert result.exit_code == 0
    assert out.read_bytes().decode("utf-8-sig") == (
        "姓名,季度积分,备注\r\n张三,76,\r\n孙八,70,期间转出本支部\r\n李四,64,\r\n钱七,64,已不在册\r\n"
    )


def test_export_refusals_exit_2_and_write_nothing(cli: Any, q4: Ledger, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "x.xlsx"
    bad_columns = folder / "bad.yaml"
    bad_columns.write_text("考勤: [支部]\n", encoding="utf-8")
    for args, stderr in (
        (["--period", "2026-Q9"], f"错误 bad_period: 无法识别的周期“2026-Q9”。可用：{PERIODS}。\n"),
        (["--period", "2026", "--branch", "无此支部"], "错误 branch_not_found: 没有名为“无此支部”的支部。\n"),
        (["--period", "2026", "--columns", str(bad_columns)], "错误 bad_columns: 没有名为“考勤”的工作表。\n"),
    ):
        result = export(cli, *args, "--out", str(out))
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", stderr)
    for args, usage in (
        (["--period", "2026", "--format", "pdf", "--out", str(out)], "Invalid value for '--format'"),
        (["--out", str(out)], "Missing option '--period'"),
        (["--period", "2026", "--out", str(out), "--columns", str(folder / "none.yaml")], "does not exist"),
    ):
        result = export(cli, *args)
        assert result.exit_code == 2 and usage in result.stderr
    assert list(folder.iterdir()) == [bad_columns]


def test_base_points_command(cli: Any, points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        member(session, "张三", "D001", red)
        member(session, "李四", "D002", red, "预备党员")
        member(session, "王五", "D003", red, "群众")
        member(session, "赵六", "D004", red, active=False)
    first = cli.invoke(args=["points", "base", "--period", "2026-Q4"])
    assert (first.exit_code, first.stdout) == (0, "2026-Q4：新记基础分 2 人。\n")
    again = cli.invoke(args=["points", "base", "--period", "2026年第四季度"])
    assert (again.exit_code, again.stdout) == (0, "2026-Q4：新记基础分 0 人。\n")
    assert points(points_app).store.branch_totals("2026-Q4") == {red.id: 120}  # published
    bad = cli.invoke(args=["points", "base", "--period", "明年"])
    assert (bad.exit_code, bad.stderr) == (2, f"错误 bad_period: 无法识别的周期“明年”。可用：{PERIODS}。\n")


def test_credit_game_command(cli: Any, points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        zhang = member(session, "张三", "D001", red)
        game = finished_game(
            session,
            "七一赛",
            beijing(2026, 7, 1, 20),
            [Player(zhang, "红旗支部", answered=3, correct=3, rank=1)],
        )
    first = cli.invoke(args=["points", "credit-game", str(game.id)])
    assert (first.exit_code, first.stdout) == (0, f"第 {game.id} 场：新记 4 条积分。\n")
    again = cli.invoke(args=["points", "credit-game", str(game.id)])
    assert (again.exit_code, again.stdout) == (0, f"第 {game.id} 场：新记 0 条积分。\n")
    assert points(points_app).store.top_members("2026-07", 5) == [(zhang.id, 2 + 3 + 5 + 2)]
    missing = cli.invoke(args=["points", "credit-game", "404"])
    assert (missing.exit_code, missing.stderr) == (2, "错误 game_not_found: 没有第 404 场比赛。\n")
    assert cli.invoke(args=["points", "credit-game", "x"]).exit_code == 2


def test_a_broken_rules_file_stops_the_commands_that_need_it(
    cli: Any, points_app: Any, tmp_path: Path
) -> None:
    rules = points_app.config["ARENA"].instance_path / "points_rules.yaml"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text("categories: []\n", encoding="utf-8")
    for args in (
        ["rebuild"],
        ["base", "--period", "2026"],
        ["credit-game", "1"],
        ["export", "--period", "2026", "--out", str(tmp_path / "x.xlsx")],
    ):
        result = cli.invoke(args=["points", *args])
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            "错误 bad_rules: categories：至少需要 1 项；member_types：缺少这一项；assessed：缺少这一项\n",
        ), args
    rules.unlink()
    assert cli.invoke(args=["points", "rebuild"]).stdout == "已按 0 条积分重建 0 个排行榜。\n"


def test_check_rules(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(points_group, ["check-rules", str(DEFAULT_RULES)])
    assert (good.exit_code, good.stdout, good.stderr) == (0, "规则文件有效。\n", "")
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "categories: [学习]\nmember_types: [群众]\nassessed: [群众]\n"
        "base: {points: -1}\nstars: {a: 2, b: 1}\n",
        encoding="utf-8",
    )
    checked = runner.invoke(points_group, ["check-rules", str(bad)])
    assert (checked.exit_code, checked.stdout, checked.stderr) == (2, "", "base.points：不能小于 0\n")
    bad.write_text(
        "categories: [学习]\nmember_types: [群众]\nassessed: [群众]\nstars: {a: 2, b: 1}\n", encoding="utf-8"
    )
    checked = runner.invoke(points_group, ["check-rules", str(bad)])
    assert checked.exit_code == 2
    assert checked.stderr.splitlines() == [
        "文件：base.category 的类别“履职”不在 categories 中",
        "文件：activities.scenario.category 的类别“组织生活”不在 categories 中",
        "文件：activities.task.category 的类别“志愿服务”不在 categories 中",
        "文件：base.member_types 中的“正式党员”不在 member_types 中",
        "文件：base.member_types 中的“预备党员”不在 member_types 中",
        "文件：stars 的门槛应从低到高排列且互不相同",
    ]
    bad.write_bytes(b"\xff")
    checked = runner.invoke(points_group, ["check-rules", str(bad)])
    assert (checked.exit_code, checked.stderr) == (2, "文件：规则文件不是 UTF-8 编码\n")
    missing = runner.invoke(points_group, ["check-rules", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_two_commands_crediting_one_game_at_once_count_it_once(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        players = [
            Player(
                member(session, f"成员{n}", f"D{n:03d}", red), "红旗支部", answered=12, correct=3 * n, rank=n
            )
            for n in range(1, 5)
        ]
        game_id = finished_game(session, "并发赛", beijing(2026, 11, 20, 20), players, team_mode="free").id
    settings = points_app.config["ARENA"]
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "ARENA_INSTANCE": str(settings.instance_path),
        "SECRET_KEY": "x",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "points", "credit-game", str(game_id)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert [err for _out, err in outputs] == ["", ""]
    added = sorted(
        int(out.removeprefix(f"第 {game_id} 场：新记 ").removesuffix(" 条积分。\n")) for out, _ in outputs
    )
    # participation ×4, correct ×4, places 1-3: eleven entries between the two, however split.
    assert sum(added) == 11
    with database(points_app).sessions() as session:
        assert session.scalar(select(func.count(PointEntry.id))) == 11
    # Each process counted on the boards what it added: together, the game once.
    ranked = [
        (players[n].who.id, total)
        for n, total in ((3, 2 + 12), (2, 2 + 9 + 2), (1, 2 + 6 + 3), (0, 2 + 3 + 5))
    ]
    assert points(points_app).store.top_members("2026-11", 4) == ranked
