"""A restore refuses, with a stable code and nothing written, whatever is wrong: a target
that is not empty or not migrated to the backup's revision, a damaged, truncated or altered
file, a name that would leave the uploads folder, a row that does not fit halfway through."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from app.backup.dump import make_backup
from app.backup.format import BackupError, code_revision
from app.backup.restore import restore_backup
from app.db_migrations import MIGRATIONS, upgrade
from app.extensions import Database
from app.models import Base, Branch
from tests.backup.fill import fill, read_back

GOOD = "good.zip"


@pytest.fixture(scope="module")
def good_backup(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One filled SQLite database's backup, shared by the tests (which only read it)."""
    folder = tmp_path_factory.mktemp("good-backup")
    shutil.copyfile(migrated_sqlite, folder / "source.db")
    db = Database(f"sqlite:///{folder / 'source.db'}")
    try:
        fill(db, folder / "uploads")
        make_backup(db.engine, folder / "uploads", folder / GOOD)
    finally:
        db.engine.dispose()
    return folder / GOOD


def rewrite(
    source: Path,
    target: Path,
    entries: dict[str, bytes | None] | None = None,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    rehash: bool = True,
) -> Path:
    """A copy of a backup with entries replaced, added or (None) dropped. With ``rehash``
    the manifest's checksums and row counts follow the new contents, so that what is tested
    is the check after the checksums."""
    with zipfile.ZipFile(source) as old:
        contents = {name: old.read(name) for name in old.namelist()}
    data = json.loads(contents.pop("manifest.json"))
    for name, body in (entries or {}).items():
        if body is None:
            del contents[name]
        else:
            contents[name] = body
    if rehash:
        for entry in data["tables"]:
            if entry["file"] in contents:
                entry["sha256"] = hashlib.sha256(contents[entry["file"]]).hexdigest()
                entry["rows"] = contents[entry["file"]].count(b"\n")
    if manifest:
        manifest(data)
    with zipfile.ZipFile(target, "w") as new:
        for name, body in contents.items():
            new.writestr(name, body)
        new.writestr("manifest.json", json.dumps(data, ensure_ascii=False))
    return target


