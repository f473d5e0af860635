"""Seed the health summary of a new database from the published export (state between runs on a runner
that keeps nothing).

The database is the memory (kept in the CI cache); the committed `exports/roadmap.json` carries every
resource's health summary as published. When the database is new (a fresh clone, an evicted cache), the
store is seeded from that export (rows marked `seeded`), so the first run continues every failure streak
instead of starting from nothing: a link broken for weeks stays broken, one failing once becomes broken
on its second failure, and nothing is reported as newly broken just because the memory was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from pipeline.publish.data import read_export, summaries_from_export
from pipeline.store.health import health_t, run_t, seed_health


@dataclass(frozen=True)
class SeedReport:
    seeded: int  # resources whose health was restored from the export
    source: Path | None  # the export read (None: nothing to seed, or nothing needed)
    reason: str  # why it was or was not seeded, for the summary


def store_is_empty(engine: Engine) -> bool:
    """No run and no health recorded: the database was just created."""
    with engine.connect() as connection:
        runs = connection.execute(select(func.count()).select_from(run_t)).scalar_one()
        health = connection.execute(select(func.count()).select_from(health_t)).scalar_one()
    return runs == 0 and health == 0


def seed_from_export(engine: Engine, export_path: Path) -> SeedReport:
    """Seed the health summary from the published export, only when the store has no history at all.

    Call after sync (seeding only touches resources the store knows). An unreadable or foreign export is
    not an error: the run then simply starts from nothing, and the summary says so.
    """
    if not store_is_empty(engine):
        return SeedReport(0, None, "the database has its own history")
    document, why_not = read_export(export_path)
    if document is None:
        return SeedReport(0, export_path if export_path.is_file() else None, f"new database; {why_not}")
    count = seed_health(engine, summaries_from_export(document).values())
    return SeedReport(
        count, export_path, f"new database: health of {count} resources restored from {export_path}"
    )
