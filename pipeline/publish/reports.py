"""Health and quality reports for maintainers: reports/health.md (works as a GitHub issue body),
reports/health.json, reports/quality.md and reports/index.html (a self-contained status page).

`build_health_report` gathers everything as data; `write_reports` renders the templates. Like the exports,
the reports depend only on the catalogue and the recorded health, never on the time they are written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource
from pipeline.publish.changes import list_changes, render_changes
from pipeline.publish.data import HISTORY_RUNS, HealthData
from pipeline.publish.export import dump_json
from pipeline.publish.outputs import write_outputs
from pipeline.publish.report_model import Cell, Group, HealthReport, Item, Row
from pipeline.publish.status_page import page_content, render_status_page, state_since, window_incidents
from pipeline.publish.templating import render
from pipeline.publish.text import date_text
from pipeline.quality.rules import evaluate, resolve_rules, resource_file
from pipeline.quality.state import (
    NOT_FREE_STATUSES,
    State,
    health_state,
    is_broken,
    just_broken,
    repair_of,
    status_of,
)
from pipeline.status import FAILURES, HEALTHY, NOT_JUDGED, Status, Suggestion, evidence_text
from pipeline.store.health import APPLIED_CONCLUSIONS
from pipeline.wording import plural

RETIRE_AFTER_DAYS = 30  # broken this long: suggest retiring rather than hunting for a new URL
ISSUE_LIST_LIMIT = 50  # items per list in health.md: a GitHub issue body is limited to 65,536 characters


REPAIR_WORDS = {"twin": "the other scheme", "slash": "the same path", "archive": "an archived copy"}


def repair_text(suggestion: Suggestion | None) -> str:
    if suggestion is None:
        return ""
    fix = "roadmap fix dead --archive" if suggestion.kind == "archive" else "roadmap fix dead"
    words = REPAIR_WORDS.get(suggestion.kind, suggestion.kind)
    return f" — repair ({words}, checked ok): {suggestion.url}, applied by {fix}"


def _detail(
    resource: Resource, summary: HealthSummary | None, state: State, repair: Suggestion | None
) -> str:
    """One line a maintainer can act on."""
    if state is State.PENDING:
        return f"awaiting a verified URL: {resource.awaiting_url}"
    status = status_of(summary)
    if summary is None or status is None:
        return "not checked yet"
    code = f" (HTTP {summary.http_status})" if summary.http_status else ""
    evidence = evidence_text(summary.evidence, limit=2)
    evidence = f" — {evidence}" if evidence else ""
    if state is State.MOVED:
        return f"moved for good to {summary.final_url}{code}"
    if state in (State.BROKEN, State.FAILING):
        runs = summary.consecutive_failures
        return (
            f"{status.value}{code} in {plural(runs, 'run')} in a row, "
            f"since {date_text(summary.failing_since)}{evidence}{repair_text(repair)}"
        )
    if state is State.BLOCKED:
        return f"the site refuses automated checks{code}{evidence}"
    if state is State.SKIPPED:
        return f"not checked{evidence}"
    return f"ok{code}, last checked {date_text(summary.checked_at)}"


def _link_detail(link: Any) -> str:
    """One line on a failing secondary link (pipeline.store.links.LinkHealth)."""
    why = f": {link.evidence}" if link.evidence else ""
    return f"{link.title or 'link'} link {link.status.value} for {plural(link.streak, 'run')} in a row{why}"


def _list_link_items(
    catalogue: Catalogue, links: Sequence[Any], titles: Mapping[str, str]
) -> Iterator[tuple[Item, Any]]:
    """An item for each failing link of the list's own text (pipeline.store.links.ListLinkHealth) whose
    place is still in the catalogue, with the link's health; the file shown is where its text is kept."""
    if not any(placed.health.status.is_failure for placed in links):
        return  # the usual case: no map of the entries to build
    holders = {r.id: r for r in catalogue.resources}
    root = catalogue.root.name if catalogue.root is not None else "catalogue"
    for placed in links:
        link = placed.health
        if not link.status.is_failure or (placed.section is not None and placed.section not in titles):
            continue
        holder = holders.get(placed.resource) if placed.resource is not None else None
        if holder is not None:
            where, file = holder.id, resource_file(holder, catalogue)
        elif placed.section is not None:
            where, file = placed.section, f"{root}/sections.yaml"
        else:
            where, file = "introduction", f"{root}/roadmap.yaml"
        section = titles[placed.section] if placed.section is not None else "Introduction"
        yield Item(where, link.title or "link", section, link.url, file, _link_detail(link)), link


def section_parts(catalogue: Catalogue) -> dict[str, str]:
    """Each section without a heading that follows one with a heading (an imported list's second table
    under one heading) -> that section's id."""
    parts: dict[str, str] = {}
    owner: str | None = None
    for section in catalogue.sections:
        if section.heading is not False:
            owner = section.id
        elif owner is not None:
            parts[section.id] = owner
    return parts


def _previous_status(history: Sequence[Any], upto: int, conclusive: Sequence[bool]) -> Status | None:
    """The resource's last status in a conclusive run before column `upto` (None: never checked)."""
    for i in range(upto - 1, -1, -1):
        if conclusive[i] and history[i] not in (None, NOT_JUDGED):
            return Status(history[i])
    return None


