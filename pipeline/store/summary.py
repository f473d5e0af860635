"""The pure step of the health summary: one more result -> the resource's new summary and its next check.

No database: pipeline.store.health applies it when a run concludes and replays it to rebuild.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import NamedTuple

from pipeline.config import RecheckConfig
from pipeline.status import FAILURES, HEALTHY, INCONCLUSIVE, Status


# Plain named tuples: a run's conclusion builds one of each per resource (100,000 at a time), and a frozen
# dataclass took five times as long to build.
class HealthState(NamedTuple):
    """One resource_health row as the pure transition function sees it."""

    status: str
    checked_at: datetime
    last_ok_at: datetime | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    final_url: str | None = None
    http_status: int | None = None
    last_run_id: int | None = None


class ResultFact(NamedTuple):
    """What of one check result the summary needs."""

    run_id: int
    status: str
    checked_at: datetime
    final_url: str | None = None
    http_status: int | None = None


def advance(state: HealthState | None, fact: ResultFact) -> HealthState:
    """The summary after one more result.

    A failure starts or extends the streak; a healthy result ends it; blocked/skipped say nothing about
    the resource, so the streak stays as it was, but what the reader sees (status, when) is the latest.
    """
    status = Status(fact.status)
    last_ok_at = state.last_ok_at if state else None
    failing_since = state.failing_since if state else None
    failures = state.consecutive_failures if state else 0
    if status in HEALTHY:
        last_ok_at, failing_since, failures = fact.checked_at, None, 0
    elif status in FAILURES:
        failing_since = failing_since or fact.checked_at
        failures += 1
    else:
        assert status in INCONCLUSIVE
    return HealthState(
        status=status.value,
        checked_at=fact.checked_at,
        last_ok_at=last_ok_at,
        failing_since=failing_since,
        consecutive_failures=failures,
        final_url=fact.final_url,
        http_status=fact.http_status,
        last_run_id=fact.run_id,
    )


def next_interval(previous: timedelta | None, status: Status | str, recheck: RecheckConfig) -> timedelta:
    """How long until a resource is due again (issue 7's checking budget).

    Healthy: the previous interval grown by `growth`, within [min_hours, max_hours]. Failing: min_hours,
    so a failure is confirmed soon. Blocked/skipped: the previous interval unchanged (nothing learned).
    An unknown previous interval counts as min_hours.
    """
    low, high = _bounds(recheck)
    previous = previous if previous is not None and previous > _ZERO else low
    status = Status(status)
    if status in FAILURES:
        return low
    grown = previous * recheck.growth if status in HEALTHY else previous
    return min(max(grown, low), high)


_ZERO = timedelta(0)


@functools.cache
def _bounds(recheck: RecheckConfig) -> tuple[timedelta, timedelta]:
    return timedelta(hours=recheck.min_hours), timedelta(hours=recheck.max_hours)


def next_check_at(
    previous_checked_at: datetime | None,
    previous_next_check_at: datetime | None,
    fact: ResultFact,
    recheck: RecheckConfig,
) -> datetime:
    previous = None
    if previous_checked_at is not None and previous_next_check_at is not None:
        previous = previous_next_check_at - previous_checked_at
    return fact.checked_at + next_interval(previous, fact.status, recheck)
