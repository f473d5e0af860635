"""When each resource is next due for a check (issue 7's checking budget), indexed for due_resources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get NULL: "due now", so the first run after the upgrade checks everything once.
    with op.batch_alter_table("resource") as batch:
        batch.add_column(sa.Column("next_check_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_resource_next_check_at"), ["next_check_at"])


def downgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.drop_index(batch.f("ix_resource_next_check_at"))
        batch.drop_column("next_check_at")
