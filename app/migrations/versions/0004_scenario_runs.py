"""scenario runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Scenarios (红色剧本杀), their runs, players and checkpoint answers (issue 5).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("review_status", sa.String(length=10), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "scenario_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("props_per_group", sa.Boolean(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scenario_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_run_scenario_id"), ["scenario_id"], unique=False)

    op.create_table(
        "scenario_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("player_key", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["scenario_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "player_key", "checkpoint", name="uq_scenario_answer"),
    )
    with op.batch_alter_table("scenario_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_answer_run_id"), ["run_id"], unique=False)

    op.create_table(
        "scenario_player",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("player_key", sa.String(length=64), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=False),
        sa.Column("member_no", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("group_index", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("clues_found", sa.Integer(), nullable=False),
        sa.Column("checkpoints_answered", sa.Integer(), nullable=False),
        sa.Column("checkpoints_correct", sa.Integer(), nullable=False),
        sa.Column("vote", sa.String(length=40), nullable=True),
        sa.Column("deduction_correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(["run_id"], ["scenario_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "player_key", name="uq_scenario_player"),
    )
    with op.batch_alter_table("scenario_player", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_player_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scenario_player_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scenario_player", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_player_run_id"))
        batch_op.drop_index(batch_op.f("ix_scenario_player_member_id"))

    op.drop_table("scenario_player")
    with op.batch_alter_table("scenario_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_answer_run_id"))

    op.drop_table("scenario_answer")
    with op.batch_alter_table("scenario_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_run_scenario_id"))

    op.drop_table("scenario_run")
    op.drop_table("scenario")
