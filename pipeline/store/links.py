"""The health of secondary links (an imported list's "Demo", "Source Code" links), read from the results
that carry them (check_result.links). A link has no row of its own: its history is its verdicts in its
resource's results, matched by URL, so a link that is edited starts afresh.

    link_health(engine, last_runs) -> {resource id: (LinkHealth, ...)}   in the list's order
    list_link_health(engine, last_runs) -> (ListLinkHealth, ...)        the links of the list's own text
                                                                         (check_run.links), in its order
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from pipeline.status import Evidence, Status, evidence_text, judged
from pipeline.store.health import APPLIED_CONCLUSIONS, result_t, run_t


@dataclass(frozen=True)
class LinkHealth:
    """One secondary link as its latest judged verdict left it."""

    title: str
    url: str
    status: Status
    evidence: str
    streak: int  # failing runs in a row, the latest included (0: the latest verdict is not a failure)
    checked_at: datetime


def link_health(engine: Engine, last_runs: int) -> dict[str, tuple[LinkHealth, ...]]:
    """Each resource's secondary links, as its latest result that has any lists them, with their
    failing streaks over the last `last_runs` runs whose results apply to health (complete or
    interrupted; a network-level failure counts only in a complete run, as for a resource's own URL)."""
    run_ids = select(run_t.c.id).where(run_t.c.outcome.in_(APPLIED_CONCLUSIONS))
    recent = run_ids.order_by(run_t.c.id.desc()).limit(max(1, last_runs)).subquery()
    query = (
        select(result_t.c.resource_id, result_t.c.links, result_t.c.checked_at, run_t.c.outcome)
        .join(run_t, run_t.c.id == result_t.c.run_id)
        .where(result_t.c.run_id.in_(select(recent.c.id)), result_t.c.links.is_not(None))
        .order_by(result_t.c.resource_id, result_t.c.run_id.desc())
    )
    results: dict[str, list[tuple[Sequence[Mapping[str, Any]], datetime, bool]]] = {}
    with engine.connect() as connection:
        for rid, links, checked_at, outcome in connection.execute(query):
            results.setdefault(rid, []).append((links or (), checked_at, outcome == "complete"))
    return {rid: tuple(_health(rows)) for rid, rows in results.items()}


@dataclass(frozen=True)
class ListLinkHealth:
    """A link in the list's own text: where it is (no section: the introduction; resource: the prose
    before that entry) and its health."""

    section: str | None
    resource: str | None
    health: LinkHealth


def list_link_health(engine: Engine, last_runs: int) -> tuple[ListLinkHealth, ...]:
    """The links of the list's own text, as the latest complete run that checked them lists them, with
    their failing streaks over the last `last_runs` such runs. They are checked after every entry, so an
    interrupted run rarely reached them all: its verdicts are kept, and say nothing of the others."""
    recent = (
        select(run_t.c.links, run_t.c.started_at)
        .where(run_t.c.outcome == "complete", run_t.c.links.is_not(None))
        .order_by(run_t.c.id.desc())
        .limit(max(1, last_runs))
    )
    with engine.connect() as connection:  # complete runs only: every verdict in them is judged
        rows = [(links or (), started_at, True) for links, started_at in connection.execute(recent)]
    if not rows:
        return ()
    return tuple(
        ListLinkHealth(link.get("section"), link.get("resource"), health)
        for link, health in zip(rows[0][0], _health(rows), strict=True)
    )


def _health(rows: list[tuple[Sequence[Mapping[str, Any]], datetime, bool]]) -> list[LinkHealth]:
    """The links of the newest result, each with its streak over the results before it (newest first)."""
    latest_links, checked_at, _ = rows[0]
    by_url = [({v.get("url"): v for v in links}, complete) for links, _, complete in rows]
    healths = []
    for link in latest_links:
        url, streak, shown = link["url"], 0, None
        for verdicts, complete in by_url:
            verdict = verdicts.get(url)
            if verdict is None:
                break  # not listed then: its history starts after
            status = Status(verdict["status"])
            if not judged(bool(verdict.get("network_failure")), run_complete=complete):
                continue  # an outage in an interrupted run says nothing about the link
            shown = shown or verdict
            if not status.is_failure:
                break
            streak += 1
        verdict = shown or link
        evidence = tuple(Evidence(str(e["rule"]), str(e["detail"])) for e in verdict.get("evidence") or ())
        healths.append(
            LinkHealth(
                str(link.get("title") or ""),
                url,
                Status(verdict["status"]),
                evidence_text(evidence, 2),
                streak,
                checked_at,
            )
        )
    return healths
