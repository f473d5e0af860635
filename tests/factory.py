"""Catalogues, health summaries and runs built in Python: the one test factory (store, publish, quality,
crawl, the kill test's subprocess and the benchmarks).

Two catalogue shapes, one resource builder:
- `make_catalogue()`: the seed-like roadmap (shared/seeds/ml-math-roadmap.txt) with a handful of resources
  per section, for the README, exports and reports (tests of the real catalogue load it);
- `catalogue(resources)`: a minimal roadmap over SECTION_IDS, for the store and the crawler, and `many(n)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import time_machine
from sqlalchemy import Engine

from pipeline.config import Config
from pipeline.model import Catalogue, HowToUse, ReaderPath, Resource, Roadmap, Section
from pipeline.status import Outcome, Status
from pipeline.store.health import HealthSummary

T0 = datetime(2026, 11, 20, 3, 0, 0)

ROADMAP = Roadmap(
    title="ML Math Roadmap",
    tagline="A structured, curated roadmap for university students and self-taught developers who want to "
    "understand the math behind Machine Learning — not just call `.fit()` and hope for the best.",
    introduction=(
        "Most ML roadmaps hand you a library list and call it a day. This one is different.",
        "This roadmap is structured as a learning path, not a link dump.",
    ),
    how_to_use=HowToUse(
        introduction=(
            'This is not a "collect them all" resource list. It is a sequential curriculum. '
            "Each stage unlocks the next.",
        ),
        diagram="Linear Algebra → Calculus → Probability → Algorithms → Build Things\n"
        "     └───────── Loop back when something breaks ─────────┘",
        paths=(
            ReaderPath("If you are a complete beginner", "Start at Stage 1. Do not skip it."),
            ReaderPath(
                "If you have some background", "Use the Table of Contents to jump to your weakest stage."
            ),
            ReaderPath(
                "For exam preparation specifically", "Jump directly to the Interactive Intuition Tools."
            ),
        ),
    ),
    quality_bar="a resource must be free, primarily visual or interactive, and genuinely help a student "
    "understand how an algorithm works — not just that it works.",
    contributing=("Contributions are welcome and encouraged.",),
    footer=("Maintained by the open-source community. Not affiliated with any of the listed projects.",),
)

SECTIONS = (
    Section(
        "linear-algebra",
        "Stage 1 — Linear Algebra",
        1,
        "stage",
        ("The language of ML.",),
        1,
        ("Perform matrix multiplication by hand.", "Understand what a dot product measures geometrically."),
    ),
    Section(
        "calculus",
        "Stage 2 — Calculus & Optimisation",
        2,
        "stage",
        ("You do not need a full calculus course.",),
        2,
        ("Compute partial derivatives.",),
    ),
    Section(
        "probability",
        "Stage 3 — Probability & Statistics",
        3,
        "stage",
        ("Bayesian thinking is the core of half of ML.",),
        3,
        ("Derive Bayes' theorem from first principles.",),
    ),
    Section(
        "core-algorithms",
        "Stage 4 — Core ML Algorithms",
        4,
        "stage",
        ("These are the algorithms that appear in every ML course.",),
        4,
        (),
        ("K-Nearest Neighbours", "Naïve Bayes", "Decision Trees (ID3)"),
    ),
    Section("interactive-tools", "Interactive Intuition Tools", 5, "collection", ("Poke at the math.",)),
    Section("visual-explainers", "Visual Algorithm Explainers", 6, "collection", ("Watch it run.",)),
    Section("datasets", "Practice Datasets", 7, "collection", ("Small, clean datasets.",)),
    Section("cheatsheets", "Cheatsheets & Quick References", 8, "collection", ("Dense summaries.",)),
)

DESCRIPTION = (
    "Each chapter reframes an abstract operation as a geometric transformation, so the student sees what "
    "the matrix does to space."
)


def resource(rid: str, section: str = "linear-algebra", position: int = 10, **fields: Any) -> Resource:
    values: dict[str, Any] = {
        "id": rid,
        "title": rid.replace("-", " ").title(),
        "section": section,
        "position": position,
        "description": DESCRIPTION,
        "medium": "video-series",
        "cost": "free",
        "provider": "Someone",
        "origin": "seed",
        "added": "2026-11-25",
        "url": f"https://example.org/{rid}",
    }
    values.update(fields)
    if "quality_exceptions" in values:
        values["quality_exceptions"] = MappingProxyType(dict(values["quality_exceptions"]))
    if "topics" in values:
        values["topics"] = tuple(values["topics"])
    return Resource(**values)


SECTION_IDS = ("linear-algebra", "calculus", "probability", "statistics", "optimisation", "collections")


def section(sid: str, position: int, **changes: object) -> Section:
    base = Section(
        id=sid,
        title=f"Stage {position} — {sid.replace('-', ' ').title()}",
        position=position,
        kind="stage",
        stage=position,
        introduction=(f"Why {sid} matters.",),
        goals=(f"Explain {sid} to a friend.",),
    )
    return replace(base, **changes)


def catalogue(
    resources: list[Resource] | tuple[Resource, ...], sections: tuple[Section, ...] | None = None
) -> Catalogue:
    sections = sections or tuple(section(sid, i + 1) for i, sid in enumerate(SECTION_IDS))
    roadmap = Roadmap(
        title="Roadmap",
        tagline="The math behind ML.",
        introduction=("Intro.",),
        how_to_use=HowToUse(introduction=("Use it.",), diagram="a -> b", paths=()),
        quality_bar="Free and good.",
        contributing=("Open a pull request.",),
    )
    return Catalogue(roadmap=roadmap, sections=sections, resources=tuple(resources), config=Config())


def many(n: int, *, prefix: str = "res", title_suffix: str = "") -> list[Resource]:
    """n resources spread over the sections, with distinct ids and URLs."""
    return [
        resource(
            f"{prefix}-{i:06d}",
            SECTION_IDS[i % len(SECTION_IDS)],
            position=10 * (i // len(SECTION_IDS)),
            title=f"Title of {prefix}-{i:06d}{title_suffix}",
        )
        for i in range(n)
    ]


def default_resources() -> tuple[Resource, ...]:
    return (
        resource(
            "essence-of-linear-algebra",
            title="3Blue1Brown: Essence of Linear Algebra",
            url="https://www.3blue1brown.com/topics/linear-algebra",
            effort="15 hours total",
            topics=("vectors", "eigenvectors"),
        ),
        resource(
            "immersive-math",
            position=20,
            title="Immersive Math — Interactive Linear Algebra",
            medium="interactive",
            url="http://immersivemath.com/ila/index.html",
        ),
        resource("essence-of-calculus", "calculus", title="3Blue1Brown: Essence of Calculus"),
        resource(
            "micrograd",
            "calculus",
            20,
            title="Andrej Karpathy: micrograd",
            medium="code",
            quality_exceptions={"not-visual": "150 lines the student executes by hand."},
        ),
        resource(
            "seeing-theory", "probability", medium="interactive", title="Seeing Theory — Brown University"
        ),
        resource(
            "cs229", "core-algorithms", medium="lecture-notes", title="Stanford CS229 — Machine Learning"
        ),
        resource(
            "tensorflow-playground", "interactive-tools", medium="interactive", title="TensorFlow Playground"
        ),
        resource("distill-pub", "visual-explainers", medium="website", title="Distill.pub"),
        resource("uci-ml-repository", "datasets", medium="dataset", title="UCI ML Repository"),
        resource("cs229-cheatsheets", "cheatsheets", medium="cheatsheet", title="Stanford CS229 Cheatsheets"),
        resource(
            "aml-cheat-sheet",
            "cheatsheets",
            20,
            medium="cheatsheet",
            title="aml-cheat-sheet",
            url=None,
            awaiting_url="No canonical URL is known; a maintainer must find and verify it.",
        ),
    )


def make_catalogue(resources: tuple[Resource, ...] | None = None, config: Config | None = None) -> Catalogue:
    return Catalogue(
        roadmap=ROADMAP,
        sections=SECTIONS,
        resources=default_resources() if resources is None else resources,
        config=config or Config(),
    )


def summary(rid: str, status: Status | str | None = Status.OK, **fields: Any) -> HealthSummary:
    status = Status(status) if status is not None else None
    values: dict[str, Any] = {
        "resource_id": rid,
        "status": status,
        "checked_at": T0,
        "last_ok_at": T0 if status is not None and status.is_healthy else None,
        "failing_since": None,
        "consecutive_failures": 0,
        "final_url": None,
        "http_status": 200,
        "uptime": 1.0,
        "evidence": (),
        "redirect_chain": (),
        "seeded": False,
    }
    if status is not None and status.is_failure:
        values.update(consecutive_failures=1, failing_since=T0, http_status=404, uptime=0.5)
    values.update(fields)
    return HealthSummary(**values)


def days(n: float) -> timedelta:
    return timedelta(days=n)


# ---------------------------------------------------------------- a real store with recorded runs


def make_store(tmp_path: Path, catalogue: Catalogue) -> Engine:
    """A SQLite file in tmp_path, brought up by the real migrations, with the catalogue synced."""
    from pipeline.store.engine import open_store
    from pipeline.store.sync import sync_catalogue

    engine = open_store(f"sqlite:///{tmp_path / 'roadmap.db'}", tmp_path / "catalogue")
    sync_catalogue(engine, catalogue, now=T0 - days(30))
    return engine


def outcome(url: str, status: Status | str, **fields: Any) -> Outcome:
    status = Status(status)
    values: dict[str, Any] = {"http_status": 200 if status.is_healthy else 404}
    if status is Status.REDIRECTED:
        values.update(http_status=301, final_url=url.rstrip("/") + "/moved")
    values.update(fields)
    return Outcome(url=url, status=status, **values)


def record_run(
    engine: Engine,
    catalogue: Catalogue,
    at: datetime,
    results: Mapping[str, Status | str | Outcome],
    conclusion: str = "complete",
    note: str | None = None,
) -> int:
    """One check run at a fixed time: every result recorded, then concluded (applied when conclusive)."""
    from pipeline.store.runs import finish_run, record_result, start_run

    with time_machine.travel(at, tick=False):
        run_id = start_run(engine, "nightly", len(results))
        for rid, result in results.items():
            url = catalogue.resource(rid).url or "https://example.org/none"
            value = result if isinstance(result, Outcome) else outcome(url, result)
            record_result(engine, run_id, rid, value, checked_at=at)
        finish_run(engine, run_id, conclusion, catalogue.config, note=note)
    return run_id


# ---------------------------------------------------------------- the status page's packed data


def page_document(html: str) -> dict[str, Any]:
    """The packed JSON document of a rendered reports/index.html (pipeline.publish.status_page)."""
    import json

    start = html.index('<script type="application/json" id="data">') + len(
        '<script type="application/json" id="data">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def page_timelines(html: str) -> dict[str, str]:
    """Resource id -> its timeline as the page draws it: the status (or "not judged (network)", "not
    checked") per run, oldest first, joined by " | "."""
    document = page_document(html)
    statuses = document["statuses"]

    def word(code: str) -> str:
        if code == "-":
            return "not checked"
        if code == "?":
            return "not judged (network)"
        status = statuses[ord(code.lower()) - ord("a")]
        return status if code.islower() else f"{status} (run not judged)"

    return {row[0]: " | ".join(word(c) for c in row[10]) for row in document["rows"]}
