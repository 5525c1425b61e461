"""The ``arena`` command (also ``flask --app app …``).

Exit codes: 0 done; 1 some rows were rejected (``bank check``, ``bank load``,
``roster load``: the good rows of a load are stored); 2 the file or the database refused
the whole operation, with the reason on stderr.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from app import create_app
from app.audit import cli_actor, record_words
from app.extensions import database
from app.validation import FileProblems

SAMPLES = Path(__file__).resolve().parent.parent / "question_bank" / "samples"


def _settings() -> Any:
    return current_app.config["ARENA"]


def _print_report(report: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        click.echo(json.dumps({**report.as_dict(), **(extra or {})}, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{report.filename}（{report.format}）：读取 {report.rows_read} 行，"
        f"接受 {len(report.accepted)}，拒绝 {len(report.rejected)}"
    )
    for problem in report.rejected:
        where = f"第 {problem.row} 行" if problem.row is not None else "文件"
        column = f" [{problem.column}]" if problem.column else ""
        click.echo(f"  {where}{column} {problem.code}: {problem.message}")


def fail(code: str, message: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(f"错误 {code}: {message}", err=True)
    sys.exit(2)


def echo_check(
    name: str, problems: FileProblems | None, summary: dict[str, Any], lines: list[str], as_json: bool
) -> None:
    """What ``check`` prints for a file organizers wrote (a scenario, a deck): the report,
    or every problem with its place and exit status 1."""
    if problems is not None:
        if as_json:
            listed = [{"place": place, "message": message} for place, message in problems.problems]
            click.echo(json.dumps({"ok": False, "problems": listed}, ensure_ascii=False, indent=2))
        else:
            click.echo(f"{name}：发现 {len(problems.problems)} 个问题")
            for place, message in problems.problems:
                click.echo(f"  {place}: {message}" if place else f"  {message}")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"ok": True, **summary}, ensure_ascii=False))
    else:
        click.echo(f"{name}：检查通过")
        for line in lines:
            click.echo(f"  {line}")


# -- db ----------------------------------------------------------------------------------


@click.group("db", help="数据库迁移")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="把数据库结构升级到最新版本")
@with_appcontext
def db_upgrade() -> None:
    from app.db_migrations import upgrade

    upgrade(_settings().database_url)
    click.echo("数据库已是最新结构。")


# -- admin -------------------------------------------------------------------------------


@click.group("admin", help="工作人员账号：组织者、主持人、支部书记")
def admin_group() -> None:
    pass


@admin_group.command("create", help="创建组织者、主持人或支部书记账号（已存在则重设密码和角色）")
@click.argument("username")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再输入一次")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option(
    "--branch",
    "branch_name",
    default="",
    help="支部书记所在支部：给出即创建支部书记账号，只能查看和导出本支部积分",
)
@click.option(
    "--host", "as_host", is_flag=True, help="主持人账号：只能主持组织者交给他的比赛、剧本杀和弹幕墙"
)
@with_appcontext
def admin_create(username: str, password: str, display_name: str, branch_name: str, as_host: bool) -> None:
    from app.accounts import AccountError, set_user
    from app.models import Branch

    try:
        if branch_name and as_host:
            raise AccountError("bad_role", "--branch（支部书记）和 --host（主持人）只能选一个。")
        role = "secretary" if branch_name else "host" if as_host else "organizer"
        with database().transaction() as session:
            branch_id = None
            if branch_name:
                branch_id = session.scalar(select(Branch.id).where(Branch.name == branch_name.strip()))
                if branch_id is None:
                    raise AccountError("branch_not_found", f"没有名为“{branch_name}”的支部，请先导入花名册。")
            _user, created = set_user(
                session, username, password, display_name=display_name, role=role, branch_id=branch_id
            )
    except AccountError as error:
        fail(error.code, error.message, False)
    kind = f"{branch_name}支部书记" if branch_name else "主持人" if as_host else "组织者"
    click.echo(f"已{'创建' if created else '更新'}{kind}账号 {username}。")


# -- seed --------------------------------------------------------------------------------


@click.command("seed", help="首次运行：创建管理员账号，数据库为空时载入示例题库、花名册、剧本和盲盒")
@with_appcontext
def seed() -> None:
    import os

    from app import banks, roster
    from app.accounts import set_user
    from app.blindbox.cli import seed_decks
    from app.models import Member, QuestionBank, User

    db = database()
    with db.transaction() as session:
        if session.scalar(select(func.count(User.id))) == 0:
            password = os.environ.get("ARENA_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
            set_user(session, "admin", password, display_name="管理员")
            click.echo(f"已创建管理员账号 admin，初始密码：{password}")
            click.echo("（密码只显示这一次；忘记时运行 arena admin create admin 重设）")
        has_banks = session.scalar(select(func.count(QuestionBank.id))) > 0
        has_members = session.scalar(select(func.count(Member.id))) > 0
    limit = _settings().max_upload_bytes
    if not has_banks:
        for path in sorted(SAMPLES.glob("*.yaml")):
            data = path.read_bytes()
            name = (yaml.safe_load(data).get("bank") or {}).get("name") or path.stem
            outcome = banks.import_file(db, data, path.name, name, max_bytes=limit, actor=cli_actor())
            click.echo(f"示例题库“{name}”：导入 {outcome.stored} 题。")
    if not has_members and (SAMPLES / "roster.csv").exists():
        result = roster.load_roster(
            db, (SAMPLES / "roster.csv").read_bytes(), "roster.csv", max_bytes=limit, actor=cli_actor()
        )
        click.echo(f"示例花名册：{result.added} 名成员，{result.branches_added} 个支部。")
    _seed_scenarios()
    _seed_words()
    seed_decks()


def _seed_words() -> None:
    """A tiny demo word list for the danmaku filter; organizers bring their own."""
    from app.danmaku.wordfilter import DEMO_WORDS
    from app.models import FilterWord

    with database().transaction() as session:
        if session.scalar(select(func.count(FilterWord.id))) > 0:
            return
        session.add_all(FilterWord(word=word, added_by="seed") for word in DEMO_WORDS)
        record_words(session, cli_actor(), list(DEMO_WORDS), [])
    click.echo(f"示例敏感词 {len(DEMO_WORDS)} 个（请在“弹幕墙”页换成本单位的词表）。")


def _seed_scenarios() -> None:
    """The sample scenarios (scenarios/*.yaml) into a database that has none."""
    from app.models import Scenario
    from app.scenario.cli import SAMPLES as SCENARIOS
    from app.scenario.results import load_scenario

    with database().transaction() as session:
        if session.scalar(select(func.count(Scenario.id))) > 0:
            return
        for path in sorted(SCENARIOS.glob("*.yaml")):
            row, _replaced = load_scenario(session, path.read_bytes(), loaded_by="seed", actor=cli_actor())
            click.echo(f"示例剧本《{row.title}》（{row.slug}）。")


# -- bank --------------------------------------------------------------------------------


@click.group("bank", help="题库：检查、导入、导出、模板")
def bank_group() -> None:
    pass


@bank_group.command("check", help="只检查文件，不导入；有被拒绝的行时退出码为 1")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@with_appcontext
def bank_check(file: Path, as_json: bool) -> None:
    from question_bank import BankFileError, read_bank

    try:
        report = read_bank(file.read_bytes(), file.name, max_bytes=_settings().max_upload_bytes)
    except BankFileError as error:
        fail(error.code, error.message, as_json)
    _print_report(report, as_json)
    sys.exit(1 if report.rejected else 0)


@bank_group.command("load", help="把文件中的题目导入题库（题库不存在则新建）")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="题库名称")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@with_appcontext
def bank_load(file: Path, bank_name: str, as_json: bool) -> None:
    from app.banks import import_file

    outcome = import_file(
        database(),
        file.read_bytes(),
        file.name,
        bank_name,
        max_bytes=_settings().max_upload_bytes,
        actor=cli_actor(),
    )
    if outcome.report is not None:
        _print_report(outcome.report, as_json, {"bank": outcome.bank_name, "stored": outcome.stored})
    if not outcome.ok:
        fail(outcome.error_code, outcome.error_message, as_json and outcome.report is None)
    if not as_json:
        click.echo(f"已导入题库“{outcome.bank_name}”：{outcome.stored} 题。")
    sys.exit(1 if outcome.report and outcome.report.rejected else 0)


@bank_group.command("export", help="导出题库（可再次导入，内容不变）")
@click.argument("bank_name")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "yaml", "csv", "json"]), default="xlsx")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出文件")
@with_appcontext
def bank_export(bank_name: str, fmt: str, output: Path | None) -> None:
    from app.banks import bank_questions, find_bank
    from question_bank import to_csv, to_json, to_xlsx, to_yaml

    with database().sessions() as session:
        bank = find_bank(session, bank_name)
        if bank is None:
            fail("bank_not_found", f"没有名为“{bank_name}”的题库。", False)
        questions = bank_questions(session, bank)
        name, description = bank.name, bank.description
    data = {
        "xlsx": lambda: to_xlsx(questions),
        "csv": lambda: to_csv(questions),
        "yaml": lambda: to_yaml(questions, name=name, description=description),
        "json": lambda: to_json(questions, name=name, description=description),
    }[fmt]()
    target = output or Path(f"{name}.{fmt}")
    target.write_bytes(data)
    click.echo(f"已导出 {len(questions)} 题到 {target}")


@bank_group.command("template", help="生成题库导入模板（每种题型一行示例）")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def bank_template(output: Path) -> None:
    from question_bank import template_xlsx

    output.write_bytes(template_xlsx())
    click.echo(f"已生成导入模板 {output}")


# -- roster ------------------------------------------------------------------------------


@click.group("roster", help="成员花名册")
def roster_group() -> None:
    pass


@roster_group.command("load", help="导入花名册（姓名 / 工号 / 支部 / 手机）")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@with_appcontext
def roster_load(file: Path, as_json: bool) -> None:
    from app.roster import load_roster

    outcome = load_roster(
        database(), file.read_bytes(), file.name, max_bytes=_settings().max_upload_bytes, actor=cli_actor()
    )
    counts = {k: v for k, v in outcome.as_dict().items() if k not in ("report", "error")}
    if outcome.report is not None:
        _print_report(outcome.report, as_json, counts)
    if not outcome.ok:
        fail(outcome.error_code, outcome.error_message, as_json and outcome.report is None)
    if not as_json:
        click.echo(
            f"新增 {outcome.added} 人，更新 {outcome.updated} 人，未变 {outcome.unchanged} 人，"
            f"新增支部 {outcome.branches_added} 个。"
        )
    sys.exit(1 if outcome.report and outcome.report.rejected else 0)


# -- game ------------------------------------------------------------------------------


@click.group("game", help="现场比赛")
def game_group() -> None:
    pass


@game_group.command("new", help="用一个题库开一场比赛（进入大厅），输出 PIN 和主持人地址")
@click.option("--bank", "bank_name", required=True, help="题库名称")
@click.option("--count", default=10, show_default=True, help="题目数量")
@click.option("--time-limit", default=20, show_default=True, help="每题时限（秒），题目自带时限时以题目为准")
@click.option("--teams", type=click.Choice(["branches", "free"]), default="branches", show_default=True)
@click.option(
    "--team-names", default="红队,蓝队", show_default=True, help="--teams free 时的队伍名称，逗号分隔"
)
@click.option("--shuffle", is_flag=True, help="打乱题目顺序")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def game_new(
    bank_name: str, count: int, time_limit: int, teams: str, team_names: str, shuffle: bool, as_json: bool
) -> None:
    from app.banks import find_bank
    from app.live.contests import ContestError, ContestSettings, save_contest, start_game
    from app.netinfo import base_urls
    from app.realtime import live_games

    settings_ = _settings()
    try:
        with database().transaction() as session:
            bank = find_bank(session, bank_name)
            if bank is None:
                raise ContestError("bank_not_found", f"没有名为“{bank_name}”的题库。")
            contest_settings = ContestSettings.parse(
                {
                    "name": bank.name,
                    "bank_ids": [bank.id],
                    "count": count,
                    "time_limit": time_limit,
                    "team_mode": teams,
                    "free_teams": team_names,
                    "order": "shuffled" if shuffle else "fixed",
                }
            )
            contest = save_contest(session, contest_settings, created_by="cli")
            pin, token = start_game(session, live_games(current_app).store, contest)
    except ContestError as error:
        fail(error.code, error.message, as_json)
    local, phones = base_urls(settings_.public_url, settings_.host, settings_.port)
    result = {
        "pin": pin,
        "host_token": token,
        "host_url": f"{local}/host/{pin}#token={token}",
        "join_url": f"{phones}/play/{pin}",
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"比赛 PIN：{pin}\n主持人页面：{result['host_url']}\n手机加入：{result['join_url']}")


# -- serve -------------------------------------------------------------------------------


@click.command("serve", help="启动服务（eventlet），打印管理地址、手机加入地址和二维码")
@click.option("--host", default=None, help="监听地址（默认 ARENA_HOST 或 0.0.0.0）")
@click.option("--port", default=None, type=int, help="端口（默认 ARENA_PORT 或 5000）")
@click.option("--quiet", is_flag=True, help="不打印二维码")
def serve(host: str | None, port: int | None, quiet: bool) -> None:
    from app.entry import stop_on_signals, tune_gc, watch_stalls
    from app.extensions import redis_connection
    from app.live.events import run_ticker
    from app.netinfo import banner
    from app.realtime import close_message_queue, socketio

    # A serving app of its own, with the Redis message queue, so that several processes
    # can serve one game.
    app = create_app({"message_queue": True})
    settings = app.config["ARENA"]
    host = host or settings.host
    port = port or settings.port
    redis = redis_connection(app)
    redis.client().ping()  # fail now, not at the first phone, if Redis cannot be reached
    if redis.embedded:
        click.echo(f"内置 Redis 已启动：{redis.url}")

    def cleanup() -> None:
        close_message_queue()
        redis.stop()

    stop_on_signals(socketio.start_background_task, cleanup)
    click.echo(banner(settings.public_url, host, port, with_qr=not quiet), nl=False)
    sys.stdout.flush()
    socketio.start_background_task(run_ticker, socketio, app, settings.tick_ms / 1000)
    tune_gc()
    watch_stalls(socketio.start_background_task)
    try:
        # eventlet's server refuses connections past its pool (1024 by default); gevent's has none.
        pool = {"max_size": settings.max_connections} if settings.async_mode == "eventlet" else {}
        socketio.run(app, host=host, port=port, log_output=False, **pool)
    finally:  # the server loop ended some other way (an error at start, a port in use)
        cleanup()


# -- load --------------------------------------------------------------------------------


@click.command(
    "bench",
    help=(
        "负载测试（bench/）：默认跑整套；也可 arena bench run --players 2000 …，"
        "或 arena bench compare（与基线交替成对比较）"
    ),
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    from bench.__main__ import main as bench_main

    sys.exit(bench_main(list(args) or ["suite"]))


@click.command("rehearse", help="活动前演练：用模拟手机压测自己的服务器，给出能否承载的结论")
@click.option("--players", default=500, show_default=True, type=click.IntRange(1, 10_000), help="模拟手机数")
@click.option("--url", required=True, help="服务器地址，例如 https://dangjian.example.com")
@click.option("--pin", required=True, help="为演练开的一场比赛的 PIN")
@click.option("--host-token", required=True, help="这场比赛的主持人令牌（arena game new --json 输出）")
@click.option("--questions", default=3, show_default=True, type=click.IntRange(1, 50), help="作答的题数")
@click.option(
    "--window", default=3.0, show_default=True, type=click.FloatRange(0.5, 60), help="每题在几秒内全部作答"
)
def rehearse(players: int, url: str, pin: str, host_token: str, questions: int, window: float) -> None:
    from bench.loadgen import Settings, save
    from bench.rehearse import rehearse as run_rehearsal
    from bench.rehearse import verdict

    settings = Settings(
        players=players, questions=questions, window=window, time_limit=120,
        workers=players // 2500 + 1, label=f"rehearse-{players}",
    )  # fmt: skip
    try:
        result = run_rehearsal(url, pin, host_token, settings)
    except (OSError, RuntimeError, TimeoutError) as error:
        fail("rehearse_failed", f"演练没能完成：{error}", False)
    path = save(result)
    for line in verdict(result):
        click.echo(line)
    click.echo(f"（详细结果：{path}）")


def register(app: Any) -> None:
    """Make every command reachable as ``flask --app app …`` too."""
    from app.backup.cli import backup, restore
    from app.blindbox.cli import deck_group
    from app.points.cli import points_group
    from app.scenario.cli import scenario_group

    for command in (
        db_group,
        admin_group,
        seed,
        bank_group,
        roster_group,
        game_group,
        points_group,
        scenario_group,
        deck_group,
        backup,
        restore,
        bench,
        rehearse,
        serve,
    ):
        app.cli.add_command(command)


cli = FlaskGroup(create_app=create_app, add_default_commands=True, help="党建竞赛平台命令行")
