"""The in-memory catalogue: what `catalogue/` says the list should contain, after validation.

Plain frozen values; every later step (sync, check, export, report) reads these and nothing else from
the YAML files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.config import Config


@dataclass(frozen=True)
class Resource:
    id: str  # stable, equals the file name without .yaml
    title: str
    section: str  # a Section.id
    position: int  # order inside the section (gaps allowed so a new entry needs no renumbering)
    description: str
    medium: str
    cost: str
    provider: str
    origin: str  # "seed" (from the roadmap text) or "added" (by a maintainer)
    added: str  # ISO date, YYYY-MM-DD
    url: str | None = None  # None only while awaiting_url says why
    awaiting_url: str | None = None  # a resource listed before its canonical URL is verified
    effort: str | None = None  # e.g. "15 hours total"
    topics: tuple[str, ...] = ()
    quality_exceptions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = field(default=None, compare=False)  # the YAML file it came from

    @property
    def has_url(self) -> bool:
        return self.url is not None

    def to_dict(self) -> dict[str, Any]:
        """Every catalogue field as plain JSON values: what the store keeps and the export publishes."""
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "position": self.position,
            "url": self.url,
            "awaiting_url": self.awaiting_url,
            "description": self.description,
            "medium": self.medium,
            "cost": self.cost,
            "provider": self.provider,
            "effort": self.effort,
            "topics": list(self.topics),
            "origin": self.origin,
            "added": self.added,
            "quality_exceptions": dict(sorted(self.quality_exceptions.items())),
        }


@dataclass(frozen=True)
class Section:
    id: str
    title: str  # e.g. "Stage 1 — Linear Algebra"
    position: int
    kind: str  # "stage" or "collection"
    introduction: tuple[str, ...] = ()  # paragraphs
    stage: int | None = None
    goals: tuple[str, ...] = ()  # "What you need to be able to do before moving on"
    coverage: tuple[str, ...] = ()  # Stage 4's list of algorithms

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values: what the store keeps and the export publishes."""
        return {
            "id": self.id,
            "title": self.title,
            "position": self.position,
            "kind": self.kind,
            "stage": self.stage,
            "introduction": list(self.introduction),
            "goals": list(self.goals),
            "coverage": list(self.coverage),
        }


@dataclass(frozen=True)
class ReaderPath:
    audience: str  # "If you are a complete beginner"
    advice: str


@dataclass(frozen=True)
class HowToUse:
    introduction: tuple[str, ...]
    diagram: str  # the learning-path diagram, kept verbatim (multi-line)
    paths: tuple[ReaderPath, ...]


@dataclass(frozen=True)
class Roadmap:
    title: str
    tagline: str
    introduction: tuple[str, ...]
    how_to_use: HowToUse
    quality_bar: str
    contributing: tuple[str, ...]
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    roadmap: Roadmap
    sections: tuple[Section, ...]  # in reading order
    resources: tuple[Resource, ...]  # in reading order: section order, then position, then id
    config: Config
    root: Path | None = field(default=None, compare=False)  # the catalogue directory

    def __post_init__(self) -> None:
        order = {s.id: s.position for s in self.sections}
        ordered = tuple(
            sorted(self.resources, key=lambda r: (order.get(r.section, 1 << 30), r.position, r.id))
        )
        object.__setattr__(self, "sections", tuple(sorted(self.sections, key=lambda s: (s.position, s.id))))
        object.__setattr__(self, "resources", ordered)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def resources_in(self, section_id: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.section == section_id)

    def resource(self, resource_id: str) -> Resource:
        for r in self.resources:
            if r.id == resource_id:
                return r
        raise KeyError(resource_id)
