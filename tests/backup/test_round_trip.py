"""A backup of every table restores into an empty database exactly, column by column, on
SQLite, on PostgreSQL, and across the two (the move from the embedded default to production)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from app.backup.dump import make_backup
from app.backup.format import code_revision
from app.backup.restore import restore_backup
from app.extensions import Database
from app.models import Base
from tests.backup.fill import files, fill, read_back, synthetic_rows


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql"), ("postgresql", "sqlite")],
)
def test_every_table_restores_column_by_column(
    source_kind: str,
    target_kind: str,
    source_url: Callable[[str], str],
    target_url: Callable[[str], str],
    open_database: Callable[[str], Database],
    tmp_path: Path,
) -> None:
    source, source_uploads = open_database(source_url(source_kind)), tmp_path / "source-uploads"
    target, target_uploads = open_database(target_url(target_kind)), tmp_path / "target-uploads"
    fill(source, source_uploads)
    before = read_back(source.engine)
    every_table = [table.name for table in Base.metadata.sorted_tables]
    # Every table of the models has rows, so a table the backup left out cannot pass unseen.
    assert [name for name in every_table if len(before[name]) < 3] == []

    made = make_backup(source.engine, source_uploads, tmp_path / "arena.zip")

    assert list(made.tables) == every_table
    assert made.tables == {name: len(rows) for name, rows in before.items()}
    assert made.uploads == 1 and made.revision == code_revision()
    with zipfile.ZipFile(tmp_path / "arena.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["format"], manifest["format_version"], manifest["dialect"]) == (
        "party-arena-backup",
        1,
        source_kind,
    )
    assert [entry["name"] for entry in manifest["tables"]] == every_table

    restored = restore_backup(target.engine, target_uploads, tmp_path / "arena.zip")

    assert restored.tables == made.tables
    after = read_back(target.engine)
    for name in every_table:
        assert after[name] == before[name], name
    assert files(target_uploads) == files(source_uploads) != {}
    # New rows after a restore get fresh ids: PostgreSQL's sequences were moved past the ids.
    with target.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            (key,) = table.primary_key.columns
            largest = connection.scalar(select(func.max(key)))
            new_id = connection.execute(
                insert(table).returning(key), synthetic_rows(connection, table, 1)[0]
            ).scalar_one()
            assert new_id == largest + 1, table.name
