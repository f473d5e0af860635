"""Schema-valid documents -> the frozen model (pipeline.model). No checks here: validate did them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.config import Config
from pipeline.model import Catalogue, HowToUse, Link, ReaderPath, Resource, Roadmap, Section


def build_resource(data: Mapping[str, Any], source: Path | None = None) -> Resource:
    return Resource(
        id=data["id"],
        title=data["title"],
        section=data["section"],
        position=data["position"],
        description=data.get("description"),
        medium=data.get("medium"),
        cost=data.get("cost"),
        provider=data.get("provider"),
        origin=data.get("origin"),
        added=data.get("added"),
        url=data.get("url"),
        awaiting_url=data.get("awaiting_url"),
        effort=data.get("effort"),
        topics=tuple(data.get("topics") or ()),
        quality_exceptions=MappingProxyType(dict(data.get("quality_exceptions") or {})),
        source=source,
        href=data.get("href"),
        parent=data.get("parent"),
        separator=data.get("separator"),
        emphasis=data.get("emphasis"),
        links=tuple(Link(link["title"], link["target"]) for link in data.get("links") or ()),
        tags=tuple(data.get("tags") or ()),
        badges=tuple(data.get("badges") or ()),
        fields=MappingProxyType(dict(data.get("fields") or {})),
        preface=data.get("preface"),
        details=data.get("details"),
        archived_from=data.get("archived_from"),
    )


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


def build_catalogue(
    roadmap: Mapping[str, Any],
    sections: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    resources: Sequence[tuple[Mapping[str, Any], Path | None]],
    root: Path | None = None,
) -> Catalogue:
    return Catalogue(
        roadmap=build_roadmap(roadmap),
        sections=build_sections(sections),
        resources=tuple(build_resource(data, source) for data, source in resources),
        config=Config.from_dict(config),
        root=root,
    )
