"""The list's exports: the README students read and the JSON downstream tools read.

Deterministic by construction: the same catalogue and health data give the same bytes (reading order from
the catalogue, sorted keys where order means nothing, the recorded run time instead of "now"), so
`roadmap export --check` can tell CI whether the committed files are up to date.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.clock import isoformat
from pipeline.config import Config
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource, Roadmap
from pipeline.publish.listmd import list_context
from pipeline.publish.templating import render
from pipeline.publish.text import MEDIUM_MARKERS, Slugger, medium_label, medium_marker
from pipeline.quality.state import State, health_state, is_broken, repair_of, status_of
from pipeline.status import Status

# The published contract's version (schema/export.schema.json). A change that breaks a consumer (a field
# removed, renamed or retyped, a status string changed) bumps the major version; an added optional field
# bumps the minor.
# 1.1: optional fields (issue 14: repository; issue 12: a list's own fields); 1.2: a secondary link's health;
# 1.3: a table entry's link text (label) when another column (table.name_column) names it
SCHEMA_VERSION = "1.4.0"


@dataclass(frozen=True)
class ExportPaths:
    readme: Path
    json: Path

    @classmethod
    def resolve(cls, config: Config, catalogue_dir: Path, out_dir: Path | None = None) -> ExportPaths:
        """config.paths are relative to the list repository (the catalogue's parent); --out DIR keeps the
        file names and puts both files in DIR."""
        base = Path(catalogue_dir).resolve().parent
        readme, json_path = base / config.paths.readme, base / config.paths.json
        if out_dir is not None:
            readme, json_path = Path(out_dir) / readme.name, Path(out_dir) / json_path.name
        return cls(readme, json_path)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.readme, self.json))


# ---------------------------------------------------------------- JSON


def _uptime(summary: HealthSummary) -> float | None:
    return None if summary.uptime is None else round(float(summary.uptime), 4)


def health_json(summary: HealthSummary | None, broken_after: int) -> dict[str, Any] | None:
    status = status_of(summary)
    if summary is None or status is None:
        return None
    streak = int(summary.consecutive_failures or 0)
    return {
        "status": status.value,
        "broken": is_broken(status, streak, broken_after),
        "checked_at": isoformat(summary.checked_at),
        "last_ok_at": isoformat(summary.last_ok_at),
        "failing_since": isoformat(summary.failing_since),
        "consecutive_failures": streak,
        "final_url": summary.final_url,
        "http_status": summary.http_status,
        # Not whether it was seeded from a previous export: restoring health after a lost database must
        # give the same bytes, or the nightly job would commit a change that is no change.
        "uptime": _uptime(summary),
    }


def repository_json(summary: HealthSummary | None) -> dict[str, Any] | None:
    """What a forge's API said about a repository link (schema 1.1.0); None for other links."""
    facts = getattr(summary, "repository", None)
    if facts is None or facts.answer != "exists":
        return None
    return {
        "forge": facts.forge,
        "name": facts.full_name,
        "url": facts.canonical_url,
        "archived": facts.archived,
        "stars": facts.stars,
        "pushed_at": isoformat(facts.pushed_at),
        "last_release_at": isoformat(facts.last_release_at),
        "checked_at": isoformat(facts.answered_at),
    }


def link_health_json(link: Any, broken_after: int) -> dict[str, Any]:
    """A secondary link's health (pipeline.store.links.LinkHealth) as the export states it."""
    return {
        "status": link.status.value,
        "broken": is_broken(link.status, link.streak, broken_after),
        "consecutive_failures": link.streak,
        "checked_at": isoformat(link.checked_at),
    }


def resource_json(
    resource: Resource, summary: HealthSummary | None, broken_after: int, links: Sequence[Any] = ()
) -> dict[str, Any]:
    document = {
        **resource.to_dict(),
        "health": health_json(summary, broken_after),
    }
    known = {link.url: link for link in links}
    for item in document.get("links", ()):  # optional (1.2.0): what the latest checks said of each
        if (health := known.get(item["target"])) is not None:
            item["health"] = link_health_json(health, broken_after)
    repository = repository_json(summary)
    if repository is not None:  # optional: absent for links that are not repositories
        document["repository"] = repository
    if resource.archived_from is not None:  # optional (1.1.0): url is an archived copy of a dead address
        document["archived_from"] = resource.archived_from
    if (suggestion := repair_of(summary, health_state(resource, summary, broken_after))) is not None:
        document["suggestion"] = suggestion.to_json()  # optional (1.1.0): a checked repair
    return document


def roadmap_json(roadmap: Roadmap) -> dict[str, Any]:
    """The list's own text; the parts only a roadmap has (tagline, how to use, quality bar) when set."""
    how = roadmap.how_to_use
    values: dict[str, Any] = {
        "title": roadmap.title,
        "tagline": roadmap.tagline,
        "introduction": list(roadmap.introduction),
        "how_to_use": {
            "introduction": list(how.introduction),
            "diagram": how.diagram,
            "paths": [{"audience": p.audience, "advice": p.advice} for p in how.paths],
        }
        if how is not None
        else None,
        "quality_bar": roadmap.quality_bar,
        "contributing": list(roadmap.contributing),
        "footer": list(roadmap.footer),
        "preamble": roadmap.preamble,
    }
    return {k: v for k, v in values.items() if v is not None}


def build_export(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    *,
    generated_at: datetime | None,
    links: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """The JSON document (schema/export.schema.json). `generated_at` is the recorded time of the health
    data (HealthData.recorded_at), None when nothing was ever checked; links: resource id -> its
    secondary links' health (HealthData.links)."""
    links = links or {}
    broken_after = catalogue.config.check.broken_after
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": isoformat(generated_at),
        "broken_after": broken_after,
        "roadmap": roadmap_json(catalogue.roadmap),
        "sections": [s.to_dict() for s in catalogue.sections],
        "resources": [
            resource_json(r, summaries.get(r.id), broken_after, links.get(r.id, ()))
            for r in catalogue.resources
        ],
    }


def dump_json(document: Any) -> str:
    """The one JSON spelling of every generated file: sorted keys, UTF-8 text, 2-space indent, newline."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- README

NOT_FREE_REASONS = {Status.PAYWALLED: "💰 paywalled", Status.LOGIN_REQUIRED: "🔒 sign-in required"}


ARCHIVED_NOTE = "🗄️ archived copy"


def readme_note(resource: Resource, summary: HealthSummary | None, broken_after: int) -> str | None:
    """A short note, only where a reader should know something: an archived copy, or the link's health."""
    health = _health_note(resource, summary, broken_after)
    if resource.archived_from is not None:
        return f"{ARCHIVED_NOTE} · {health}" if health else ARCHIVED_NOTE
    return health


def _health_note(resource: Resource, summary: HealthSummary | None, broken_after: int) -> str | None:
    state = health_state(resource, summary, broken_after)
    if state is State.PENDING:
        return "link pending verification"
    if summary is None:
        return None
    since = summary.failing_since.date().isoformat() if summary.failing_since else None
    if state is State.FAILING:
        return f"⚠️ link failing since {since}" if since else "⚠️ link failing"
    if state is State.BROKEN and status_of(summary) in NOT_FREE_REASONS:
        # The page is there but no longer free: "broken" would send readers hunting for a dead link.
        reason = NOT_FREE_REASONS[status_of(summary)]
        return f"{reason} since {since}" if since else reason
    if state is State.BROKEN:
        return f"❌ broken since {since}" if since else "❌ broken"
    if state is State.MOVED and summary.final_url:
        return f"↪️ moved to <{summary.final_url}>"
    return None


def _readme_context(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    config: Config,
    generated_at: datetime | None,
    contributing_link: str,
    status_links: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    broken_after = config.check.broken_after
    slugger = Slugger()
    # Anchors in document order, so a heading repeated later gets GitHub's "-1" suffix, as on GitHub.
    slugger.slug(catalogue.roadmap.title)
    toc_heading = "Table of Contents"
    slugger.slug(toc_heading)
    how_to_use = {"title": "How to Use This Roadmap", "anchor": slugger.slug("How to Use This Roadmap")}
    sections = []
    for section in catalogue.sections:
        resources = [
            {
                "title": r.title,
                "url": r.url,
                "description": r.description,
                "marker": medium_marker(r.medium),
                "medium": medium_label(r.medium),
                "note": readme_note(r, summaries.get(r.id), broken_after),
            }
            for r in catalogue.resources_in(section.id)
        ]
        sections.append({"section": section, "anchor": slugger.slug(section.title), "resources": resources})
    contributing = {"title": "Contributing", "anchor": slugger.slug("Contributing")}
    used = {r.medium for r in catalogue.resources}
    legend = [(marker, label) for medium, (marker, label) in MEDIUM_MARKERS.items() if medium in used]
    legend += sorted((medium_marker(m), medium_label(m)) for m in used if m not in MEDIUM_MARKERS)
    text = "\n".join(catalogue.roadmap.contributing)
    return {
        "roadmap": catalogue.roadmap,
        "toc_heading": toc_heading,
        "how_to_use": how_to_use,
        "sections": sections,
        "contributing": contributing,
        "legend": legend,
        "show_quality_bar": catalogue.roadmap.quality_bar not in text,
        "show_contributing_link": "CONTRIBUTING.md" not in text,
        "contributing_link": contributing_link,
        "checked_on": generated_at.date().isoformat() if generated_at else None,
        "status_links": status_links if config.publish.status_line else None,
    }


def render_readme(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    config: Config | None = None,
    *,
    generated_at: datetime | None = None,
    contributing_link: str = "CONTRIBUTING.md",
    status_links: Mapping[str, str] | None = None,
) -> str:
    """contributing_link: where the list's CONTRIBUTING.md is, relative to the README being written.

    The template is the list's choice (config.readme.template): the roadmap's README.md.j2, or a list
    template (list.md.j2, or one in the catalogue directory) given the list's entries in its own style.
    status_links: {"status_page": ..., "changes": ...} for the status line (config `publish.status_line`).
    """
    config = config or catalogue.config
    template = config.readme.template
    if template == ROADMAP_TEMPLATE:
        context = _readme_context(catalogue, summaries, config, generated_at, contributing_link, status_links)
    else:
        broken_after = config.check.broken_after
        context = list_context(catalogue, summaries, config, lambda r, s: readme_note(r, s, broken_after))
        context["checked_on"] = generated_at.date().isoformat() if generated_at else None
        context["status_links"] = status_links if config.publish.status_line else None
    return render(template, catalogue.root, **context)


ROADMAP_TEMPLATE = "README.md.j2"


# ---------------------------------------------------------------- files


def render_exports(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    paths: ExportPaths,
    *,
    generated_at: datetime | None,
    config: Config | None = None,
    links: Mapping[str, Sequence[Any]] | None = None,
) -> dict[Path, bytes]:
    """The README and the JSON export, path -> bytes (for pipeline.publish.outputs to write or check)."""
    config = config or catalogue.config
    link = "CONTRIBUTING.md"
    reports = config.paths.reports.strip("/")
    pages = {"status_page": f"{reports}/index.html", "changes": f"{reports}/changes.md"}
    status_links = pages
    if catalogue.root is not None:  # the list repository's files, seen from the README's folder
        repo = Path(catalogue.root).resolve().parent

        def relative(name: str) -> str:
            return Path(os.path.relpath(repo / name, paths.readme.parent)).as_posix()

        link = relative(link)
        status_links = {key: relative(value) for key, value in pages.items()}
    if config.publish.base_url:  # the published site's address instead of the repository's files
        status_links = {key: f"{config.publish.base_url}{value}" for key, value in pages.items()}
    readme = render_readme(
        catalogue,
        summaries,
        config,
        generated_at=generated_at,
        contributing_link=link,
        status_links=status_links,
    )
    document = dump_json(build_export(catalogue, summaries, generated_at=generated_at, links=links))
    return {paths.readme: readme.encode("utf-8"), paths.json: document.encode("utf-8")}
