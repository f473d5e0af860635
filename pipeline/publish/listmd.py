"""An imported list's README in its own style: the entries, tables and table of contents the list
template (templates/list.md.j2) lays out. Prose is the list's own Markdown, printed as it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

from pipeline.config import Config
from pipeline.model import Catalogue, Resource, Section
from pipeline.publish.text import Slugger
from pipeline.quality.state import HealthLike


@cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def plain(markdown: str) -> str:
    """What a reader sees of a line of Markdown (a heading's text, for its anchor)."""
    tokens = _inline_parser().parseInline(markdown)
    out: list[str] = []

    def walk(children: list[Any]) -> None:
        for token in children:
            if token.type in ("text", "code_inline"):
                out.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                out.append(" ")
            if token.children:
                walk(token.children)

    if tokens:
        walk(tokens[0].children or [])
    return "".join(out).strip()


def entry_markdown(resource: Resource, separator: str, note: str | None = None) -> str:
    """One entry as the list writes it: `[Name](url) - Description. ([Demo](…)) `tag` ![badge](…)`."""
    target = resource.url or resource.href
    text = f"[{resource.title}]({target})" if target else resource.title
    if resource.emphasis and target:
        text = f"{resource.emphasis}{text}{resource.emphasis}"
    if resource.description:
        text += (resource.separator or separator) + resource.description
    if resource.links:
        text += " (" + ", ".join(f"[{link.title}]({link.target})" for link in resource.links) + ")"
    for tag in resource.tags:
        text += f" `{tag}`"
    for badge in resource.badges:
        text += f" {badge}"
    if note:
        text += f" · {note}"
    return text


def table_row(section: Section, resource: Resource, note: str | None = None) -> str:
    """One table row, cells in the table's column order."""
    table = section.table or {}
    cells = []
    for column in table.get("columns", ()):
        if column in resource.fields:
            cells.append(resource.fields[column])
        elif column == table.get("link_column"):
            target = resource.url or resource.href
            cells.append(f"[{resource.title}]({target})" if target else resource.title)
        elif column == table.get("description_column"):
            cells.append(resource.description or "")
        else:
            cells.append("")
    columns = set(table.get("columns", ()))
    cells += [value for name, value in resource.fields.items() if name not in columns]
    if note:
        cells[-1] = f"{cells[-1]} · {note}".strip(" ·") if cells else note
    return "| " + " | ".join(cells) + " |"


def list_context(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthLike],
    config: Config,
    note: Any,
) -> dict[str, Any]:
    """What templates/list.md.j2 needs. note(resource, summary) is the health note, or None."""
    style = config.readme
    slugger = Slugger()
    slugger.slug(catalogue.roadmap.title)
    anchors = {s.id: slugger.slug(plain(s.title)) for s in catalogue.sections}
    by_section: dict[str, list[Resource]] = {}
    for resource in catalogue.resources:
        by_section.setdefault(resource.section, []).append(resource)
    toc_index = next((i for i, s in enumerate(catalogue.sections) if s.kind == "toc"), None)
    listed = [s for i, s in enumerate(catalogue.sections) if toc_index is not None and i > toc_index]
    top = min((s.level or 1 for s in listed), default=1)
    toc = [
        {"indent": "  " * max(0, (s.level or top) - top), "title": plain(s.title), "anchor": anchors[s.id]}
        for s in listed
    ]
    sections = []
    for section in catalogue.sections:
        resources = by_section.get(section.id, [])
        depth: dict[str, int] = {}
        entries = []
        for resource in resources:
            level = depth[resource.parent] + 1 if resource.parent in depth else 0
            depth[resource.id] = level
            # An entry the list names without a link has no health to report ("pending" would be noise).
            health = note(resource, summaries.get(resource.id)) if resource.url else None
            entries.append(
                {
                    "indent": "  " * level,
                    "text": entry_markdown(resource, style.separator, health),
                    "row": table_row(section, resource, health) if section.table else None,
                    "preface": resource.preface,
                    "details": _indented(resource.details, "  " * (level + 1)) if resource.details else None,
                }
            )
        sections.append(
            {
                "section": section,
                "heading": "#" * (section.level or 2) + " " + section.title,
                "anchor": anchors[section.id],
                "toc": section.kind == "toc",
                "bullet": section.bullet or style.bullet,
                "gap": "\n" * (style.blank_lines if section.blank_before is None else section.blank_before),
                "entries": entries,
            }
        )
    return {
        "roadmap": catalogue.roadmap,
        "sections": sections,
        "toc": toc,
        "bullet": style.bullet,
        "gap": "\n" * style.blank_lines,
        "after_heading": "\n" * style.blank_after_heading,
    }


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))
