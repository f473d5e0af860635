"""The list's changelog: for each conclusive run that changed something, what changed for readers.

    list_changes(facts, broken_after, sections) -> [RunChanges], newest first      (pure)
    render_changes(report) -> {"changes.md": ..., "changes.atom": ...}              (the Atom feed: feedgen)

Derived from the store's history only (pipeline.store.history.change_facts): resources added or removed
(their first_seen / retired_at between two conclusive runs), moved (the URL checked differs from the one
checked before), newly broken (the failing streak reaches `check.broken_after`, the same rule as the health
report) and recovered (healthy again after being reported broken). Entry ids and times come from the runs,
never from the clock: the same history gives the same bytes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import escape

from pipeline.publish.templating import render
from pipeline.status import FAILURES, HEALTHY

CHANGE_KINDS = {  # the order entries list them in
    "added": "Added",
    "removed": "Removed",
    "moved": "Moved (URL updated)",
    "broken": "Newly broken",
    "recovered": "Recovered",
}
CHANGELOG_RUNS = 60  # conclusive runs the changelog covers (the newest)
WARM_UP_RUNS = 10  # runs read before those, so a failing streak is known when the changelog starts


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    section: str  # section title
    url: str | None  # the URL now (for moved: the new one)
    detail: str  # e.g. "was https://old", "broken (HTTP 404)"


@dataclass(frozen=True)
class RunChanges:
    run_id: int
    started_at: datetime
    finished_at: datetime
    groups: tuple[tuple[str, tuple[Change, ...]], ...]  # (CHANGE_KINDS key, changes), non-empty only

    @property
    def count(self) -> int:
        return sum(len(changes) for _, changes in self.groups)

    def summary(self) -> str:
        return ", ".join(f"{len(c)} {CHANGE_KINDS[k].lower()}" for k, c in self.groups)


def _outcome_text(status: str, http_status: int | None) -> str:
    return f"{status} (HTTP {http_status})" if http_status else status


def list_changes(
    facts: Any, broken_after: int, sections: Mapping[str, str], *, limit: int = CHANGELOG_RUNS
) -> list[RunChanges]:
    """What each of the newest `limit` conclusive runs in `facts` changed, newest first; runs that changed
    nothing have no entry. The first run read is the baseline: nothing in it was "added"."""
    runs = list(facts.runs)
    found: dict[int, dict[str, list[Change]]] = {run.id: {k: [] for k in CHANGE_KINDS} for run in runs}
    resources = facts.resources

    def change(rid: str, detail: str, url: str | None = None) -> Change:
        known = resources.get(rid)
        title = known.title if known is not None else rid
        section = sections.get(known.section_id, known.section_id) if known is not None else ""
        return Change(rid, title, section, url if url is not None else (known.url if known else None), detail)

    # Added and removed: catalogue changes synced after the previous conclusive run, up to this one's
    # start. The first run read has no previous one: it is the baseline (or a warm-up run, never listed).
    starts = [run.started_at for run in runs]
    for known in resources.values():
        first, gone = known.first_seen, known.retired_at
        at = bisect.bisect_left(starts, first) if first is not None else 0  # the first run at or after it
        if 0 < at < len(runs) and (gone is None or gone > starts[at]):
            found[runs[at].id]["added"].append(change(known.id, "added"))
        at = bisect.bisect_left(starts, gone) if gone is not None else 0
        if 0 < at < len(runs) and (first is None or first <= starts[at - 1]):
            found[runs[at].id]["removed"].append(change(known.id, "removed"))

    # Moved, newly broken, recovered: each resource's results in order.
    for rid, results in facts.results.items():
        streak, previous_url = 0, None
        for result in results:
            bucket = found[result.run_id]
            if previous_url is not None and result.url != previous_url:
                bucket["moved"].append(change(rid, f"was {previous_url}", result.url))
            previous_url = result.url
            status = result.status  # a str: FAILURES and HEALTHY hold StrEnum members, equal to their values
            if status in FAILURES:
                streak += 1
                if streak == max(broken_after, 1):
                    bucket["broken"].append(change(rid, _outcome_text(result.status, result.http_status)))
            elif status in HEALTHY:
                if streak >= max(broken_after, 1):
                    bucket["recovered"].append(change(rid, _outcome_text(result.status, result.http_status)))
                streak = 0

    order = {rid: n for n, rid in enumerate(resources)}
    entries = []
    for run in runs[-limit:]:
        groups = tuple(
            (kind, tuple(sorted(changes, key=lambda c: (order.get(c.id, len(order)), c.id))))
            for kind, changes in found[run.id].items()
            if changes
        )
        if groups:
            entries.append(RunChanges(run.id, run.started_at, run.finished_at or run.started_at, groups))
    return entries[::-1]


# ---------------------------------------------------------------- files


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "list"


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


EPOCH = datetime(1970, 1, 1)  # the `updated` of a feed without entries: nothing has changed yet
FEED_FILE = "changes.atom"
CHANGES_FILE = "changes.md"


def render_changes(report: Any) -> dict[str, str]:
    """changes.md and changes.atom of a HealthReport's changelog."""
    entries = report.changelog
    base = report.publish.base_url
    if base:
        folder = f"{base}{report.reports_path.strip('/')}/"
        feed_id, changes_url = folder + FEED_FILE, folder + CHANGES_FILE
    else:  # relative to the feed, which sits beside changes.md
        feed_id, changes_url = f"urn:roadmap:{_slug(report.title)}:changes", CHANGES_FILE
    return {
        CHANGES_FILE: render(
            "changes.md.j2", entries=entries, title=report.title, kinds=CHANGE_KINDS, feed=FEED_FILE
        ),
        FEED_FILE: render_atom(entries, title=report.title, feed_id=feed_id, changes_url=changes_url),
    }


def render_atom(entries: Sequence[RunChanges], *, title: str, feed_id: str, changes_url: str) -> str:
    """An Atom 1.0 feed (RFC 4287) of the entries, newest first, built with feedgen. Deterministic: ids and
    times come from the runs. The feed's `updated` is its newest entry's: a night that changed nothing
    leaves the file as it was."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(f"{title}: changes")
    feed.subtitle("Resources added, removed or moved, links newly broken or recovered, check by check.")
    feed.author({"name": title})
    feed.link(href=changes_url, rel="alternate", type="text/markdown")
    feed.generator("roadmap")
    feed.language("en")
    feed.updated(_aware(entries[0].finished_at if entries else EPOCH))
    for run in reversed(entries):  # feedgen lists the last added first: add the oldest first
        entry = feed.add_entry()
        entry.id(
            f"{feed_id}:run:{run.run_id}" if feed_id.startswith("urn:") else f"{feed_id}#run-{run.run_id}"
        )
        entry.title(f"{run.started_at:%Y-%m-%d}: {run.summary()}")
        entry.updated(_aware(run.finished_at))
        entry.published(_aware(run.started_at))
        entry.link(href=f"{changes_url}#run-{run.run_id}", rel="alternate")
        entry.content(_entry_html(run), type="html")
    return feed.atom_str(pretty=True).decode("utf-8")


def _linked(change: Change) -> str:
    if change.url:
        return f'<a href="{escape(change.url)}">{escape(change.title)}</a>'
    return str(escape(change.title))


def _entry_html(run: RunChanges) -> str:
    parts = []
    for kind, changes in run.groups:
        items = "".join(f"<li>{_linked(c)} · {escape(c.section)} — {escape(c.detail)}</li>" for c in changes)
        parts.append(f"<h3>{escape(CHANGE_KINDS[kind])} ({len(changes)})</h3><ul>{items}</ul>")
    return "".join(parts)
