"""``arena points …``: rebuild the boards, grant base points, credit a game, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.audit import cli_actor, record_credit, record_game_credit
from app.cli import fail
from app.extensions import database
from app.models import Branch, Game, PointEntry
from app.points.export import ColumnsError, apply_columns, assessment, to_csv, to_xlsx
from app.points.ledger import board_entries, credit_game, grant_base
from app.points.periods import PeriodError, parse_period
from app.points.rules import RulesError, parse_rules
from app.points.service import points


@click.group("points", help="积分：排行榜重建、基础分、比赛记分、考核导出")
def points_group() -> None:
    pass


@points_group.command("rebuild", help="按数据库中的积分流水重建 Redis 中的周/月/季/年排行榜")
@with_appcontext
def rebuild() -> None:
    try:
        assessed = points(current_app).rules().assessed
    except RulesError as error:
        fail(error.code, error.message, False)
    with database().sessions() as session:
        entries = board_entries(session.scalars(select(PointEntry)), assessed)
    written = points(current_app).store.rebuild(entries)
    click.echo(f"已按 {len(entries)} 条积分重建 {written} 个排行榜。")


@points_group.command("base", help="给在册成员记一个周期的基础分（每人每周期只记一次）")
@click.option("--period", required=True, help="如 2026、2026-Q4、2026-11")
@with_appcontext
def base(period: str) -> None:
    try:
        chosen = parse_period(period)
        rules = points(current_app).rules()
    except (PeriodError, RulesError) as error:
        fail(error.code, error.message, False)
    with database().transaction() as session:
        added = grant_base(session, rules, chosen, created_by="命令行")
        record_credit(
            session, cli_actor(), "points.base", added,
            what=f"{chosen.key} 基础分", target_type="period", target_id=chosen.key,
        )  # fmt: skip
    points(current_app).publish(added)
    click.echo(f"{chosen.key}：新记基础分 {len(added)} 人。")


@points_group.command("credit-game", help="按当前规则给一场已结束比赛中已对应成员的选手记分（已记的不重复）")
@click.argument("game_id", type=int)
@with_appcontext
def credit(game_id: int) -> None:
    try:
        rules = points(current_app).rules()
    except RulesError as error:
        fail(error.code, error.message, False)
    with database().transaction() as session:
        game = session.get(Game, game_id)
        if game is None:
            fail("game_not_found", f"没有第 {game_id} 场比赛。", False)
        added = credit_game(session, rules, game)
        record_game_credit(session, cli_actor(), game, added)
    points(current_app).publish(added)
    click.echo(f"第 {game_id} 场：新记 {len(added)} 条积分。")


@points_group.command("export", help="导出考核表（支部汇总、成员明细、积分流水）")
@click.option("--period", required=True, help="2026、2026-Q4、2026-11、2026-W48 或 2026-01-01..2026-03-31")
@click.option("--branch", "branch_name", default="", help="只导出这个支部")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--columns",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="列设置文件（YAML）：重命名、排序、选择列",
)
@with_appcontext
def export(period: str, branch_name: str, fmt: str, output: Path, columns: Path | None) -> None:
    try:
        chosen = parse_period(period)
        rules = points(current_app).rules()
    except (PeriodError, RulesError) as error:
        fail(error.code, error.message, False)
    with database().sessions() as session:
        branch_id = None
        if branch_name:
            branch_id = session.scalar(select(Branch.id).where(Branch.name == branch_name.strip()))
            if branch_id is None:
                fail("branch_not_found", f"没有名为“{branch_name}”的支部。", False)
        report = assessment(session, rules, chosen, branch_id)
    if columns is not None:
        try:
            report = apply_columns(report, columns.read_bytes())
        except ColumnsError as error:
            fail(error.code, error.message, False)
    output.write_bytes(to_xlsx(report) if fmt == "xlsx" else to_csv(report))
    click.echo(f"已导出 {chosen.label}：{output}")


@points_group.command("check-rules", help="检查积分规则文件；有错时退出码为 2")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_rules(file: Path) -> None:
    try:
        parse_rules(file.read_bytes())
    except RulesError as error:
        for place, message in error.problems:
            click.echo(f"{place or '文件'}：{message}", err=True)
        sys.exit(2)
    click.echo("规则文件有效。")
