"""Schema-valid documents -> the frozen model (pipeline.model). No checks here: validate did them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.config import Config
from pipeline.model import Catalogue, HowToUse, ReaderPath, Resource, Roadmap, Section


def build_resource(data: Mapping[str, Any], source: Path | None = None) -> Resource:
    return Resource(
        id=data["id"],
        title=data["title"],
        section=data["section"],
        position=data["position"],
        description=data["description"],
        medium=data["medium"],
        cost=data["cost"],
        provider=data["provider"],
        origin=data["origin"],
        added=data["added"],
        url=data.get("url"),
        awaiting_url=data.get("awaiting_url"),
        effort=data.get("effort"),
        topics=tuple(data.get("topics") or ()),
        quality_exceptions=MappingProxyType(dict(data.get("quality_exceptions") or {})),
        source=source,
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
        )
        for index, s in enumerate(data["sections"])
    )


def build_roadmap(data: Mapping[str, Any]) -> Roadmap:
    how = data["how_to_use"]
    return Roadmap(
        title=data["title"],
        tagline=data["tagline"],
        introduction=tuple(data["introduction"]),
        how_to_use=HowToUse(
            introduction=tuple(how["introduction"]),
            diagram=how["diagram"],
            paths=tuple(ReaderPath(audience=p["audience"], advice=p["advice"]) for p in how["paths"]),
        ),
        quality_bar=data["quality_bar"],
        contributing=tuple(data["contributing"]),
        footer=tuple(data.get("footer") or ()),
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
