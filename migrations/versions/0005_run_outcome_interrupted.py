"""A run stopped by a signal is concluded "interrupted" (was "partial"): one name for it everywhere.

A data-only change: check_run.outcome keeps its type; rows written by an older version are renamed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old: str, new: str) -> None:
    op.execute(
        sa.text("UPDATE check_run SET outcome = :new WHERE outcome = :old").bindparams(old=old, new=new)
    )


def upgrade() -> None:
    _rename("partial", "interrupted")


def downgrade() -> None:
    _rename("interrupted", "partial")
