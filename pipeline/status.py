"""The closed set of health verdicts.

The string values are the contract: the same strings are stored in the database, printed in
`roadmap check --format json`, written to the exports and listed in `schema/`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar


class Status(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"  # permanent redirect: the catalogue URL should be updated
    BROKEN = "broken"  # 404/410/other definitive client errors, NXDOMAIN, refused, redirect loop
    SERVER_ERROR = "server_error"  # 5xx after retries
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    BLOCKED = "blocked"  # the site refuses automated checks: a human must look; never "broken"
    SOFT_404 = "soft_404"  # a 200 that is really a missing or parked page
    PAYWALLED = "paywalled"
    LOGIN_REQUIRED = "login_required"
    ANCHOR_MISSING = "anchor_missing"
    SKIPPED = "skipped"  # not checked; the evidence says why

    @property
    def is_healthy(self) -> bool:
        """The link works for a reader (a permanent redirect still lands on the page)."""
        return self in HEALTHY

    @property
    def is_failure(self) -> bool:
        """Counts towards "failing since" and consecutive failures."""
        return self in FAILURES

    @property
    def is_inconclusive(self) -> bool:
        """Says nothing about the resource itself: neither resets nor extends a failure streak."""
        return self in INCONCLUSIVE


HEALTHY = frozenset({Status.OK, Status.REDIRECTED})
# Everything a reader would experience as "this link does not give me the resource".
FAILURES = frozenset(
    {
        Status.BROKEN,
        Status.SERVER_ERROR,
        Status.TIMEOUT,
        Status.TLS_ERROR,
        Status.SOFT_404,
        Status.PAYWALLED,
        Status.LOGIN_REQUIRED,
        Status.ANCHOR_MISSING,
    }
)
INCONCLUSIVE = frozenset({Status.BLOCKED, Status.SKIPPED})
# Failures that may pass by themselves (a 5xx such as a maintenance 503, a timeout): never a dead link on
# one run's evidence; only a streak of broken_after runs makes them broken (quality.state.is_broken).
TEMPORARY_STATUSES = frozenset({Status.SERVER_ERROR, Status.TIMEOUT})
assert frozenset(Status) == HEALTHY | FAILURES | INCONCLUSIVE

V = TypeVar("V")
# Every mapping over Status made with exhaustive(), by name: tests/test_status_mappings.py checks them all.
STATUS_MAPPINGS: dict[str, Mapping[Status, Any]] = {}


def exhaustive(name: str, mapping: Mapping[Status, V]) -> Mapping[Status, V]:
    """A mapping that must name every Status: raises at import when one is missing (no silent fallback)."""
    missing = [status.value for status in Status if status not in mapping]
    if missing:
        raise TypeError(f"{name} does not map the status {', '.join(missing)}")
    STATUS_MAPPINGS[name] = MappingProxyType(dict(mapping))
    return STATUS_MAPPINGS[name]


# What every surface (live progress line, `check` and `nightly` summaries, their JSON counts, the run history,
# health.md/.json, index.html) shows instead of a status for a failure at the network level (no name, refused,
# unreachable: `Outcome.network_failure`) that no complete run has confirmed: while a run is still going,
# in a run voided by an outage (inconclusive) and in an interrupted one. Such a result says nothing about
# the link, so it never reads "broken". Also the key under which run counts tally these results.
NOT_JUDGED = "not judged (network)"


def judged(network_failure: bool, *, run_complete: bool) -> bool:
    """Whether a result is a verdict on its link: anything that got past the network, or a network-level
    failure in a run that went to the end without looking like an outage (a dead host among live ones)."""
    return run_complete or not network_failure


def shown_status(status: Status | str, network_failure: bool, *, run_complete: bool) -> str:
    """The one word for a result on every surface: its status value, or NOT_JUDGED (see `judged`)."""
    return Status(status).value if judged(network_failure, run_complete=run_complete) else NOT_JUDGED


def tally(results: Iterable[tuple[Status | str, bool]], *, run_complete: bool) -> dict[str, int]:
    """(status, network_failure) pairs -> count per shown status, keys sorted: a run's `counts`."""
    counts = Counter(shown_status(s, nf, run_complete=run_complete) for s, nf in results)
    return dict(sorted(counts.items()))


def counts_text(counts: Mapping[str, int]) -> str:
    """A run's counts as people read them, most first then by name: "5 ok, 1 broken"; "" when empty."""
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# Exit codes shared by every command (the CLI is the only place that exits).
EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a redirect chain as we followed it."""

    url: str
    status: int
    location: str | None = None  # the Location header (or meta refresh target), resolved against url
    # The page at url is a redirect stub (a meta refresh and a canonical link to the same new address, as
    # GitHub Pages and Hugo publish for a moved page): a permanent move, like a 301.
    stub: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"url": self.url, "status": self.status, "location": self.location}
        return data | {"stub": True} if self.stub else data


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a verdict was given: the rule that decided it and what it saw (status, header, phrase)."""

    rule: str  # e.g. "http-404", "title-not-found", "schema-org-not-free", "robots-challenge"
    detail: str


def evidence_text(evidence: Iterable[Evidence], limit: int | None = None) -> str:
    """Evidence as one line, "rule: detail; rule: detail" (the first `limit` items); "" when there is none."""
    return "; ".join(f"{e.rule}: {e.detail}" for e in list(evidence)[:limit])


@dataclass(frozen=True, slots=True)
class Outcome:
    """The crawler's verdict for one URL: what the store records and `check --format json` prints."""

    url: str
    status: Status
    http_status: int | None = None
    final_url: str | None = None
    redirect_chain: tuple[Hop, ...] = ()
    elapsed_ms: int | None = None
    error_class: str | None = None  # "dns", "connect", "connect_timeout", "read_timeout", "tls", ...
    error_detail: str | None = None
    evidence: tuple[Evidence, ...] = ()
    fingerprint: str | None = None
    network_failure: bool = False  # failed below HTTP (no name, refused, unreachable)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status.value,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "redirect_chain": [h.to_json() for h in self.redirect_chain],
            "elapsed_ms": self.elapsed_ms,
            "error_class": self.error_class,
            "error_detail": self.error_detail,
            "evidence": [asdict(e) for e in self.evidence],
            "fingerprint": self.fingerprint,
            "network_failure": self.network_failure,
        }


@dataclass(frozen=True, slots=True)
class LinkVerdict:
    """The verdict on one secondary link of a resource (an imported list's "Demo", "Source Code" links):
    checked with the resource, recorded with its result, never its health; outcome.url is the target."""

    title: str
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, **self.outcome.to_json()}


SUGGESTION_KINDS = ("twin", "slash", "archive")  # in the order they are tried


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A checked repair for a dead link (issue 14): the crawler fetched and judged it ok before offering it.

    kind: "twin" (the other scheme), "slash" (with/without a trailing slash or index.html) or "archive"
    (a Wayback Machine snapshot taken before the link died; snapshot_at is its YYYYMMDDhhmmss stamp).
    """

    kind: str
    url: str
    detail: str
    snapshot_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Suggestion | None:
        if not data:
            return None
        return cls(
            str(data["kind"]), str(data["url"]), str(data.get("detail") or ""), data.get("snapshot_at")
        )
