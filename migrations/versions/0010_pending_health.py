"""A run's conclusion that copies rows instead of folding every result (issue 13).

- pending_health: a running run's results already folded, per result recorded: the summary and next check
  it gives and what the fold read, so that concluding a run of 100,000 results is a few set-based
  statements (pipeline.store.health.apply_run). Only running runs have rows.
- next_check_at moves from resource to resource_health (same values, same index), so that a conclusion
  writes one table and not the wide resource rows too. A resource with no summary has no next check: it is
  due now, as a NULL said before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_health",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("network_failure", sa.Boolean(), nullable=False),
        sa.Column("base_run_id", sa.Integer(), nullable=True),
        sa.Column("base_checked_at", sa.DateTime(), nullable=True),
        sa.Column("base_seeded", sa.Boolean(), nullable=True),
        sa.Column("base_next_check_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("final_url", sa.String(length=2048), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_pending_health_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["check_run.id"], name=op.f("fk_pending_health_run_id_check_run")
        ),
        sa.PrimaryKeyConstraint("run_id", "resource_id", name=op.f("pk_pending_health")),
    )
    with op.batch_alter_table("resource_health") as batch:
        batch.add_column(sa.Column("next_check_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_resource_health_next_check_at"), ["next_check_at"])
    op.execute(
        "UPDATE resource_health SET next_check_at = "
        "(SELECT resource.next_check_at FROM resource WHERE resource.id = resource_health.resource_id)"
    )
    with op.batch_alter_table("resource") as batch:
        batch.drop_index(batch.f("ix_resource_next_check_at"))
        batch.drop_column("next_check_at")


def downgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.add_column(sa.Column("next_check_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_resource_next_check_at"), ["next_check_at"])
    op.execute(
        "UPDATE resource SET next_check_at = (SELECT resource_health.next_check_at FROM resource_health "
        "WHERE resource_health.resource_id = resource.id)"
    )
    with op.batch_alter_table("resource_health") as batch:
        batch.drop_index(batch.f("ix_resource_health_next_check_at"))
        batch.drop_column("next_check_at")
    op.drop_table("pending_health")
