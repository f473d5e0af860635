"""The verdicts on the links in the list's own text (its introduction, the sections' prose): a nullable
JSON column on check_run, one object per link checked in that run, [{"title": ..., "section": ...,
"resource": ..., "url": ..., "status": ..., "evidence": [...], ...}] (pipeline.status.Outcome.to_json()
with the link's title and where the list writes it). NULL: the run checked no such link.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_run") as batch:
        batch.add_column(sa.Column("links", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_run") as batch:
        batch.drop_column("links")
