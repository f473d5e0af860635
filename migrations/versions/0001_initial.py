"""The store: catalogue (sections, resources), check runs, check results, health summary.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_run")),
    )
    op.create_index(op.f("ix_check_run_started_at"), "check_run", ["started_at"])

    op.create_table(
        "section",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("introduction", sa.JSON(), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_changed", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
    )

    op.create_table(
        "resource",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("section_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("awaiting_url", sa.String(length=1000), nullable=True),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("medium", sa.String(length=32), nullable=False),
        sa.Column("cost", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=300), nullable=False),
        sa.Column("effort", sa.String(length=200), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("added", sa.String(length=10), nullable=False),
        sa.Column("quality_exceptions", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_changed", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"], name=op.f("fk_resource_section_id_section")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    op.create_index(op.f("ix_resource_retired_at"), "resource", ["retired_at"])
    op.create_index(op.f("ix_resource_section_id"), "resource", ["section_id"])

    op.create_table(
        "check_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2048), nullable=True),
        sa.Column("redirect_chain", sa.JSON(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("error_class", sa.String(length=64), nullable=True),
        sa.Column("error_detail", sa.String(length=2000), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("network_failure", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_check_result_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["check_run.id"], name=op.f("fk_check_result_run_id_check_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_result")),
        sa.UniqueConstraint("run_id", "resource_id", name=op.f("uq_check_result_run_id_resource_id")),
    )
    op.create_index("ix_check_result_resource_checked", "check_result", ["resource_id", "checked_at"])
    op.create_index(op.f("ix_check_result_run_id"), "check_result", ["run_id"])

    op.create_table(
        "resource_health",
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("final_url", sa.String(length=2048), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("seeded_uptime", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["check_run.id"], name=op.f("fk_resource_health_last_run_id_check_run")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_resource_health_resource_id_resource")
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_resource_health")),
    )


def downgrade() -> None:
    op.drop_table("resource_health")
    op.drop_index(op.f("ix_check_result_run_id"), table_name="check_result")
    op.drop_index("ix_check_result_resource_checked", table_name="check_result")
    op.drop_table("check_result")
    op.drop_index(op.f("ix_resource_section_id"), table_name="resource")
    op.drop_index(op.f("ix_resource_retired_at"), table_name="resource")
    op.drop_table("resource")
    op.drop_table("section")
    op.drop_index(op.f("ix_check_run_started_at"), table_name="check_run")
    op.drop_table("check_run")