def entry(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def refused(db: Database, uploads: Path, path: Path) -> BackupError:
    with pytest.raises(BackupError) as caught:
        restore_backup(db.engine, uploads, path)
    return caught.value


def assert_nothing_restored(db: Database, uploads: Path) -> None:
    assert {name: rows for name, rows in read_back(db.engine).items() if rows} == {}
    assert not uploads.exists() or list(uploads.iterdir()) == []  # no photo, no staging folder left


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_that_is_not_empty_is_refused_and_left_as_it_was(
    kind: str,
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    db = open_database(target_url(kind))
    with db.transaction() as session:
        session.add_all([Branch(name="已有支部"), Branch(name="另一个支部")])
    before = read_back(db.engine)

    error = refused(db, tmp_path / "uploads", good_backup)

    assert error.code == "not_empty"
    assert error.message == (
        "目标数据库不是空的：branch（2 行）。恢复只写入空数据库："
        "请新建一个数据库并运行 arena db upgrade 后再恢复。"
    )
    assert read_back(db.engine) == before
    assert not (tmp_path / "uploads").exists() or list((tmp_path / "uploads").iterdir()) == []


@pytest.mark.parametrize("migrated", ["previous", "never"])
def test_a_target_at_another_revision_is_refused(
    migrated: str, good_backup: Path, open_database: Callable[[str], Database], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(code_revision()).down_revision
    if migrated == "previous":
        upgrade(url, str(previous))

    error = refused(open_database(url), tmp_path / "uploads", good_backup)

    found = previous if migrated == "previous" else "（未建表）"
    assert (error.code, error.message) == (
        "revision_mismatch",
        f"目标数据库的结构版本是 {found}，备份需要 {code_revision()}：请先运行 arena db upgrade。",
    )


def test_a_backup_of_another_revision_is_refused(
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    def older(manifest: dict[str, Any]) -> None:
        manifest.update(revision="0001", app_version="0.0.9")

    db = open_database(target_url("sqlite"))
    error = refused(db, tmp_path / "uploads", rewrite(good_backup, tmp_path / "old.zip", manifest=older))

    assert (error.code, error.message) == (
        "revision_mismatch",
        f"备份来自数据库结构版本 0001（程序版本 0.0.9），本程序的版本是 {code_revision()}："
        "请用与备份相同版本的程序恢复，恢复后再升级。",
    )
    assert_nothing_restored(db, tmp_path / "uploads")


def _truncated(good: Path, path: Path) -> None:
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])


def _not_a_zip(good: Path, path: Path) -> None:
    path.write_bytes("姓名,工号\n张三,M001\n".encode())


def _no_manifest(good: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tables/branch.jsonl", entry(good, "tables/branch.jsonl"))


def _newer_format(good: Path, path: Path) -> None:
    rewrite(good, path, manifest=lambda manifest: manifest.update(format_version=2))


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (_truncated, "bad_zip"),
        (_not_a_zip, "bad_zip"),
        (_no_manifest, "bad_manifest"),
        (_newer_format, "unsupported_version"),
    ],
)
def test_a_file_that_is_no_whole_backup_is_refused(
    damage: Callable[[Path, Path], None],
    code: str,
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    db = open_database(target_url("sqlite"))
    damage(good_backup, tmp_path / "damaged.zip")

    assert refused(db, tmp_path / "uploads", tmp_path / "damaged.zip").code == code
    assert_nothing_restored(db, tmp_path / "uploads")


@pytest.mark.parametrize("what", ["table", "upload"])
def test_changed_contents_fail_the_checksum(
    what: str,
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    with zipfile.ZipFile(good_backup) as archive:
        photo = next(name for name in archive.namelist() if name.startswith("uploads/"))
    if what == "table":
        name, body = "tables/branch.jsonl", entry(good_backup, "tables/branch.jsonl")
        changed = body.replace("第一党支部".encode(), "第九党支部".encode())
    else:
        name, changed = photo, entry(good_backup, photo) + b"appended"
    assert changed != entry(good_backup, name)
    db = open_database(target_url("sqlite"))

    error = refused(
        db, tmp_path / "uploads", rewrite(good_backup, tmp_path / "x.zip", {name: changed}, rehash=False)
    )

    subject = "表 branch" if what == "table" else f"上传文件 {photo.removeprefix('uploads/')}"
    assert (error.code, error.message) == (
        "checksum_mismatch",
        f"{subject}的内容与清单中的校验值不符：文件已损坏或被改动，没有恢复任何数据。",
    )
    assert_nothing_restored(db, tmp_path / "uploads")


def test_a_missing_table_file_is_refused(
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    db = open_database(target_url("sqlite"))
    damaged = rewrite(good_backup, tmp_path / "x.zip", {"tables/member.jsonl": None})

    error = refused(db, tmp_path / "uploads", damaged)

    assert (error.code, error.message) == ("missing_entry", "备份文件不完整，缺少：tables/member.jsonl。")
    assert_nothing_restored(db, tmp_path / "uploads")


@pytest.mark.parametrize(
    ("listed", "code"), [(True, "unsafe_name"), (False, "unexpected_entry")], ids=["listed", "unlisted"]
)
def test_an_upload_named_outside_the_folder_is_refused(
    listed: bool,
    code: str,
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    evil = b"#!/bin/sh\necho owned\n"

    def list_it(manifest: dict[str, Any]) -> None:
        manifest["uploads"].append(
            {"name": "../evil", "size": len(evil), "sha256": hashlib.sha256(evil).hexdigest()}
        )

    damaged = rewrite(
        good_backup, tmp_path / "x.zip", {"uploads/../evil": evil}, manifest=list_it if listed else None
    )
    db = open_database(target_url("sqlite"))
    uploads = tmp_path / "instance" / "uploads"

    error = refused(db, uploads, damaged)

    assert error.code == code and "../evil" in error.message
    assert not (tmp_path / "instance" / "evil").exists()
    assert_nothing_restored(db, uploads)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("fault", ["value", "database"])
def test_a_bad_row_in_the_last_table_restores_nothing(
    fault: str,
    kind: str,
    good_backup: Path,
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    last = Base.metadata.sorted_tables[-1]
    name = f"tables/{last.name}.jsonl"
    lines = entry(good_backup, name).decode().splitlines(keepends=True)
    if fault == "value":  # caught while reading the file
        row = json.loads(lines[-1])
        lines[-1] = json.dumps({**row, "id": "abc"}, ensure_ascii=False) + "\n"
    else:  # refused by the database itself: the first row again, with its id
        lines.append(lines[0])
    damaged = rewrite(good_backup, tmp_path / "x.zip", {name: "".join(lines).encode()})
    db = open_database(target_url(kind))

    error = refused(db, tmp_path / "uploads", damaged)

    assert error.code == "bad_row"
    if fault == "value":
        assert (
            error.message == f"表 {last.name} 第 {len(lines)} 行无法恢复：列 id 应为整数。没有恢复任何数据。"
        )
    else:
        assert error.message.startswith(f"表 {last.name} 第 1–{len(lines)} 行无法恢复：数据库拒绝写入：")
    assert_nothing_restored(db, tmp_path / "uploads")
