"""What forges' APIs said about repository links (issue 14): archived, canonical name, last push and
release, stars, and the ETag for the next conditional request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forge_repo",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("forge", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("canonical_url", sa.String(length=2048), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("last_release_at", sa.DateTime(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("evidence", sa.String(length=2000), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_forge_repo")),
    )


def downgrade() -> None:
    op.drop_table("forge_repo")