def _action_for(
    resource: Resource,
    summary: HealthSummary | None,
    state: State,
    status: Status | None,
    now: datetime | None,
) -> tuple[str | None, str | None]:
    """(ACTION_GROUPS key, the quality rule that governs it) for a resource; (None, None): nothing to do.
    A site blocking robots has no rule: only a human can tell whether the link works."""
    if state is State.PENDING:
        return "verify-pending-url", "awaiting-url"
    if state is State.BROKEN and status in NOT_FREE_STATUSES:
        return "retire", "not-free"
    if state is State.BROKEN:
        assert summary is not None
        long_dead = (
            now is not None
            and summary.failing_since is not None
            and now - summary.failing_since >= timedelta(days=RETIRE_AFTER_DAYS)
        )
        return ("retire" if long_dead else "fix-url"), "dead"
    if state is State.MOVED:
        return "update-moved-url", "moved"
    if state is State.BLOCKED:
        return "look-at-blocking-site", None
    return None, None


def build_health_report(
    catalogue: Catalogue,
    engine_or_data: Any,
    config: Config | None = None,
    *,
    inconclusive_note: str | None = None,
    window: int = HISTORY_RUNS,
) -> HealthReport:
    """Everything the reports show, as data. engine_or_data: a store Engine or a HealthData.

    inconclusive_note: the caller (the nightly job) knows the current run was inconclusive, e.g. the
    network was down before a run could even be recorded; the report then says so at the top.
    """
    config = config or catalogue.config
    data = (
        engine_or_data
        if isinstance(engine_or_data, HealthData)
        else HealthData.from_engine(engine_or_data, window, details=True)
    )
    summaries = data.summaries
    details = data.details
    elapsed = details.elapsed_ms if details is not None else {}
    failing = details.failing if details is not None else {}
    broken_after = config.check.broken_after
    runs = tuple(data.runs)
    latest = runs[-1] if runs else None
    conclusive = [run.conclusion in APPLIED_CONCLUSIONS for run in runs]
    conclusive_idx = [i for i, c in enumerate(conclusive) if c]
    last_idx = conclusive_idx[-1] if conclusive_idx else None
    previous = runs[conclusive_idx[-2]] if len(conclusive_idx) >= 2 else None
    inconclusive = inconclusive_note is not None or (latest is not None and not conclusive[-1])
    note = inconclusive_note or (latest.note if inconclusive and latest is not None else None)
    now = latest.started_at if latest is not None else None
    no_times = (None,) * len(runs)
    columns = list(
        enumerate((run.id, run.started_at.date().isoformat(), conclusive[i]) for i, run in enumerate(runs))
    )

    titles = {s.id: s.title for s in catalogue.sections}
    rows: list[Row] = []
    changes: dict[str, list[Item]] = {k: [] for k in CHANGE_GROUPS}
    actions: dict[str, list[Item]] = {k: [] for k in ACTION_GROUPS}
    watch: list[Item] = []
    counts: dict[str, int] = {}
    severity = {rule.id: rule.severity for rule in resolve_rules(config)}
    for resource in catalogue.resources:
        waived = resource.quality_exceptions
        summary = summaries.get(resource.id)
        state = health_state(resource, summary, broken_after)
        status = status_of(summary)
        counts[state.value] = counts.get(state.value, 0) + 1
        repair = repair_of(summary, state)
        detail = _detail(resource, summary, state, repair)
        item = Item(
            resource.id,
            resource.title,
            titles.get(resource.section, resource.section),
            resource.url,
            resource_file(resource, catalogue),
            detail,
            repair,
        )
        history = data.history.get(resource.id) or [None] * len(runs)

        # What to do, one group per resource (the first that applies), unless the quality rule behind it
        # is "off" for the list or waived by the resource: severities decide what needs a human.
        action, rule = _action_for(resource, summary, state, status, now)
        if action is not None and (rule is None or (severity.get(rule) != "off" and rule not in waived)):
            actions[action].append(item)
        else:
            action = None
            if state is State.FAILING:
                watch.append(item)
        for link in data.links.get(resource.id, ()):
            if not link.status.is_failure:
                continue
            title = f"{item.title} ({link.title or 'link'})"
            link_item = replace(item, title=title, url=link.url, detail=_link_detail(link), suggestion=None)
            if is_broken(link.status, link.streak, broken_after):
                actions["fix-link"].append(link_item)
                action = action or "fix-link"
            else:
                watch.append(link_item)
        since, since_bound = state_since(history, runs, conclusive, summary)
        rows.append(
            Row(
                resource.id,
                resource.title,
                resource.url,
                resource.section,
                item.section,
                state.value,
                status.value if status else None,
                detail,
                None if summary is None or summary.uptime is None else round(float(summary.uptime), 4),
                tuple(Cell(run_id, date, history[i], judged) for i, (run_id, date, judged) in columns),
                action=action,
                since=since,
                since_bound=since_bound,
                checked_at=summary.checked_at if summary is not None else None,
                elapsed=tuple(elapsed.get(resource.id) or no_times),
                incidents=window_incidents(resource.id, history, runs, conclusive, failing),
            )
        )

        # What changed in the latest conclusive run, against the resource's status before it.
        if last_idx is None or history[last_idx] in (None, NOT_JUDGED) or summary is None:
            continue
        current = Status(history[last_idx])
        before = _previous_status(history, last_idx, conclusive)
        streak = summary.consecutive_failures
        if current in NOT_FREE_STATUSES:
            if before not in NOT_FREE_STATUSES:
                changes["newly-paywalled"].append(item)
        elif current in FAILURES:
            if just_broken(current, streak, broken_after):
                changes["newly-broken"].append(item)
            elif streak == 1:
                changes["newly-failing"].append(item)
        elif current in HEALTHY and before is not None and before in FAILURES:
            changes["recovered"].append(item)
        if current is Status.REDIRECTED and before is not Status.REDIRECTED:
            changes["moved"].append(item)

    for item, link in _list_link_items(catalogue, data.list_links, titles):
        dead = is_broken(link.status, link.streak, broken_after)
        (actions["fix-list-link"] if dead else watch).append(item)

    findings = tuple(evaluate(catalogue, summaries, config))
    parts = section_parts(catalogue)
    return HealthReport(
        generated_at=latest.finished_at if latest is not None else None,
        latest_run=latest,
        conclusive_run=runs[last_idx] if last_idx is not None else None,
        previous_run=previous,
        inconclusive=inconclusive,
        inconclusive_note=note,
        broken_after=broken_after,
        state_counts=counts,
        changes=tuple(Group(k, title, "", tuple(changes[k])) for k, title in CHANGE_GROUPS.items()),
        actions=tuple(Group(k, title, todo, tuple(actions[k])) for k, (title, todo) in ACTION_GROUPS.items()),
        watch=Group(
            "failing",
            "Failing, not yet broken",
            f"Nothing yet: flaky is not dead. Reported broken after {broken_after} failing runs in a row.",
            tuple(watch),
        ),
        findings=findings,
        runs=runs,
        sections=tuple((s.id, s.title) for s in catalogue.sections if s.id not in parts),
        title=catalogue.roadmap.title,
        publish=config.publish,
        reports_path=config.paths.reports,
        changelog=tuple(list_changes(data.changes, broken_after, titles) if data.changes is not None else ()),
        rows=tuple(rows),
        section_parts=parts,
        repositories=tuple(
            (r.id, facts)
            for r in catalogue.resources
            if (facts := getattr(summaries.get(r.id), "repository", None)) is not None
            and facts.answer == "exists"
        ),
    )


