"""Catalogues built in code for the store's tests, the kill test's subprocess and the benchmark."""

from __future__ import annotations

from dataclasses import replace

from pipeline.config import Config
from pipeline.model import Catalogue, HowToUse, Resource, Roadmap, Section

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


def resource(rid: str, section_id: str = "linear-algebra", position: int = 10, **changes: object) -> Resource:
    base = Resource(
        id=rid,
        title=f"Title of {rid}",
        section=section_id,
        position=position,
        description=f"What the student learns from {rid}.",
        medium="video-series",
        cost="free",
        provider="A Provider",
        origin="added",
        added="2026-11-25",
        url=f"https://example.org/{rid}",
        topics=("vectors", "matrices"),
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
