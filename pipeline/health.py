"""A resource's health summary as a value: what the store derives from the check results
(pipeline.store.health) and the quality rules, the exports and the reports read (pipeline.quality.state
and on), with what a forge's API last said about a repository link (RepoFacts, kept by
pipeline.store.forges).

Plain frozen data below the layers that produce and read it, so both sides name the one type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.status import Evidence, Hop, Status, Suggestion


@dataclass(frozen=True)
class RepoFacts:
    url: str
    forge: str
    full_name: str
    answer: str  # exists | gone
    evidence: str
    answered_at: datetime
    canonical_url: str | None = None
    archived: bool | None = None
    pushed_at: datetime | None = None
    last_release_at: datetime | None = None
    stars: int | None = None
    http_status: int | None = None
    etag: str | None = None

    @property
    def last_activity_at(self) -> datetime | None:
        return last_activity(self.pushed_at, self.last_release_at)


def last_activity(pushed_at: datetime | None, last_release_at: datetime | None) -> datetime | None:
    """A repository's last sign of life: the newer of its last push and its last release."""
    moments = [m for m in (pushed_at, last_release_at) if m is not None]
    return max(moments) if moments else None


@dataclass(frozen=True)
class HealthSummary:
    resource_id: str
    status: Status | None  # None: never checked
    checked_at: datetime | None
    last_ok_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int
    final_url: str | None
    http_status: int | None
    uptime: float | None  # healthy share of the last `window` conclusive results, 0..1; None: none yet
    evidence: tuple[Evidence, ...] = ()  # of the latest result
    redirect_chain: tuple[Hop, ...] = ()  # of the latest result
    seeded: bool = False  # restored from a published export (seed_health), not from our own results
    repository: RepoFacts | None = None  # what a forge's API last said, for a repository link
    suggestion: Suggestion | None = None  # a checked repair offered with the latest result (dead links)