CHANGE_GROUPS = {
    "newly-broken": "Newly broken",
    "newly-failing": "Started failing (not broken yet)",
    "recovered": "Recovered",
    "moved": "Moved for good",
    "newly-paywalled": "Newly paywalled or behind a sign-in",
}
ACTION_GROUPS = {
    "fix-url": ("Fix the URL", "Find where the resource lives now and update `url` in its file."),
    "retire": (
        "Retire or replace",
        "Dead for long, or no longer free: delete its file, or replace it with a free equivalent.",
    ),
    "look-at-blocking-site": (
        "Look at a site that blocks robots",
        "Open the link in a browser; if it works, nothing to do (add a domain rule to stop the noise).",
    ),
    "fix-link": (
        "Fix a secondary link",
        "A link of the entry besides its own (a demo, the source code, a link in its description) is dead: "
        "update or remove it in the resource's `links` or in the text that holds it.",
    ),
    "fix-list-link": (
        "Fix a link in the list's text",
        "A link in the list's introduction or in a section's text, not an entry's, is dead: update or remove "
        "it in the file shown (roadmap.yaml for the list's own text, sections.yaml for a section's, an "
        "entry's file for its `preface`).",
    ),
    "update-moved-url": (
        "Update a moved URL",
        "Run `roadmap fix redirects` (or update `url` by hand) and open a pull request.",
    ),
    "verify-pending-url": (
        "Verify a pending URL",
        "Find the canonical URL, check it in a browser, then replace `awaiting_url` with `url`.",
    ),
}


# ---------------------------------------------------------------- files


def render_reports(report: HealthReport, *, issue_list_limit: int = ISSUE_LIST_LIMIT) -> dict[str, str]:
    context = {"report": report, "limit": issue_list_limit}
    return {
        "health.md": render("health.md.j2", **context),
        "quality.md": render("quality.md.j2", **context),
        "health.json": dump_json(report.to_json()),
        "index.html": render_status_page(report),
        **render_changes(report),
    }


def write_reports(report: HealthReport, reports_dir: Path) -> list[Path]:
    """Write health.md, health.json, quality.md, index.html, changes.md and changes.atom (only those whose
    content changed, not only their stamps or run numbers, so a nightly commit shows real changes); return
    the paths of all six."""
    files = {Path(reports_dir) / name: text.encode("utf-8") for name, text in render_reports(report).items()}
    write_outputs(files, {Path(reports_dir) / "index.html": page_content})
    return list(files)
