"""blind box

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

党建盲盒 (issue 7): decks, draws with their proof, review decisions; members' login.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_deck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "task_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=40), nullable=True),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by", sa.String(length=40), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("proof_text", sa.Text(), nullable=False),
        sa.Column("proof_image", sa.String(length=80), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("points_awarded", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["deck_id"],
            ["task_deck.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task_draw", schema=None) as batch_op:
        batch_op.create_index("ix_task_draw_branch_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_draw_deck_id"), ["deck_id"], unique=False)
        batch_op.create_index("ix_task_draw_member_time", ["member_id", "drawn_at"], unique=False)

    op.create_table(
        "task_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=400), nullable=False),
        sa.Column("proof_text", sa.Text(), nullable=False),
        sa.Column("proof_image", sa.String(length=80), nullable=False),
        sa.Column("reviewer", sa.String(length=40), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["task_draw.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_review_draw_id"), ["draw_id"], unique=False)

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("login_code_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("login_code_expires", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("login_code_expires")
        batch_op.drop_column("login_code_hash")
        batch_op.drop_column("password_hash")

    with op.batch_alter_table("task_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_review_draw_id"))

    op.drop_table("task_review")
    with op.batch_alter_table("task_draw", schema=None) as batch_op:
        batch_op.drop_index("ix_task_draw_member_time")
        batch_op.drop_index(batch_op.f("ix_task_draw_deck_id"))
        batch_op.drop_index("ix_task_draw_branch_status")

    op.drop_table("task_draw")
    op.drop_table("task_deck")
