"""``arena scenario``: check a scenario file, load it, open a run."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import database

SAMPLES = Path(__file__).resolve().parents[2] / "scenarios"


@click.group("scenario", help="红色剧本杀：检查、导入剧本，开一场")
def scenario_group() -> None:
    pass


@scenario_group.command("check", help="只检查剧本文件，打印报告；有问题时退出码为 1")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
def scenario_check(file: Path, as_json: bool) -> None:
    from app.cli import echo_check
    from app.scenario.schema import ScenarioError, parse_scenario, report_lines

    try:
        scenario = parse_scenario(file.read_bytes())
    except ScenarioError as error:
        echo_check(file.name, error, {}, [], as_json)
    echo_check(file.name, None, {"id": scenario.id, "title": scenario.title}, report_lines(scenario), as_json)


@scenario_group.command("load", help="检查并导入剧本（同一 id 的剧本会被替换）")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def scenario_load(file: Path) -> None:
    from app.audit import cli_actor
    from app.cli import fail
    from app.scenario.results import load_scenario
    from app.scenario.schema import ScenarioError

    try:
        with database().transaction() as session:
            row, replaced = load_scenario(session, file.read_bytes(), loaded_by="cli", actor=cli_actor())
            title, slug = row.title, row.slug
    except ScenarioError as error:
        fail(error.code, error.message, False)
    click.echo(f"已{'更新' if replaced else '导入'}剧本《{title}》（{slug}）。")


@scenario_group.command("new", help="开一场剧本杀（进入大厅），输出 PIN、主持人和大屏地址")
@click.argument("slug")
@click.option("--groups", default=1, show_default=True, type=click.IntRange(1, 30), help="小组（桌）数")
@click.option("--props-per-group", is_flag=True, help="每组一套道具卡（默认全场一套）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@with_appcontext
def scenario_new(slug: str, groups: int, props_per_group: bool, as_json: bool) -> None:
    from app.cli import fail
    from app.netinfo import base_urls
    from app.realtime import scenario_runs
    from app.scenario.engine import Refused
    from app.scenario.protocol import ERRORS
    from app.scenario.results import open_run

    settings = current_app.config["ARENA"]
    try:
        run, token = open_run(database(), scenario_runs(current_app), slug, groups, props_per_group, "cli")
    except LookupError:
        fail("scenario_not_found", f"没有 id 为“{slug}”的剧本，请先 arena scenario load。", as_json)
    except Refused as refused:
        fail(refused.code, ERRORS[refused.code], as_json)
    local, phones = base_urls(settings.public_url, settings.host, settings.port)
    result = {
        "pin": run.pin,
        "host_token": token,
        "host_url": f"{local}/scenario/{run.pin}/host#token={token}",
        "screen_url": f"{local}/scenario/{run.pin}/screen#token={token}",
        "props_url": f"{local}/admin/scenario-runs/{run.id}/props",
        "join_url": f"{phones}/scenario/{run.pin}/play",
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(
            f"剧本杀 PIN：{run.pin}\n主持人控制台：{result['host_url']}\n大屏幕：{result['screen_url']}\n"
            f"道具卡打印：{result['props_url']}\n手机加入：{result['join_url']}"
        )
