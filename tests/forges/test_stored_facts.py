"""What the check run stores of a forge's answer and reads back: every fact a Finding and RepoFacts share
survives the round trip; what the store decides itself (when, a 304 as 200, the evidence's bound) is
its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import time_machine

from pipeline.forge_check import _facts, _finding
from pipeline.forges import Answer, Finding, RepoRef

NOW = datetime(2026, 11, 27, 3, 0)
FINDING = Finding(
    RepoRef("github", "alice", "before", "https://github.com/alice/before"),
    Answer.EXISTS,
    "the API describes bob/after",
    full_name="bob/after",
    canonical_url="https://github.com/bob/after",
    archived=True,
    pushed_at=datetime(2020, 1, 2, 3, 4, 5),
    last_release_at=datetime(2020, 2, 3, 4, 5, 6),
    stars=1200,
    http_status=200,
    etag='W/"abc"',
)


def test_a_finding_survives_the_store() -> None:
    with time_machine.travel(NOW.replace(tzinfo=UTC), tick=False):
        facts = _facts(FINDING)
    assert (facts.url, facts.forge, facts.answer, facts.answered_at) == (
        "https://github.com/alice/before",
        "github",
        "exists",
        NOW,
    )
    # Read back, the ref names the repository as the API does (the stored full name).
    back = _finding(facts)
    assert back.ref == RepoRef("github", "bob", "after", "https://github.com/alice/before")
    assert replace(back, ref=FINDING.ref) == replace(FINDING, answered_at=NOW)


def test_the_store_bounds_evidence_and_reads_not_modified_as_200() -> None:
    finding = replace(FINDING, evidence="x" * 5000, http_status=304, unchanged=True, full_name=None)
    facts = _facts(finding)
    assert (len(facts.evidence), facts.http_status, facts.full_name) == (2000, 200, "alice/before")
