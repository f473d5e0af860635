"""The cost policy: a wall on a resource the catalogue lists as paid is the expected state, not a problem.

classify judges the page; this module adjusts that verdict for what the catalogue declares the resource
costs, once per use of a URL (one URL may be listed as free in one resource and paid in another).
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.status import Evidence, Outcome, Status

# Costs the catalogue declares, and the walls that are then expected rather than a problem.
EXPECTED_WALLS: dict[str, frozenset[Status]] = {
    "paid": frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED}),
    "freemium": frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED}),
    "free-with-registration": frozenset({Status.LOGIN_REQUIRED}),
}


def for_resource(outcome: Outcome, cost: str | None) -> Outcome:
    """A paywall on a resource the catalogue lists as paid is the expected state, not a problem."""
    if outcome.status in EXPECTED_WALLS.get(cost or "", frozenset()):
        note = Evidence("expected-wall", f"{outcome.status} as expected: the catalogue lists it as {cost}")
        return replace(outcome, status=Status.OK, evidence=(note, *outcome.evidence))
    return outcome
