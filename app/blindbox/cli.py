"""``arena deck``: check and load 党建盲盒 deck files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.extensions import database

SAMPLES = Path(__file__).resolve().parents[2] / "decks"


@click.group("deck", help="党建盲盒：检查、载入卡片文件，下载模板")
def deck_group() -> None:
    pass


@deck_group.command("check", help="只检查盲盒文件（YAML 或 XLSX），打印报告；有问题时退出码为 1")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
def deck_check(file: Path, as_json: bool) -> None:
    from app.blindbox.deck import DeckError, parse_deck, report_lines
    from app.cli import echo_check

    try:
        deck = parse_deck(file.read_bytes(), file.name)
    except DeckError as error:
        echo_check(file.name, error, {}, [], as_json)
    summary = {"key": deck.key, "title": deck.title, "cards": len(deck.cards)}
    echo_check(file.name, None, summary, report_lines(deck), as_json)


@deck_group.command("load", help="检查并载入盲盒（同一编号的盲盒会被替换卡片，已抽到的任务不变）")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def deck_load(file: Path) -> None:
    from app.audit import cli_actor
    from app.blindbox.deck import DeckError
    from app.blindbox.tasks import load_deck
    from app.cli import fail
    from app.models import utcnow

    try:
        with database().transaction() as session:
            row, replaced = load_deck(
                session, file.read_bytes(), file.name, loaded_by="cli", now=utcnow(), actor=cli_actor()
            )
            title, key, cards = row.title, row.key, len(row.content["cards"])
    except DeckError as error:
        fail(error.code, error.message, False)
    click.echo(f"已{'更新' if replaced else '载入'}盲盒《{title}》（{key}），{cards} 张卡片。")


@deck_group.command("template", help="写出 Excel 盲盒模板")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def deck_template(file: Path) -> None:
    from app.blindbox.deck import deck_template_xlsx

    file.write_bytes(deck_template_xlsx())
    click.echo(f"已写出模板 {file}。")


def seed_decks() -> None:
    """The sample deck (decks/*.yaml) into a database that has no deck."""
    from sqlalchemy import func, select

    from app.audit import cli_actor
    from app.blindbox.tasks import load_deck
    from app.models import TaskDeck, utcnow

    with database().transaction() as session:
        if session.scalar(select(func.count(TaskDeck.id))) > 0:
            return
        for path in sorted(SAMPLES.glob("*.yaml")):
            row, _replaced = load_deck(
                session, path.read_bytes(), path.name, loaded_by="seed", now=utcnow(), actor=cli_actor()
            )
            click.echo(f"示例盲盒《{row.title}》（{row.key}），{len(row.content['cards'])} 张卡片。")
