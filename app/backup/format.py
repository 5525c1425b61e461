"""What a backup file holds, and what both sides check about it.

A zip with ``manifest.json`` (written last), ``tables/<table>.jsonl`` (one JSON object per
row, in primary-key order) and ``uploads/<name>`` (the proof photos). The tables are
every table of ``Base.metadata`` in dependency order, so a new model is backed up without
a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Table, inspect, text

from app.db_migrations import MIGRATIONS
from app.models import Base

FORMAT = "party-arena-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables/"
UPLOADS = "uploads/"
CHUNK = 1 << 20  # bytes read at a time from a photo or an entry of the zip
# A file name of the uploads folder we copy out and back in: one plain path component, so
# nothing in a zip can point outside the folder ("../x", "/etc/x", "a/b", "C:x", ".hidden").
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class BackupError(Exception):
    """A backup or restore refused as a whole, with a stable code and a zh-CN message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


SHA256 = r"^[0-9a-f]{64}$"


class TableEntry(BaseModel):
    name: str
    file: str
    columns: list[str]
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256)


class UploadEntry(BaseModel):
    name: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256)


class Manifest(BaseModel):
    """``manifest.json``: written last, read first."""

    format: str
    format_version: int
    app_version: str
    revision: str  # Alembic's: a backup restores only into a database of the same revision
    dialect: str  # where it came from (sqlite, postgresql); any may restore it
    created_at: str  # UTC, ISO 8601
    tables: list[TableEntry]  # in dependency order: parents before children
    uploads: list[UploadEntry]


@dataclass
class Summary:
    """What a backup holds (or a restore wrote): printed by the commands, read by tests."""

    path: str
    size: int
    revision: str
    created_at: str
    tables: dict[str, int] = field(default_factory=dict)  # name → rows, in dependency order
    uploads: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def table_entry(name: str) -> str:
    return f"{TABLES}{name}.jsonl"


def safe_upload_name(name: str) -> bool:
    return _SAFE_NAME.fullmatch(name) is not None


def code_revision() -> str:
    """The Alembic revision this program's models describe (the head of its migrations)."""
    from alembic.script import ScriptDirectory  # only backup and restore need alembic loaded

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "app/migrations has no revision"
    return head


def database_revision(connection: Connection) -> str | None:
    """The revision a database is migrated to (None: never migrated). Read directly:
    Alembic's MigrationContext logs its setup at INFO, noise in a command's output."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def app_version() -> str:
    try:
        return version("party-arena")
    except PackageNotFoundError:
        return "unknown"
