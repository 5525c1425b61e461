"""``arena backup`` and ``arena restore``: the summary in Chinese, the exit codes, the
uploads folder of each app's instance."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.extensions import database
from app.models import Base
from tests.backup.fill import files, fill
from tests.conftest import POSTGRES_URL, make_test_app


def test_backup_then_restore_into_an_empty_database(
    app: Any, runner: Any, redis_url: str, target_url: Callable[[str], str], tmp_path: Path
) -> None:
    uploads = app.config["ARENA"].instance_path / "uploads"
    fill(database(app), uploads)
    folder = tmp_path / "backups"
    folder.mkdir()

    made = runner.invoke(args=["backup", str(folder)])  # a folder: the file is named by the time

    assert made.exit_code == 0, made.output
    (path,) = folder.glob("arena-backup-*.zip")
    assert path.stat().st_mode & 0o777 == 0o600  # it holds password hashes and phone numbers
    tables = len(Base.metadata.sorted_tables)
    assert made.output.startswith(f"已备份到 {path}（")
    assert f"：{tables} 张表，共 " in made.output and "行；上传文件 1 个；数据库结构版本 " in made.output
    assert re.search(r"^  branch +5 行$", made.output, re.M)  # two real branches, three synthetic

    target = make_test_app(
        tmp_path / "target", target_url("postgresql" if POSTGRES_URL else "sqlite"), redis_url
    )
    try:
        restored = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert restored.exit_code == 0, restored.output
        assert f"）恢复：{tables} 张表，共 " in restored.output and "；上传文件 1 个。" in restored.output
        assert re.search(r"^  branch +5 行$", restored.output, re.M)
        assert restored.output.endswith("请运行 arena points rebuild 按恢复的积分流水重建。\n")
        assert files(target.config["ARENA"].instance_path / "uploads") == files(uploads)

        again = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert again.exit_code == 2
        assert "错误 not_empty: 目标数据库不是空的：" in again.output
    finally:
        database(target).engine.dispose()


def test_backup_of_a_database_not_yet_migrated_exits_2(redis_url: str, tmp_path: Path) -> None:
    bare = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'bare.db'}", redis_url)
    try:
        result = bare.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.zip")])
    finally:
        database(bare).engine.dispose()
    assert result.exit_code == 2
    assert "错误 revision_mismatch: 数据库结构版本是 （未建表），本程序需要 " in result.output
    assert list(tmp_path.glob("*.zip")) == list(tmp_path.glob(".b.zip.*")) == []  # no partial file left
