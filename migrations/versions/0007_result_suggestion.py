"""A checked repair suggestion for a dead link (issue 14 §2): a nullable JSON column on check_result,
{"kind": "twin" | "slash" | "archive", "url": ..., "detail": ..., "snapshot_at": ...}.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_result") as batch:
        batch.add_column(sa.Column("suggestion", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_result") as batch:
        batch.drop_column("suggestion")
