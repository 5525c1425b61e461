"""``arena backup`` and ``arena restore`` (exit 2 with ``错误 <code>: …`` on stderr when refused)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.backup.format import BackupError, Summary
from app.cli import fail
from app.extensions import database


def _uploads() -> Path:
    return current_app.config["ARENA"].uploads_path


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _echo_tables(summary: Summary) -> None:
    width = max(map(len, summary.tables), default=0)
    for name, rows in summary.tables.items():
        click.echo(f"  {name:<{width}}  {rows} 行")


@click.command("backup", help="备份数据库（SQLite 或 PostgreSQL）和上传的照片到一个 zip 文件")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup(file: Path | None) -> None:
    """FILE defaults to arena-backup-<UTC time>.zip here; a folder gets that name inside it."""
    from app.backup.dump import make_backup

    default = f"arena-backup-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.zip"
    target = file or Path(default)
    if target.is_dir():
        target = target / default
    if not target.parent.is_dir():
        fail("no_folder", f"目录 {target.parent} 不存在。", False)
    try:
        summary = make_backup(database().engine, _uploads(), target)
    except BackupError as error:
        fail(error.code, error.message, False)
    click.echo(
        f"已备份到 {summary.path}（{_size(summary.size)}）：{len(summary.tables)} 张表，"
        f"共 {summary.rows} 行；上传文件 {summary.uploads} 个；数据库结构版本 {summary.revision}。"
    )
    _echo_tables(summary)


@click.command("restore", help="把备份文件恢复到空数据库（先运行 arena db upgrade）；出错时不写入任何数据")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(file: Path) -> None:
    from app.backup.restore import restore_backup

    try:
        summary = restore_backup(database().engine, _uploads(), file)
    except BackupError as error:
        fail(error.code, error.message, False)
    click.echo(
        f"已从 {summary.path}（{_size(summary.size)}，备份于 {summary.created_at}）恢复："
        f"{len(summary.tables)} 张表，共 {summary.rows} 行；上传文件 {summary.uploads} 个。"
    )
    _echo_tables(summary)
    click.echo("积分排行榜在 Redis 中：请运行 arena points rebuild 按恢复的积分流水重建。")
