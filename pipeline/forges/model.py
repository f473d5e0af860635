"""What a forge's API tells us about one repository link, as data.

RepoRef     a repository link a forge answers for (the listed URL and the owner/name it names)
Finding     the answer: exists (archived? renamed? last push, release, stars), gone, or not asked
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pipeline.health import last_activity


@dataclass(frozen=True, order=True)
class RepoRef:
    forge: str  # the forge's name in config (e.g. "github", "codeberg")
    owner: str  # as written in the URL (GitLab: the namespace path, may contain "/")
    name: str
    url: str  # the listed URL without fragment: what the finding is about

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class Answer(StrEnum):
    EXISTS = "exists"  # the API describes the repository
    GONE = "gone"  # the API says there is no such repository (deleted, or made private)
    NOT_ASKED = "not_asked"  # we could not ask (rate limit, forge unreachable, malformed answer)


@dataclass(frozen=True)
class Finding:
    ref: RepoRef
    answer: Answer
    evidence: str  # the API's words (gone), why we could not ask (not asked), or what it said (exists)
    full_name: str | None = None  # the canonical owner/name the API gives
    canonical_url: str | None = None  # the repository's web URL as the API gives it
    archived: bool | None = None
    pushed_at: datetime | None = None  # naive UTC
    last_release_at: datetime | None = None  # naive UTC
    stars: int | None = None
    http_status: int | None = None  # of the API's answer (GraphQL: 200, or 404 for a missing repository)
    etag: str | None = None  # for the next conditional request (REST)
    unchanged: bool = False  # the API answered 304: the stored facts still hold
    answered_at: datetime | None = None  # when the API last answered (set by the caller that stored it)

    @property
    def answered(self) -> bool:
        return self.answer is not Answer.NOT_ASKED

    @property
    def moved(self) -> bool:
        """The repository answers under another owner/name (renamed or transferred).

        Names are case-insensitive on every forge we know, so a difference in case is not a move.
        """
        return (
            self.answer is Answer.EXISTS
            and self.full_name is not None
            and self.canonical_url is not None
            and self.full_name.lower() != self.ref.full_name.lower()
        )

    @property
    def last_activity_at(self) -> datetime | None:
        return last_activity(self.pushed_at, self.last_release_at)


def not_asked(ref: RepoRef, reason: str) -> Finding:
    return Finding(ref, Answer.NOT_ASKED, reason)


def gone(ref: RepoRef, evidence: str, http_status: int | None = 404) -> Finding:
    return Finding(ref, Answer.GONE, evidence, http_status=http_status)
