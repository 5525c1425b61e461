"""host accounts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Roles (issue 9): a contest or a scenario can be given to a host account, who may start it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("contest", "scenario"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("host_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(f"fk_{table}_host_id_user_account", "user_account", ["host_id"], ["id"])


def downgrade() -> None:
    for table in ("scenario", "contest"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_host_id_user_account", type_="foreignkey")
            batch.drop_column("host_id")
