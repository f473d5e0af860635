"""One reading of a resource's health, shared by the quality rules, the exports and the reports.

The store summarises checks per resource (status, consecutive failures, ...); this module turns that
summary into what a reader or maintainer should be told. "Flaky is not dead": a failing resource is only
*broken* after `check.broken_after` consecutive failing runs; before that it is *failing since* a date.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pipeline.model import Resource
from pipeline.status import FAILURES, Status


class HealthLike(Protocol):
    """What we read of `pipeline.store.health.HealthSummary` (duck-typed, so tests can pass plain values)."""

    status: Status | str | None
    checked_at: datetime | None
    last_ok_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int
    final_url: str | None
    http_status: int | None
    uptime: float | None
    evidence: tuple[Any, ...]


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


def status_of(summary: HealthLike | None) -> Status | None:
    if summary is None or summary.status is None:
        return None
    return Status(summary.status)


def health_state(resource: Resource, summary: HealthLike | None, broken_after: int) -> State:
    if not resource.has_url:
        return State.PENDING
    status = status_of(summary)
    if status is None:
        return State.UNCHECKED
    assert summary is not None
    if status in FAILURES:
        # A streak of 0 with a failing status cannot come from the store; treat it as the first failure.
        streak = max(summary.consecutive_failures, 1)
        return State.BROKEN if streak >= max(broken_after, 1) else State.FAILING
    if status is Status.REDIRECTED:
        return State.MOVED
    if status is Status.OK:
        return State.OK
    if status is Status.BLOCKED:
        return State.BLOCKED
    return State.SKIPPED
