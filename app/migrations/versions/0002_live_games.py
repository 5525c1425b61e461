"""live games

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Contests and finished live games with their players and answers (issue 3).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "game",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_key", sa.String(length=40), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("questions_played", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contest.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("live_key"),
    )
    with op.batch_alter_table("game", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_game_contest_id"), ["contest_id"], unique=False)

    op.create_table(
        "game_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("player_key", sa.String(length=64), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "player_key", "question_index", name="uq_game_answer"),
    )
    with op.batch_alter_table("game_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_game_answer_game_id"), ["game_id"], unique=False)

    op.create_table(
        "game_player",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("player_key", sa.String(length=64), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=60), nullable=False),
        sa.Column("member_no", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("correct_count", sa.Integer(), nullable=False),
        sa.Column("correct_time_ms", sa.Integer(), nullable=False),
        sa.Column("answered_count", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("kicked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "player_key", name="uq_game_player"),
    )
    with op.batch_alter_table("game_player", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_game_player_game_id"), ["game_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_game_player_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("game_player", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_game_player_member_id"))
        batch_op.drop_index(batch_op.f("ix_game_player_game_id"))

    op.drop_table("game_player")
    with op.batch_alter_table("game_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_game_answer_game_id"))

    op.drop_table("game_answer")
    with op.batch_alter_table("game", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_game_contest_id"))

    op.drop_table("game")
    op.drop_table("contest")
