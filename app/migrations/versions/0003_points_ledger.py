"""points ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The append-only points ledger, members' types and branch secretaries (issue 4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(
            sa.Column("member_type", sa.String(length=12), nullable=False, server_default="正式党员")
        )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("branch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_user_account_branch_id_branch", "branch", ["branch_id"], ["id"])
    op.create_table(
        "point_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("member_type", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["point_entry.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_point_entry_branch_id", "point_entry", ["branch_id"])
    op.create_index("ix_point_entry_occurred_at", "point_entry", ["occurred_at"])
    op.create_index("ix_point_entry_member_time", "point_entry", ["member_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("point_entry")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint("fk_user_account_branch_id_branch", type_="foreignkey")
        batch.drop_column("branch_id")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("member_type")
