"""Schema-valid documents -> the frozen model (pipeline.model). No checks here: validate did them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from sys import intern
from types import MappingProxyType
from typing import Any

from pipeline.config import Config
from pipeline.model import NO_ENTRIES, Catalogue, HowToUse, Link, ReaderPath, Resource, Roadmap, Section


def build_resource(data: Mapping[str, Any]) -> Resource:
    return Resource(
        id=data["id"],
        title=data["title"],
        section=intern(data["section"]),
        position=data["position"],
        description=data.get("description"),
        medium=_shared(data.get("medium")),
        cost=_shared(data.get("cost")),
        provider=_shared(data.get("provider")),
        origin=_shared(data.get("origin")),
        added=_shared(data.get("added")),
        url=data.get("url"),
        awaiting_url=data.get("awaiting_url"),
        effort=data.get("effort"),
        topics=tuple(map(intern, data.get("topics") or ())),
        quality_exceptions=_read_only(data.get("quality_exceptions")),
        href=data.get("href"),
        parent=data.get("parent"),
        separator=_shared(data.get("separator")),
        emphasis=_shared(data.get("emphasis")),
        label=_shared(data.get("label")),
        links=tuple(Link(link["title"], link["target"]) for link in data.get("links") or ()),
        tags=tuple(map(intern, data.get("tags") or ())),
        badges=tuple(data.get("badges") or ()),
        fields=_read_only(data.get("fields")),
        preface=data.get("preface"),
        details=data.get("details"),
        archived_from=data.get("archived_from"),
    )


# A value many resources share (a section id, a medium, a provider, a date, a topic) is held once, not
# once per file that spells it: the parser makes a new string each time.
def _shared(value: str | None) -> str | None:
    return intern(value) if value is not None else None


def _read_only(entries: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(entries)) if entries else NO_ENTRIES


def build_sections(data: Mapping[str, Any]) -> tuple[Section, ...]:
    return tuple(
        Section(
            id=s["id"],
            title=s["title"],
            position=index,
            kind=s["kind"],
            introduction=tuple(s.get("introduction") or ()),
            stage=s.get("stage"),
            goals=tuple(s.get("goals") or ()),
            coverage=tuple(s.get("coverage") or ()),
            level=s.get("level"),
            prose=s.get("prose"),
            prose_after=s.get("prose_after"),
            table=MappingProxyType(dict(s["table"])) if s.get("table") else None,
            bullet=s.get("bullet"),
            blank_before=s.get("blank_before"),
            blank_after=s.get("blank_after"),
            heading=s.get("heading"),
            loose=s.get("loose"),
            same_number=s.get("same_number"),
        )
        for index, s in enumerate(data["sections"])
    )


def build_roadmap(data: Mapping[str, Any]) -> Roadmap:
    how = data.get("how_to_use")
    return Roadmap(
        title=data["title"],
        tagline=data.get("tagline"),
        introduction=tuple(data.get("introduction") or ()),
        how_to_use=HowToUse(
            introduction=tuple(how["introduction"]),
            diagram=how["diagram"],
            paths=tuple(ReaderPath(audience=p["audience"], advice=p["advice"]) for p in how["paths"]),
        )
        if how
        else None,
        quality_bar=data.get("quality_bar"),
        contributing=tuple(data.get("contributing") or ()),
        footer=tuple(data.get("footer") or ()),
        preamble=data.get("preamble"),
    )


def assemble_catalogue(
    roadmap: Mapping[str, Any],
    sections: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    resources: Sequence[Resource],
    root: Path | None = None,
) -> Catalogue:
    """The catalogue from its documents and resources already built (validation builds each resource as
    it checks its file, and lets the file's document go)."""
    return Catalogue(
        roadmap=build_roadmap(roadmap),
        sections=build_sections(sections),
        resources=tuple(resources),
        config=Config.from_dict(config),
        root=root,
    )
