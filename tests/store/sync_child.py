"""Run by test_kill.py in a subprocess: sync a large catalogue into an existing database.

Prints "ready" when the catalogue is built and the next step is the sync transaction, "done" after it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime

from pipeline.store.engine import make_engine
from pipeline.store.sync import sync_catalogue
from tests.factory import catalogue, many

NOW = datetime(2026, 6, 1, 3, 0)  # fixed, so two syncs of the same catalogue write the same rows


def after_catalogue(n: int = 20_000):
    """Compared with before_catalogue: 8,000 added, every fifth changed, 3,000 retired."""
    resources = [r if i % 5 else replace(r, title=r.title + " (2nd edition)") for i, r in enumerate(many(n))]
    return catalogue(resources)


def before_catalogue():
    return catalogue(many(12_000) + many(3_000, prefix="old"))


if __name__ == "__main__":
    engine = make_engine(sys.argv[1])
    cat = after_catalogue()
    with engine.connect():
        pass  # connect (pragmas, WAL) before saying ready: what follows is the sync alone
    print("ready", flush=True)
    report = sync_catalogue(engine, cat, now=NOW)
    print("done", len(report.added), len(report.changed), len(report.retired), flush=True)
