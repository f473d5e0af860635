"""The closed set of health verdicts.

The string values are the contract: the same strings are stored in the database, printed in
`roadmap check --format json`, written to the exports and listed in `schema/`.
"""

from __future__ import annotations

from enum import StrEnum


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
assert frozenset(Status) == HEALTHY | FAILURES | INCONCLUSIVE

# Exit codes shared by every command (the CLI is the only place that exits).
EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
