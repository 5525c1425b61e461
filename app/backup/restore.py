"""``arena restore``: a backup into an empty database of the same revision, all or nothing.

The file is checked whole first (manifest, names, every checksum) before the database is
touched; then every table is written in one transaction, which a row that does not fit
rolls back entirely; the uploads are staged beside the folder and moved in after the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Integer, Table, func, select, text
from sqlalchemy.exc import StatementError

from app.backup.codec import RowError, decode_row, table_codecs
from app.backup.format import (
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    UPLOADS,
    BackupError,
    Manifest,
    Summary,
    TableEntry,
    code_revision,
    database_revision,
    safe_upload_name,
    table_entry,
    tables,
)

BATCH = 1000  # rows per INSERT: the file is read line by line, never whole
MAX_MANIFEST = 16 << 20


def restore_backup(engine: Engine, uploads: Path, source: Path) -> Summary:
    """Restore ``source`` into the empty database behind ``engine`` and the ``uploads``
    folder. Raises BackupError; on any error nothing is written."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise _damaged() from None
    with archive:
        manifest = _read_manifest(archive)
        plan = _plan(archive, manifest)
        with _reading():
            for table, entry in plan:
                _verify(archive, entry.file, entry.sha256, f"表 {table.name}", rows=entry.rows)
            for upload in manifest.uploads:
                _verify(archive, UPLOADS + upload.name, upload.sha256, f"上传文件 {upload.name}")
        staging = uploads / f".restore-{secrets.token_hex(8)}"
        try:
            with engine.connect() as connection, connection.begin(), _reading():
                _check_target(connection, manifest.revision)
                counts = {table.name: _load_table(connection, archive, table, entry) for table, entry in plan}
                _reset_sequences(connection)
                _stage_uploads(archive, manifest, staging)
            _publish(manifest, staging, uploads)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Summary(
        path=str(source),
        size=source.stat().st_size,
        revision=manifest.revision,
        created_at=manifest.created_at,
        tables=counts,
        uploads=len(manifest.uploads),
    )


def _damaged() -> BackupError:
    return BackupError("bad_zip", "备份文件已损坏或不完整（不是完整的 zip 文件），没有恢复任何数据。")


