"""The nightly job: validate, bring the database up to date, sync, check, report, export, in that order.

    run_nightly(NightlyRequest) -> NightlyResult        (the CLI and the scheduler both call this)

One run at a time (pipeline.lock). Only due resources are fetched unless `check_all` (the store moves
each resource's next check out while it stays healthy and in after a failure). A database without any
history is seeded from the published export first (pipeline.seed).

A stop request (SIGINT/SIGTERM, pipeline.signals) is honoured between steps and, inside the check, by the
check run itself:
finished results are kept, the run is concluded "interrupted", and the job ends without rewriting reports
or exports (a stop should stop; the next run writes them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, func, select

from pipeline.checkrun import CheckReport, CheckRequest, locked_store, run_check
from pipeline.clock import isoformat
from pipeline.model import Catalogue
from pipeline.seed import SeedReport, seed_from_export
from pipeline.signals import StopRequest, stop_on_signals
from pipeline.status import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_PROBLEMS
from pipeline.store.sync import SyncReport
from pipeline.wording import plural

if TYPE_CHECKING:
    import httpx

    from pipeline.crawl.fetchprocess import FetchProcess


@dataclass(frozen=True)
class NightlyRequest:
    catalogue_dir: Path
    database_url: str | None = None  # None: $ROADMAP_DATABASE_URL, then the file beside the catalogue
    check_all: bool = False  # fetch every resource now, not only the due ones
    allow_private_addresses: bool = False  # tests only
    trigger: str = "nightly"  # "nightly" (the command) or "scheduled" (roadmap schedule)


@dataclass(frozen=True)
class Attention:
    """One group of resources that need a human, as the health report groups them."""

    title: str
    todo: str
    resources: tuple[str, ...]  # "id — detail"
    links: bool = False  # its items are links (a secondary link, a link of the list's text), not entries


def who_needs_a_human(attention: tuple[Attention, ...]) -> str:
    """ "2 resources", "1 link", "1 resource and 2 links": what the attention groups hold."""
    entries = sum(len(a.resources) for a in attention if not a.links)
    links = sum(len(a.resources) for a in attention if a.links)
    return " and ".join(
        plural(count, noun) for count, noun in ((entries, "resource"), (links, "link")) if count
    )


@dataclass(frozen=True)
class NightlyResult:
    exit_code: int  # 0 healthy, 1 needs a human or a quality error, 3 inconclusive or interrupted
    headline: str  # one line: what happened
    steps_done: tuple[str, ...]
    database: str  # the URL, password hidden
    sync: SyncReport | None = None
    seed: SeedReport | None = None
    due: int = 0  # resources due for a check (all of them with check_all)
    check: CheckReport | None = None  # None: nothing was due
    next_due_at: datetime | None = None  # the earliest next check when nothing was due
    inconclusive: bool = False
    health_known: bool = True  # False: no run has concluded yet, so no link's health is known
    interrupted: bool = False
    changes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group title, resource ids), non-empty ones
    failing: tuple[str, ...] = ()  # failing, not broken yet (flaky is not dead): watched, nothing to do
    attention: tuple[Attention, ...] = ()
    quality_errors: int = 0
    states: dict[str, int] = field(default_factory=dict)  # resources per health state
    reports: tuple[Path, ...] = ()  # every report file (written or unchanged)
    exports: tuple[Path, ...] = ()
    exports_changed: tuple[Path, ...] = ()
    elapsed_s: float = 0.0

    @property
    def needs_human(self) -> int:
        return sum(len(a.resources) for a in self.attention)

    def who_needs_a_human(self) -> str:
        return who_needs_a_human(self.attention)

    def to_json(self) -> dict[str, Any]:
        check = self.check
        return {
            "exit_code": self.exit_code,
            "headline": self.headline,
            "steps_done": list(self.steps_done),
            "database": self.database,
            "sync": None
            if self.sync is None
            else {
                "added": list(self.sync.added),
                "changed": list(self.sync.changed),
                "retired": list(self.sync.retired),
                "restored": list(self.sync.restored),
            },
            "seeded": None
            if self.seed is None
            else {"resources": self.seed.seeded, "reason": self.seed.reason},
            "due": self.due,
            "run": None if check is None else {**check.run.to_json(), "message": check.message},
            "next_due_at": isoformat(self.next_due_at),
            "inconclusive": self.inconclusive,
            "interrupted": self.interrupted,
            "changes": {title: list(ids) for title, ids in self.changes},
            "failing": list(self.failing),
            "needs_human": [
                {"title": a.title, "todo": a.todo, "resources": list(a.resources)} for a in self.attention
            ],
            "quality_errors": self.quality_errors,
            "states": dict(sorted(self.states.items())),
            "reports": [str(p) for p in self.reports],
            "exports": [str(p) for p in self.exports],
            "exports_changed": [str(p) for p in self.exports_changed],
            "elapsed_s": round(self.elapsed_s, 3),
        }


STAGES = ("validate", "migrate", "sync", "check", "report", "export")  # in the order they run


class NightlyProgress(Protocol):
    """What a caller may watch of a nightly run (the CLI draws it on a terminal)."""

    def stage(self, name: str) -> None:
        """A stage of STAGES begins (the previous one, if any, is done)."""

    def checking(self, total: int) -> Any:
        """The check begins with `total` resources; returns None or a callback(resource id, outcome)."""


class _Stopped(Exception):
    def __init__(self, step: str) -> None:
        self.step = step


def run_nightly(
    request: NightlyRequest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: NightlyProgress | None = None,
    fetch_process: FetchProcess | None = None,
) -> NightlyResult:
    """The whole nightly job. Raises CatalogueError/ConfigError (invalid catalogue: nothing else runs),
    LockedError (another run holds the database) and StoreError; everything else is in the result.

    transport: an httpx transport for the crawler (tests). progress: told as each stage begins.
    fetch_process: a child prestarted to fetch (pipeline.checkrun.run_check); ended by the caller.
    """
    from pipeline.validate import load_valid_catalogue

    started = time.monotonic()
    with stop_on_signals() as stop:
        if progress is not None:
            progress.stage("validate")
        catalogue = load_valid_catalogue(request.catalogue_dir)  # invalid: CatalogueError, nothing else runs
        command = f"roadmap nightly ({request.trigger})"
        if progress is not None:
            progress.stage("migrate")
        # Migrated, and a run left "running" by a killed process aborted: we hold the lock now.
        with locked_store(request.database_url, request.catalogue_dir, command) as engine:
            return _run(request, catalogue, engine, stop, started, transport, progress, fetch_process)


def _run(
    request: NightlyRequest,
    catalogue: Catalogue,
    engine: Engine,
    stop: StopRequest,
    started: float,
    transport: httpx.AsyncBaseTransport | None,
    progress: NightlyProgress | None = None,
    fetch_process: FetchProcess | None = None,
) -> NightlyResult:
    from pipeline.publish.data import HealthData, health_for_export
    from pipeline.publish.export import ExportPaths, render_exports
    from pipeline.publish.outputs import write_outputs
    from pipeline.publish.report_model import LINK_GROUPS
    from pipeline.publish.reports import build_health_report, write_reports
    from pipeline.store.runs import due_resources
    from pipeline.store.sync import sync_catalogue

    database = engine.url.render_as_string(hide_password=True)
    done = ["validate", "migrate"]
    values: dict[str, Any] = {"database": database}
    config = catalogue.config
    root = Path(request.catalogue_dir).resolve().parent
    export_paths = ExportPaths.resolve(config, request.catalogue_dir)

    def checkpoint(step: str) -> None:
        if stop.signal is not None:
            raise _Stopped(step)
        if progress is not None:
            progress.stage(step)

    try:
        checkpoint("sync")
        values["sync"] = sync_catalogue(engine, catalogue)
        values["seed"] = seed_from_export(engine, export_paths.json)
        done.append("sync")

        checkpoint("check")
        if request.check_all:
            planned: tuple[str, ...] | None = None
            values["due"] = len(catalogue.resources)
        else:
            planned = tuple(due_resources(engine))
            values["due"] = len(planned)
        check = None
        if planned is None or planned:
            advance = progress.checking(values["due"]) if progress is not None else None
            check = run_check(
                engine,
                catalogue,
                CheckRequest(
                    resource_ids=planned,
                    allow_private_addresses=request.allow_private_addresses,
                    trigger=request.trigger,
                ),
                transport=transport,
                progress=advance,
                fetch_process=fetch_process,
            )
        else:
            values["next_due_at"] = _next_due(engine)
        values["check"] = check
        done.append("check")
        if check is not None and check.interrupted:
            return _interrupted(values, done, started, "check", "a signal", check)
        inconclusive = check is not None and check.inconclusive
        values["inconclusive"] = inconclusive

        checkpoint("report")
        # Read once: the reports and the exports show the same health.
        health = HealthData.from_engine(engine, details=True)
        report = build_health_report(
            catalogue, health, config, inconclusive_note=check.message if inconclusive else None
        )
        reports_dir = root / config.paths.reports
        values["reports"] = tuple(write_reports(report, reports_dir))
        values["health_known"] = report.conclusive_run is not None
        done.append("report")

        checkpoint("export")
        summaries, recorded_at = health_for_export(health, export_paths.json)
        values["exports_changed"] = tuple(
            write_outputs(
                render_exports(
                    catalogue,
                    summaries,
                    export_paths,
                    generated_at=recorded_at,
                    config=config,
                    links=health.links,
                )
            )
        )
        values["exports"] = tuple(export_paths)
        done.append("export")
    except _Stopped as stopped:
        return _interrupted(
            values, done, started, stopped.step, stop.signal or "a signal", values.get("check")
        )

    # Changes are those of the latest conclusive run: tonight's only if something was checked tonight.
    changes = (
        ()
        if check is None
        else tuple((g.title, tuple(i.id for i in g.items)) for g in report.changes if g.items)
    )
    failing = tuple(i.id for i in report.watch.items)
    attention = tuple(
        Attention(g.title, g.todo, tuple(f"{i.id} — {i.detail}" for i in g.items), g.id in LINK_GROUPS)
        for g in report.actions
        if g.items
    )
    # Exit 1 exactly when health.md lists something under "Needs a human" (warning-level items such as a
    # moved or pending URL included: the nightly workflow keeps one issue open as the to-do list) or a
    # quality rule of severity "error" fails. A rule set to "off" in config.yaml lists nothing.
    problems = bool(attention) or bool(report.errors)
    if inconclusive:
        exit_code, headline = EXIT_INCONCLUSIVE, f"inconclusive: {check.message}"
    elif problems:
        need = sum(len(a.resources) for a in attention)
        exit_code = EXIT_PROBLEMS
        headline = (
            f"problems found: {who_needs_a_human(attention)} need{'s' if need == 1 else ''} a human"
            + (f", {plural(len(report.errors), 'quality error')}" if report.errors else "")
        )
    elif failing:
        exit_code = EXIT_OK
        headline = f"healthy; failing but not broken yet (flaky is not dead): {', '.join(failing)}"
    else:
        exit_code, headline = EXIT_OK, "healthy"
    return NightlyResult(
        exit_code=exit_code,
        headline=headline,
        steps_done=tuple(done),
        changes=changes,
        failing=failing,
        attention=attention,
        quality_errors=len(report.errors),
        states=dict(report.state_counts),
        elapsed_s=time.monotonic() - started,
        **values,
    )


def _interrupted(
    values: dict[str, Any], done: list[str], started: float, step: str, by: str, check: CheckReport | None
) -> NightlyResult:
    kept = (
        f"; run #{check.run.id} concluded {check.run.conclusion} with {check.run.checked} of "
        f"{check.run.total} results kept"
        if check is not None
        else ""
    )
    values = {k: v for k, v in values.items() if k not in ("check", "inconclusive")}
    return NightlyResult(
        exit_code=EXIT_INCONCLUSIVE,
        headline=f"interrupted by {by} during {step}{kept}; reports and exports were not refreshed",
        steps_done=tuple(done),
        check=check,
        interrupted=True,
        elapsed_s=time.monotonic() - started,
        **values,
    )


def _next_due(engine: Engine) -> datetime | None:
    from pipeline.store.health import health_t, resource_t

    with engine.connect() as connection:
        return connection.execute(
            select(func.min(health_t.c.next_check_at))
            .join(resource_t, resource_t.c.id == health_t.c.resource_id)
            .where(resource_t.c.retired_at.is_(None), resource_t.c.url.is_not(None))
        ).scalar()
