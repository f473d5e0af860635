"""Tables of the store. Alembic migrations in migrations/ create and change them; nothing calls
`SQLModel.metadata.create_all` outside tests of the migrations themselves.

Times are naive UTC (pipeline.clock). JSON columns hold lists/dicts that are only ever read whole.
Portable SQL only: these tables run unchanged on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Float, Index, LargeBinary, Table, Unicode, UniqueConstraint
from sqlmodel import Field, SQLModel

# Naming convention so alembic batch mode (SQLite) and PostgreSQL agree on constraint names.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# sqlmodel maps `datetime` to an aware-only type; we store naive UTC (pipeline.clock), so say so per column.
NAIVE = DateTime(timezone=False)


class SectionRow(SQLModel, table=True):
    __tablename__ = "section"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=300)
    position: int
    kind: str = Field(max_length=16)
    stage: int | None = None
    introduction: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    goals: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    coverage: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # An imported list's own section fields (level, prose, table), only when set. Added by revision 0006.
    extra: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    first_seen: datetime = Field(sa_type=NAIVE)
    last_changed: datetime = Field(sa_type=NAIVE)
    retired_at: datetime | None = Field(default=None, sa_type=NAIVE)


class ResourceRow(SQLModel, table=True):
    __tablename__ = "resource"

    id: str = Field(primary_key=True, max_length=100)
    section_id: str = Field(foreign_key="section.id", index=True, max_length=64)
    position: int
    title: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=2048)
    awaiting_url: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=4000)
    medium: str | None = Field(default=None, max_length=32)
    cost: str | None = Field(default=None, max_length=32)
    provider: str | None = Field(default=None, max_length=300)
    effort: str | None = Field(default=None, max_length=200)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    origin: str | None = Field(default=None, max_length=16)
    added: str | None = Field(default=None, max_length=10)
    quality_exceptions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # An imported list's own fields (links, tags, fields, parent, ...), only when set. Revision 0006.
    extra: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    content_hash: str = Field(max_length=64)  # of every catalogue field: sync compares this, nothing else
    first_seen: datetime = Field(sa_type=NAIVE)
    last_changed: datetime = Field(sa_type=NAIVE)
    retired_at: datetime | None = Field(default=None, index=True, sa_type=NAIVE)


class CheckRun(SQLModel, table=True):
    __tablename__ = "check_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(index=True, sa_type=NAIVE)
    finished_at: datetime | None = Field(default=None, sa_type=NAIVE)
    trigger: str = Field(max_length=16)  # manual | nightly | scheduled
    outcome: str = Field(max_length=16)  # running | complete | interrupted | inconclusive | aborted
    total: int = 0  # resources planned
    checked: int = 0  # results written
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # per status
    note: str | None = Field(default=None, max_length=2000)  # e.g. why the run is inconclusive
    # The verdicts on the links in the list's own text (introduction, sections' prose), revision 0009:
    # [{"title", "section", "resource", **Outcome.to_json()}]; None: the run checked none.
    links: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class CheckResult(SQLModel, table=True):
    __tablename__ = "check_result"
    __table_args__ = (
        UniqueConstraint("run_id", "resource_id"),
        Index("ix_check_result_resource_checked", "resource_id", "checked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="check_run.id", index=True)
    resource_id: str = Field(foreign_key="resource.id", max_length=100)
    checked_at: datetime = Field(sa_type=NAIVE)
    url: str = Field(max_length=2048)  # the URL that was checked
    status: str = Field(max_length=20)  # a pipeline.status.Status value
    http_status: int | None = None  # of the last response
    final_url: str | None = Field(default=None, max_length=2048)
    redirect_chain: list[dict[str, Any]] = Field(  # [{"url": ..., "status": 301, "location": ...}, ...]
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    elapsed_ms: int | None = None
    error_class: str | None = Field(default=None, max_length=64)  # e.g. "dns", "connect", "read_timeout"
    error_detail: str | None = Field(default=None, max_length=2000)
    evidence: list[dict[str, Any]] = Field(  # [{"rule": "title-not-found", "detail": "..."}]
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    fingerprint: str | None = Field(default=None, max_length=64)  # hash of the body prefix read
    network_failure: bool = False  # failed below HTTP: counts towards "network down"
    # A checked repair for a failing link (pipeline.status.Suggestion.to_json()); added by revision 0007.
    suggestion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The verdicts on the resource's secondary links checked in this run (pipeline.status.LinkVerdict
    # .to_json() each); None when it has none. Added by revision 0008.
    links: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ResourceHealth(SQLModel, table=True):
    """Per-resource summary, updated in the transaction that concludes the run whose results it applies.

    Derived data kept for fast reads; `pipeline.store.health.rebuild_health` recomputes it from
    check_result (the source of truth) and tests assert the two agree.
    """

    __tablename__ = "resource_health"

    resource_id: str = Field(foreign_key="resource.id", primary_key=True, max_length=100)
    status: str = Field(max_length=20)  # of the latest applied result (blocked and skipped included)
    checked_at: datetime = Field(sa_type=NAIVE)
    last_ok_at: datetime | None = Field(default=None, sa_type=NAIVE)
    failing_since: datetime | None = Field(default=None, sa_type=NAIVE)  # first failing check of the streak
    consecutive_failures: int = 0
    final_url: str | None = Field(default=None, max_length=2048)
    http_status: int | None = None
    last_run_id: int | None = Field(default=None, foreign_key="check_run.id")
    seeded: bool = False  # restored from a published export, not from our own results
    seeded_uptime: float | None = None  # uptime carried over from that export
    # When the resource is due again (issue 7's checking budget); None, or no row: due now. Revision 0002
    # added it to resource, revision 0010 moved it here: a run's conclusion writes one table, not two.
    next_check_at: datetime | None = Field(default=None, index=True, sa_type=NAIVE)


class PendingHealth(SQLModel, table=True):
    """A running run's results already folded into the summary and schedule they will give (revision 0010).

    Each batch of results is folded as it is recorded (pipeline.store.runs.record_results), from the summary
    and schedule as they stood then (the base_ columns), so that concluding a run copies its rows into
    resource_health in two statements instead of folding 100,000 results one by one while the user waits.
    A resource whose summary or schedule moved since (another run concluded, a rebuild, a restore, a sync)
    is folded again from its result at the conclusion. Every conclusion deletes the run's rows: only a
    running run has any.
    """

    __tablename__ = "pending_health"

    run_id: int = Field(foreign_key="check_run.id", primary_key=True)
    resource_id: str = Field(foreign_key="resource.id", primary_key=True, max_length=100)
    network_failure: bool = False  # not applied when the run is interrupted (pipeline.status.judged)
    # What the fold read: resource_health's last_run_id, checked_at, seeded and next_check_at (all None:
    # no row yet).
    base_run_id: int | None = None
    base_checked_at: datetime | None = Field(default=None, sa_type=NAIVE)
    base_seeded: bool | None = None
    base_next_check_at: datetime | None = Field(default=None, sa_type=NAIVE)
    # The summary the result gives (resource_health's columns; last_run_id is run_id) and the next check.
    status: str = Field(max_length=20)
    checked_at: datetime = Field(sa_type=NAIVE)
    last_ok_at: datetime | None = Field(default=None, sa_type=NAIVE)
    failing_since: datetime | None = Field(default=None, sa_type=NAIVE)
    consecutive_failures: int = 0
    final_url: str | None = Field(default=None, max_length=2048)
    http_status: int | None = None
    next_check_at: datetime = Field(sa_type=NAIVE)


# APScheduler's job table (`roadmap schedule` keeps its one job here). APScheduler reads and writes it;
# it is described here, exactly as APScheduler 3.x defines it, only so that migration 0003 creates it and
# autogenerate finds the models and the migrations in agreement.
scheduler_jobs_t = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class ForgeRepo(SQLModel, table=True):
    """What a forge's API last said about a repository link (issue 14), one row per listed URL.

    Kept across runs: the facts (archived, last push, stars) for the quality rules and the export, and
    the ETag for the next conditional request. A run that could not ask leaves the row as it was.
    """

    __tablename__ = "forge_repo"

    url: str = Field(primary_key=True, max_length=2048)  # the listed URL, without fragment
    forge: str = Field(max_length=64)  # the forge's name in config
    full_name: str = Field(max_length=300)  # owner/name as the API spells it now (the listed one if gone)
    answer: str = Field(max_length=16)  # exists | gone
    canonical_url: str | None = Field(default=None, max_length=2048)
    archived: bool | None = None
    pushed_at: datetime | None = Field(default=None, sa_type=NAIVE)
    last_release_at: datetime | None = Field(default=None, sa_type=NAIVE)
    stars: int | None = None
    http_status: int | None = None
    etag: str | None = Field(default=None, max_length=200)
    evidence: str = Field(max_length=2000)
    answered_at: datetime = Field(sa_type=NAIVE)  # when the API last answered (a 304 included)
