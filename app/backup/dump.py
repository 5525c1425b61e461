"""``arena backup``: every table from one consistent snapshot, then the uploads, into a zip
that appears under its name only once it is complete."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, select

from app.backup.codec import encode_row, table_codecs
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
    UploadEntry,
    app_version,
    code_revision,
    database_revision,
    safe_upload_name,
    table_entry,
    tables,
)

BATCH = 1000  # rows fetched at a time: a big table never sits in memory whole


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction, so that every table is read as of the same moment while the
    app keeps writing (a ledger entry and the game it credits are both in, or both out)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            if engine.dialect.name == "sqlite":
                # pysqlite starts no transaction for a SELECT: each would see its own moment.
                # In WAL mode this read transaction holds one snapshot and blocks no writer.
                connection.exec_driver_sql("BEGIN")
            yield connection


def upload_files(uploads: Path) -> list[Path]:
    """The files a backup takes from the uploads folder: plain files with plain names
    (a photo being written is a hidden ``.name.tmp`` and is left out)."""
    if not uploads.is_dir():
        return []
    return sorted(
        path
        for path in uploads.iterdir()
        if safe_upload_name(path.name) and path.is_file() and not path.is_symlink()
    )


def make_backup(engine: Engine, uploads: Path, target: Path) -> Summary:
    """Write the backup to ``target`` (replacing an older file only once the new one is
    complete). Raises BackupError."""
    revision = code_revision()
    created_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # In the target's folder, so the final rename stays on one file system; mode 0600,
    # since a backup holds password hashes and phone numbers.
    handle = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                with snapshot(engine) as connection:
                    found = database_revision(connection)
                    if found != revision:
                        raise BackupError(
                            "revision_mismatch",
                            f"数据库结构版本是 {found or '（未建表）'}，本程序需要 {revision}："
                            "请先运行 arena db upgrade，或用与数据库相同版本的程序备份。",
                        )
                    listed = [_dump_table(connection, table, archive) for table in tables()]
                files = [_dump_upload(path, archive) for path in upload_files(uploads)]
                manifest = Manifest(
                    format=FORMAT,
                    format_version=FORMAT_VERSION,
                    app_version=app_version(),
                    revision=revision,
                    dialect=engine.dialect.name,
                    created_at=created_at,
                    tables=listed,
                    uploads=files,
                )
                archive.writestr(MANIFEST, manifest.model_dump_json(indent=2))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Summary(
        path=str(target),
        size=target.stat().st_size,
        revision=revision,
        created_at=created_at,
        tables={entry.name: entry.rows for entry in listed},
        uploads=len(files),
    )


def _dump_table(connection: Connection, table: Table, archive: zipfile.ZipFile) -> TableEntry:
    codecs = table_codecs(table)
    query = select(*(codec.selected for codec in codecs)).order_by(*table.primary_key.columns)
    digest = hashlib.sha256()
    rows = 0
    # force_zip64: the entry's size is unknown until it is written, and may pass 2 GiB.
    with archive.open(table_entry(table.name), "w", force_zip64=True) as out:
        # yield_per: a server-side cursor on PostgreSQL, fetched BATCH rows at a time.
        for row in connection.execution_options(yield_per=BATCH).execute(query):
            try:
                line = json.dumps(encode_row(codecs, row), ensure_ascii=False, separators=(",", ":"))
            except TypeError as error:
                raise BackupError(
                    "unsupported_value", f"表 {table.name} 中有无法写入备份的值：{error}"
                ) from None
            data = (line + "\n").encode("utf-8")
            out.write(data)
            digest.update(data)
            rows += 1
    return TableEntry(
        name=table.name,
        file=table_entry(table.name),
        columns=[codec.name for codec in codecs],
        rows=rows,
        sha256=digest.hexdigest(),
    )


def _dump_upload(path: Path, archive: zipfile.ZipFile) -> UploadEntry:
    digest = hashlib.sha256()
    size = 0
    # Photos are JPEG already: stored, not compressed again.
    with (
        path.open("rb") as source,
        archive.open(zipfile.ZipInfo(UPLOADS + path.name), "w", force_zip64=True) as out,
    ):
        while chunk := source.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return UploadEntry(name=path.name, size=size, sha256=digest.hexdigest())
