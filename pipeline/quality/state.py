"""One reading of a resource's health, shared by the quality rules, the exports and the reports.

The store summarises checks per resource (status, consecutive failures, ...); this module turns that
summary into what a reader or maintainer should be told. "Flaky is not dead": a failing resource is only
*broken* after `check.broken_after` consecutive failing runs; before that it is *failing since* a date.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pipeline.health import HealthSummary
from pipeline.model import Resource
from pipeline.status import FAILURES, Status, Suggestion, exhaustive


class State(StrEnum):
    """What a resource's health means for people (the status page's filter, the README's notes)."""

    OK = "ok"
    MOVED = "moved"  # permanent redirect: still works, the catalogue URL should be updated
    FAILING = "failing"  # failing, but fewer than broken_after runs in a row: flaky is not dead
    BROKEN = "broken"
    BLOCKED = "blocked"  # the site refuses robots: a human must look
    SKIPPED = "skipped"
    PENDING = "pending"  # no verified URL yet (awaiting_url)
    UNCHECKED = "unchecked"  # never checked


NOT_FREE_STATUSES = frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED})
# States whose link a repair suggestion (issue 14) is for: a dead or failing link.
REPAIRABLE = frozenset({State.FAILING, State.BROKEN})


def repair_of(summary: HealthSummary | None, state: State) -> Suggestion | None:
    """The checked repair offered for a dead or failing link, if any (the report and the export)."""
    suggestion = summary.suggestion if summary is not None else None
    return suggestion if state in REPAIRABLE else None


# What each verdict means for people before the failure streak is counted: every Status, by name (a new
# Status fails at import until it is placed here; tests/test_status_mappings.py checks every mapping).
STATE_OF_STATUS: Mapping[Status, State] = exhaustive(
    "quality.state.STATE_OF_STATUS",
    {
        Status.OK: State.OK,
        Status.REDIRECTED: State.MOVED,
        Status.BLOCKED: State.BLOCKED,
        Status.SKIPPED: State.SKIPPED,
        **{status: State.FAILING for status in FAILURES},  # BROKEN once the streak is long enough
    },
)


def is_broken(status: Status, consecutive_failures: int, broken_after: int) -> bool:
    """Failing `broken_after` runs in a row: flaky is not dead. The one definition of "broken" (the
    exports, the reports and the quality rules all ask here). A failing status with a streak of 0 cannot
    come from the store; it counts as the first failure."""
    return status.is_failure and max(consecutive_failures, 1) >= max(broken_after, 1)


def just_broken(status: Status, consecutive_failures: int, broken_after: int) -> bool:
    """The latest run is the one that made it broken."""
    return is_broken(status, consecutive_failures, broken_after) and consecutive_failures == max(
        broken_after, 1
    )


def status_of(summary: HealthSummary | None) -> Status | None:
    if summary is None or summary.status is None:
        return None
    return Status(summary.status)


def health_state(resource: Resource, summary: HealthSummary | None, broken_after: int) -> State:
    if not resource.has_url:
        return State.PENDING
    status = status_of(summary)
    if status is None or summary is None:
        return State.UNCHECKED
    if is_broken(status, summary.consecutive_failures, broken_after):
        return State.BROKEN
    return STATE_OF_STATUS[status]
