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
# A resource without a declared cost (a list without `features.cost`, e.g. an imported awesome list)
# comes with no promise of free access: a paywall or a sign-in page is what the page is, not a problem.
NO_PROMISE: frozenset[Status] = frozenset({Status.PAYWALLED, Status.LOGIN_REQUIRED})
# The cost a page the entry's text cites is judged for ("see [the book](...)"): the catalogue's cost is the
# entry's own, and promises nothing of the price of what its description links to.
CITED = "cited"


def for_resource(outcome: Outcome, cost: str | None) -> Outcome:
    """A paywall on a resource the catalogue lists as paid, on one of a list that declares no cost, or on a
    page an entry's text cites (CITED), is the expected state, not a problem."""
    expected = NO_PROMISE if cost is None or cost == CITED else EXPECTED_WALLS.get(cost, frozenset())
    if outcome.status in expected:
        if cost is None:
            why = "the list declares no cost (no promise of free)"
        elif cost == CITED:
            why = "a link in the entry's text (the catalogue promises nothing of its price)"
        else:
            why = f"the catalogue lists it as {cost}"
        note = Evidence("expected-wall", f"{outcome.status} as expected: {why}")
        return replace(outcome, status=Status.OK, evidence=(note, *outcome.evidence))
    return outcome
