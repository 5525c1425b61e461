"""danmaku walls

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

The danmaku wall: the filter word list, messages, Q&A questions, the moderation log (issue 6).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filter_word",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("word"),
    )
    op.create_table(
        "moderation_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wall_key", sa.String(length=40), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_entry_wall_key"), ["wall_key"], unique=False)

    op.create_table(
        "wall_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wall_key", sa.String(length=40), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("message_id", sa.String(length=20), nullable=False),
        sa.Column("player_key", sa.String(length=80), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("color", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wall_key", "message_id", name="uq_wall_message"),
    )
    with op.batch_alter_table("wall_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wall_message_wall_key"), ["wall_key"], unique=False)

    op.create_table(
        "wall_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wall_key", sa.String(length=40), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("question_id", sa.String(length=20), nullable=False),
        sa.Column("player_key", sa.String(length=80), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=400), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wall_key", "question_id", name="uq_wall_question"),
    )
    with op.batch_alter_table("wall_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wall_question_wall_key"), ["wall_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wall_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wall_question_wall_key"))

    op.drop_table("wall_question")
    with op.batch_alter_table("wall_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wall_message_wall_key"))

    op.drop_table("wall_message")
    with op.batch_alter_table("moderation_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_entry_wall_key"))

    op.drop_table("moderation_entry")
    op.drop_table("filter_word")
