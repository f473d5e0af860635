"""`roadmap fix dead`: apply the checked repair a dead link was given (issue 14 §3).

The check run offers a repair for each failing link (pipeline.crawl.suggest: the https/http twin, the
same path with or without a trailing slash or index.html, or the newest Wayback Machine snapshot taken
before the link died), each one fetched and judged ok before it is offered. This command applies them to
resources that are *broken* (failing `check.broken_after` runs in a row: flaky is not dead), with the same
surgical edit as `fix redirects`. An archived copy is used only with --archive and only where
`repair.archive_allowed` in config.yaml allows it for the resource's section or medium; the file then
records the original address as `archived_from`. Every dead resource not rewritten is listed with why.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.catalogue.layout import file_of
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource
from pipeline.quality.state import NOT_FREE_STATUSES, REPAIRABLE, State, health_state, status_of
from pipeline.repair.edit import Change, apply_all


def archive_allowed(resource: Resource, catalogue: Catalogue) -> bool:
    allowed = catalogue.config.repair.archive_allowed
    return resource.section in allowed.sections or resource.medium in allowed.mediums


def _plan_one(
    resource: Resource, summary: HealthSummary, catalogue: Catalogue, *, archive: bool
) -> Change | None:
    assert resource.url is not None
    file = file_of(resource, catalogue.root)
    state = health_state(resource, summary, catalogue.config.check.broken_after)
    suggestion = summary.suggestion
    if state not in REPAIRABLE or status_of(summary) in NOT_FREE_STATUSES:
        return None  # working, or a wall in front of a live page (retire or replace: not a dead link)
    if suggestion is None:
        return Change(
            resource.id,
            file,
            resource.url,
            resource.url,
            "no working repair was found (twin, slash, archive)",
        )
    change = Change(resource.id, file, resource.url, suggestion.url)
    if state is State.FAILING:
        streak = summary.consecutive_failures
        broken_after = catalogue.config.check.broken_after
        return change.refused(f"failing {streak} of {broken_after} runs, not broken yet: flaky is not dead")
    if suggestion.kind != "archive":
        return change
    if not archive:
        return change.refused("the repair is an archived copy: run with --archive to use it")
    if not archive_allowed(resource, catalogue):
        return change.refused(
            f"archived copies are not allowed for section {resource.section!r} or medium "
            f"{resource.medium!r} (repair.archive_allowed in config.yaml)"
        )
    return Change(resource.id, file, resource.url, suggestion.url, archived_from=resource.url)


def plan_dead(
    catalogue: Catalogue, summaries: Mapping[str, HealthSummary], *, archive: bool = False
) -> list[Change]:
    """Every failing or broken resource, with the change to make or why not."""
    changes = []
    for resource in catalogue.resources:
        summary = summaries.get(resource.id)
        if resource.url is None or summary is None:
            continue
        if (change := _plan_one(resource, summary, catalogue, archive=archive)) is not None:
            changes.append(change)
    return changes


def fix_dead(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    *,
    archive: bool = False,
    dry_run: bool = False,
) -> list[Change]:
    """Apply the checked repairs of broken resources; every failing or broken one comes back with its
    outcome (skipped ones carry the reason). dry_run: decide and check the edits, write nothing."""
    return apply_all(plan_dead(catalogue, summaries, archive=archive), dry_run=dry_run)