@contextmanager
def _reading() -> Iterator[None]:
    """A zip damaged past its directory shows only when an entry is read (CRC, inflate)."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise _damaged() from None


def _read_manifest(archive: zipfile.ZipFile) -> Manifest:
    not_ours = BackupError("bad_manifest", "文件中没有有效的 manifest.json：这不是本程序生成的备份。")
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise not_ours from None
    if info.file_size > MAX_MANIFEST:
        raise not_ours
    with _reading():
        data = archive.read(info)
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise not_ours from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise not_ours
    if raw.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            "unsupported_version",
            f"备份文件格式版本是 {raw.get('format_version')}，本程序只能读取版本 {FORMAT_VERSION}："
            "请用生成该备份的程序版本恢复。",
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError:
        raise not_ours from None


def _plan(archive: zipfile.ZipFile, manifest: Manifest) -> list[tuple[Table, TableEntry]]:
    """Match the manifest with this program's tables and the zip's entries; refuse anything
    the manifest does not account for."""
    revision = code_revision()
    if manifest.revision != revision:
        raise BackupError(
            "revision_mismatch",
            f"备份来自数据库结构版本 {manifest.revision}（程序版本 {manifest.app_version}），"
            f"本程序的版本是 {revision}：请用与备份相同版本的程序恢复，恢复后再升级。",
        )
    listed = {entry.name: entry for entry in manifest.tables}
    known = {table.name: table for table in tables()}
    if len(listed) != len(manifest.tables):
        raise BackupError("bad_manifest", "manifest.json 中有重复的表。")
    if set(listed) != set(known):
        missing = ", ".join(sorted(set(known) - set(listed))) or "无"
        extra = ", ".join(sorted(set(listed) - set(known))) or "无"
        raise BackupError("schema_mismatch", f"备份中的表与本程序不符：缺少 {missing}；多出 {extra}。")
    plan = []
    for table in tables():
        entry = listed[table.name]
        if set(entry.columns) != set(table.columns.keys()) or len(entry.columns) != len(table.columns):
            raise BackupError("schema_mismatch", f"备份中表 {table.name} 的列与本程序不符。")
        if entry.file != table_entry(table.name):
            raise BackupError("bad_manifest", f"manifest.json 中表 {table.name} 的文件名不对。")
        plan.append((table, entry))
    names = [upload.name for upload in manifest.uploads]
    unsafe = [name for name in names if not safe_upload_name(name)]
    if unsafe:
        raise BackupError("unsafe_name", f"备份中有不安全的上传文件名：{', '.join(unsafe)}，已拒绝恢复。")
    expected = {MANIFEST, *(entry.file for _table, entry in plan), *(UPLOADS + name for name in names)}
    present = archive.namelist()
    if len(set(names)) != len(names) or len(set(present)) != len(present):
        raise BackupError("unexpected_entry", "备份文件中有重复的条目，已拒绝恢复。")
    if set(present) - expected:
        extra = ", ".join(sorted(set(present) - expected))
        raise BackupError("unexpected_entry", f"备份文件中有清单以外的条目：{extra}，已拒绝恢复。")
    if expected - set(present):
        missing = ", ".join(sorted(expected - set(present)))
        raise BackupError("missing_entry", f"备份文件不完整，缺少：{missing}。")
    return plan


def _verify(archive: zipfile.ZipFile, name: str, sha256: str, what: str, rows: int | None = None) -> None:
    digest = hashlib.sha256()
    lines = 0
    with archive.open(name) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    if digest.hexdigest() != sha256 or (rows is not None and lines != rows):
        raise BackupError(
            "checksum_mismatch", f"{what}的内容与清单中的校验值不符：文件已损坏或被改动，没有恢复任何数据。"
        )


def _check_target(connection: Connection, revision: str) -> None:
    found = database_revision(connection)
    if found != revision:
        raise BackupError(
            "revision_mismatch",
            f"目标数据库的结构版本是 {found or '（未建表）'}，备份需要 {revision}："
            "请先运行 arena db upgrade。",
        )
    if connection.dialect.name == "sqlite":
        # Take the write lock now: nobody may write between the emptiness check and the restore.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.format_table(table) for table in tables())
        connection.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
    filled = []
    for table in tables():
        rows = connection.scalar(select(func.count()).select_from(table))
        if rows:
            filled.append(f"{table.name}（{rows} 行）")
    if filled:
        raise BackupError(
            "not_empty",
            f"目标数据库不是空的：{'、'.join(filled)}。恢复只写入空数据库："
            "请新建一个数据库并运行 arena db upgrade 后再恢复。",
        )


def _load_table(connection: Connection, archive: zipfile.ZipFile, table: Table, entry: TableEntry) -> int:
    codecs = table_codecs(table)
    batch: list[dict[str, Any]] = []
    first = 1
    number = 0
    with archive.open(entry.file) as stream:
        for number, line in enumerate(stream, start=1):
            try:
                batch.append(decode_row(codecs, json.loads(line)))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise _bad_row(table, number, "不是有效的 JSON") from None
            except RowError as error:
                raise _bad_row(table, number, str(error)) from None
            if len(batch) == BATCH:
                _insert(connection, table, batch, first, number)
                batch, first = [], number + 1
    if batch:
        _insert(connection, table, batch, first, number)
    return number


def _insert(connection: Connection, table: Table, batch: list[dict[str, Any]], first: int, last: int) -> None:
    try:
        connection.execute(table.insert(), batch)
    except StatementError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        lines = str(first) if first == last else f"{first}–{last}"
        raise _bad_row(table, lines, f"数据库拒绝写入：{reason}") from None


def _bad_row(table: Table, line: int | str, reason: str) -> BackupError:
    return BackupError("bad_row", f"表 {table.name} 第 {line} 行无法恢复：{reason}。没有恢复任何数据。")


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from a sequence that rows inserted with their ids did not
    move: set each to the table's largest id, or the first new row would collide."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the next id from the largest one in the table
    preparer = connection.dialect.identifier_preparer
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = preparer.quote(keys[0].name)
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"coalesce(max({column}), 0) + 1, false) FROM {preparer.format_table(table)}"
            ),
            {"table": preparer.format_table(table), "column": keys[0].name},
        )


def _stage_uploads(archive: zipfile.ZipFile, manifest: Manifest, staging: Path) -> None:
    """The photos into a hidden folder beside their place, inside the transaction: a full
    disk fails the restore before the commit."""
    staging.mkdir(parents=True)
    for upload in manifest.uploads:
        with archive.open(UPLOADS + upload.name) as source, (staging / upload.name).open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)


def _publish(manifest: Manifest, staging: Path, uploads: Path) -> None:
    try:
        for upload in manifest.uploads:
            os.replace(staging / upload.name, uploads / upload.name)
    except OSError as error:
        raise BackupError(
            "uploads_failed",
            f"数据库已恢复，但上传文件没能全部放回 {uploads}：{error}。请检查目录权限后重新恢复到新数据库。",
        ) from None
