"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app.db_migrations import alembic_config, current, upgrade
from app.models import Base


def test_migrated_schema_matches_the_models(each_database_url: str) -> None:
    engine = create_engine(each_database_url)
    with engine.connect() as connection:
        differences: list[Any] = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
    head = ScriptDirectory.from_config(alembic_config(each_database_url)).get_current_head()
    assert current(each_database_url) == head


def test_upgrade_from_empty_creates_every_table(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) >= {
        "branch",
        "member",
        "question_bank",
        "question",
        "user_account",
        "alembic_version",
    }
    engine.dispose()
    upgrade(url)  # running it again changes nothing and does not fail


def test_arena_db_upgrade_command(runner: Any) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "数据库已是最新结构" in result.output
