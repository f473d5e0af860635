"""What the health report holds, as data: the groups of resources to act on or watch, one row per
resource with its timeline, and their JSON (reports/health.json). Built by pipeline.publish.reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pipeline.clock import isoformat
from pipeline.quality.rules import Finding
from pipeline.quality.state import State
from pipeline.status import Suggestion
from pipeline.store.history import Incident

# Action groups whose items are links (an entry's secondary link, a link of the list's text), not entries;
# and those whose items have no row in the status page's table (a link of the list's text is no entry's).
LINK_GROUPS = frozenset({"fix-link", "fix-list-link"})
ROWLESS_GROUPS = frozenset({"fix-list-link"})
REPORT_VERSION = "1.2.0"  # 1.2: the "fix-list-link" group (a link in the list's own text)


@dataclass(frozen=True)
class Item:
    """One resource in a list of the report."""

    id: str
    title: str
    section: str  # section title
    url: str | None
    file: str
    detail: str  # what we saw, one line
    suggestion: Suggestion | None = None  # a checked repair for a dead or failing link

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)  # every field, in order; a repair only where there is one
        if self.suggestion is None:
            del document["suggestion"]
        return document


@dataclass(frozen=True)
class Group:
    """A list of resources under one heading: a kind of change, or one thing a human must do."""

    id: str
    title: str
    todo: str  # what to do (empty for changes)
    items: tuple[Item, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "todo": self.todo,
            "count": len(self.items),
            "items": [i.to_json() for i in self.items],
        }


class Cell(NamedTuple):
    """One run in a resource's timeline (a named tuple: 10,000 resources x 30 runs are made per report)."""

    run_id: int
    date: str  # YYYY-MM-DD of the run's start
    status: str | None  # None: not checked in that run
    judged: bool = True  # False: the run was inconclusive or aborted, so its results say nothing


@dataclass(frozen=True)
class Row:
    """One resource on the status page."""

    id: str
    title: str
    url: str | None
    section_id: str
    section: str
    state: str  # pipeline.quality.state.State value
    status: str | None
    detail: str
    uptime: float | None
    timeline: tuple[Cell, ...]
    action: str | None = None  # the ACTION_GROUPS key when it needs a human
    since: datetime | None = None  # when the current state began (None: pending or unchecked)
    since_bound: bool = False  # True: it began before the window; `since` is the window's first check
    checked_at: datetime | None = None
    elapsed: tuple[int | None, ...] = ()  # response time per run of the timeline
    incidents: tuple[Incident, ...] = ()  # in the window, oldest first


@dataclass(frozen=True)
class HealthReport:
    generated_at: datetime | None  # when the latest run ended (recorded, never "now")
    latest_run: Any | None  # RunInfo
    conclusive_run: Any | None  # the latest run concluded complete or interrupted: what the health is from
    previous_run: Any | None  # the conclusive run before the latest conclusive one
    inconclusive: bool  # the latest run said nothing about the links (e.g. the network was down)
    inconclusive_note: str | None
    broken_after: int
    state_counts: Mapping[str, int]
    changes: tuple[Group, ...]
    actions: tuple[Group, ...]  # needs a human, grouped by what to do
    watch: Group  # failing, not yet broken: flaky is not dead
    findings: tuple[Finding, ...]
    runs: tuple[Any, ...]  # RunInfo of the timeline, oldest first
    sections: tuple[tuple[str, str], ...]  # (id, title) in reading order, of the sections with a heading
    title: str  # the list's
    publish: Any  # pipeline.config.PublishConfig
    reports_path: str  # config.paths.reports: where the reports are published, in the list repository
    changelog: tuple[Any, ...]  # pipeline.publish.changes.RunChanges, newest first
    rows: tuple[Row, ...] = field(repr=False)
    # (resource id, what a forge's API said) for repository links: the quality report's table
    repositories: tuple[tuple[str, Any], ...] = ()
    # A part of a section without a heading of its own (a second table under a heading) -> that section:
    # the status page files its rows under the heading the README shows them under.
    section_parts: Mapping[str, str] = field(default_factory=dict)

    @property
    def broken(self) -> int:
        return self.state_counts.get(State.BROKEN.value, 0)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def needs_human(self) -> int:
        return sum(len(g.items) for g in self.actions)

    @property
    def has_problems(self) -> bool:
        """What makes `roadmap report` exit 1: an error-severity finding or a broken link."""
        return bool(self.errors) or self.broken > 0

    def summary_json(self) -> dict[str, Any]:
        return {
            "generated_at": isoformat(self.generated_at),
            "latest_run": _run_json(self.latest_run),
            "inconclusive": self.inconclusive,
            "inconclusive_note": self.inconclusive_note,
            "resources": len(self.rows),
            "states": dict(sorted(self.state_counts.items())),
            "changes": {g.id: len(g.items) for g in self.changes},
            "needs_human": {g.id: len(g.items) for g in self.actions},
            "quality": {"errors": len(self.errors), "warnings": len(self.warnings)},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            **self.summary_json(),
            "previous_run": _run_json(self.previous_run),
            "broken_after": self.broken_after,
            "changes": [g.to_json() for g in self.changes],
            "needs_human": [g.to_json() for g in self.actions],
            "failing": self.watch.to_json(),
            "quality": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": [f.to_json() for f in self.findings],
            },
            "runs": [_run_json(r) for r in self.runs],
            "resources": [
                {
                    "id": r.id,
                    "section": r.section_id,
                    "state": r.state,
                    "status": r.status,
                    "uptime": r.uptime,
                    "history": [c.status for c in r.timeline],
                }
                for r in self.rows
            ],
        }


def _run_json(run: Any | None) -> dict[str, Any] | None:
    return None if run is None else run.to_json()
