"""A list-neutral catalogue (issue 12): the fields only a roadmap has become optional, and the fields an
imported list adds (secondary links, tags, table fields, nesting, verbatim prose) are kept in one JSON
column per row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, type) of the resource fields that a list's features make required or leave out.
FEATURE_COLUMNS = (
    ("description", sa.String(length=4000)),
    ("medium", sa.String(length=32)),
    ("cost", sa.String(length=32)),
    ("provider", sa.String(length=300)),
    ("origin", sa.String(length=16)),
    ("added", sa.String(length=10)),
)


def upgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        for name, kind in FEATURE_COLUMNS:
            batch.alter_column(name, existing_type=kind, nullable=True)
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
    with op.batch_alter_table("section") as batch:
        batch.alter_column(
            "title", existing_type=sa.String(length=200), type_=sa.String(length=300), existing_nullable=False
        )
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Rows of an imported list without these fields cannot go back to NOT NULL: they get "" first.
    with op.batch_alter_table("section") as batch:
        batch.drop_column("extra")
        batch.alter_column(
            "title", existing_type=sa.String(length=300), type_=sa.String(length=200), existing_nullable=False
        )
    resource = sa.table("resource", *(sa.column(name) for name, _ in FEATURE_COLUMNS))
    for name, _ in FEATURE_COLUMNS:
        op.execute(resource.update().where(resource.c[name].is_(None)).values({name: ""}))
    with op.batch_alter_table("resource") as batch:
        batch.drop_column("extra")
        for name, kind in FEATURE_COLUMNS:
            batch.alter_column(name, existing_type=kind, nullable=False)
