"""The verdicts on a resource's secondary links (an imported list's "Demo", "Source Code", ...): a
nullable JSON column on check_result, one object per link checked in that run,
[{"title": ..., "target": ..., "status": ..., "evidence": [...], ...}] (pipeline.status.Outcome.to_json()
with the link's title and target). NULL: the resource has no link to check.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_result") as batch:
        batch.add_column(sa.Column("links", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_result") as batch:
        batch.drop_column("links")
