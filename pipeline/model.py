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


@dataclass(frozen=True, slots=True)
class Link:
    """A secondary link of an entry (Demo, Source Code), as the list writes it."""

    title: str
    target: str


# Optional fields that only some lists use: published (and stored) only when set, so a list that does
# not use them keeps its exports byte-for-byte.
LIST_FIELDS = (
    "href",
    "parent",
    "separator",
    "emphasis",
    "label",
    "links",
    "tags",
    "badges",
    "fields",
    "preface",
    "details",
)
# The one empty read-only mapping every resource without quality exceptions or fields shares (100,000
# resources would otherwise hold 100,000 empty dicts each).
NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})
# Fields a feature of the list's config makes required (FeaturesConfig.required_fields); absent otherwise.
FEATURE_FIELDS = ("description", "medium", "cost", "provider", "origin", "added")


@dataclass(frozen=True, slots=True)
class Resource:
    id: str  # stable, equals the file name without .yaml
    title: str
    section: str  # a Section.id
    position: int  # order inside the section (gaps allowed so a new entry needs no renumbering)
    description: str | None = None  # required by features.descriptions
    medium: str | None = None  # features.medium
    cost: str | None = None  # features.cost
    provider: str | None = None  # features.provenance
    origin: str | None = None  # "seed" (from the roadmap text) or "added" (by a maintainer); provenance
    added: str | None = None  # ISO date, YYYY-MM-DD; provenance
    url: str | None = None  # None only while awaiting_url says why
    awaiting_url: str | None = None  # a resource listed before its canonical URL is verified
    effort: str | None = None  # e.g. "15 hours total"
    topics: tuple[str, ...] = ()
    quality_exceptions: Mapping[str, str] = field(default_factory=lambda: NO_ENTRIES)
    # The YAML file it came from, when not its catalogue's resources/<id>.yaml (a validated catalogue's
    # resources are all there and leave it unset): pipeline.catalogue.layout.file_of says which file.
    # Held as a Path for each of 100,000 resources, it took 40 MB for a whole run that never opens them.
    source: str | None = field(default=None, compare=False)
    # An imported list's entries (all optional, see LIST_FIELDS)
    href: str | None = None  # a link that is not a web address (repository path, in-page anchor)
    parent: str | None = None  # the resource this one is a sub-item of
    separator: str | None = None  # between name and description, when not the list's own
    emphasis: str | None = None  # "**" around a bold name, as written
    label: str | None = None  # a table's link text when another column names the entry ("PDF")
    links: tuple[Link, ...] = ()
    tags: tuple[str, ...] = ()
    badges: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=lambda: NO_ENTRIES)
    preface: str | None = None  # prose shown just before this entry
    details: str | None = None  # further blocks of the entry
    archived_from: str | None = None  # url is an archived copy of this dead address (`fix dead --archive`)

    @property
    def has_url(self) -> bool:
        return self.url is not None

    def to_dict(self) -> dict[str, Any]:
        """Every catalogue field as plain JSON values: what the store keeps and the export publishes.

        The fields every roadmap resource has are always present; the fields a list's features make
        optional, and the imported lists' own fields, only when set.
        """
        values: dict[str, Any] = {
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
        for name in FEATURE_FIELDS:
            if values[name] is None:
                del values[name]
        for name in LIST_FIELDS:  # most lists use none of them: only a set one is converted
            value = getattr(self, name)
            if value:
                values[name] = _plain(value)
        return values


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str  # e.g. "Stage 1 — Linear Algebra"
    position: int
    kind: str  # "stage", "collection" or "toc" (the table of contents, regenerated on export)
    introduction: tuple[str, ...] = ()  # paragraphs
    stage: int | None = None
    goals: tuple[str, ...] = ()  # "What you need to be able to do before moving on"
    coverage: tuple[str, ...] = ()  # Stage 4's list of algorithms
    # An imported list's sections (optional; published only when set)
    level: int | None = None  # heading depth as the list writes it
    prose: str | None = None  # Markdown before the resources, verbatim
    prose_after: str | None = None  # Markdown after the resources, verbatim
    table: Mapping[str, Any] | None = None  # header lines and link/description columns of a table
    bullet: str | None = None  # the entries' list marker, when not the list's own
    blank_before: int | None = None  # blank lines before the heading, when not the list's own
    blank_after: int | None = None  # blank lines after the heading, when not the list's own
    heading: bool | None = None  # False: no heading in the list (a list without headings)
    loose: bool | None = None  # True: a blank line between its entries (a loose Markdown list)
    same_number: bool | None = None  # True: a numbered list written "1." before every entry

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values: what the store keeps and the export publishes."""
        values: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "position": self.position,
            "kind": self.kind,
            "stage": self.stage,
            "introduction": list(self.introduction),
            "goals": list(self.goals),
            "coverage": list(self.coverage),
        }
        extra = {
            "level": self.level,
            "prose": self.prose,
            "prose_after": self.prose_after,
            "table": _plain(self.table) if self.table else None,
            "bullet": self.bullet,
            "blank_before": self.blank_before,
            "blank_after": self.blank_after,
            "heading": self.heading,
            "loose": self.loose,
            "same_number": self.same_number,
        }
        values.update({k: v for k, v in extra.items() if v is not None})
        return values


def _plain(value: Any) -> Any:
    """Read-only mappings, tuples and links as plain dicts and lists (JSON values)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Link):
        return {"title": value.title, "target": value.target}
    return value


@dataclass(frozen=True, slots=True)
class ReaderPath:
    audience: str  # "If you are a complete beginner"
    advice: str


@dataclass(frozen=True, slots=True)
class HowToUse:
    introduction: tuple[str, ...]
    diagram: str  # the learning-path diagram, kept verbatim (multi-line)
    paths: tuple[ReaderPath, ...]


@dataclass(frozen=True, slots=True)
class Roadmap:
    """The list's own text. A roadmap has all of it; an imported list a title and its preamble."""

    title: str
    tagline: str | None = None
    introduction: tuple[str, ...] = ()
    how_to_use: HowToUse | None = None
    quality_bar: str | None = None
    contributing: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()
    preamble: str | None = None  # an imported list's README before its first section, verbatim


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
