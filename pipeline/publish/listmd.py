"""An imported list's README in its own style: the entries, tables and table of contents the list
template (templates/list.md.j2) lays out. Prose is the list's own Markdown, printed as it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.catalogue.inline import plain
from pipeline.config import Config
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource, Section
from pipeline.publish.text import Slugger


def destination(target: str) -> str:
    """A link's destination as Markdown writes it: in <…> when it holds a space or an unbalanced
    parenthesis, which would end it otherwise (a path inside the list's repository, "docs/My Notes.md")."""
    if any(c.isspace() for c in target) or target.count("(") != target.count(")"):
        return f"<{target}>"
    return target


def entry_markdown(resource: Resource, separator: str, note: str | None = None) -> str:
    """One entry as the list writes it: `[Name](url) - Description. ([Demo](…)) `tag` ![badge](…)`."""
    target = resource.url or resource.href
    text = f"[{resource.title}]({destination(target)})" if target else resource.title
    if resource.emphasis and target:
        text = f"{resource.emphasis}{text}{resource.emphasis}"
    if resource.description:
        text += (resource.separator or separator) + resource.description
    if resource.links:
        text += (
            " (" + ", ".join(f"[{link.title}]({destination(link.target)})" for link in resource.links) + ")"
        )
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
            label = resource.label or resource.title
            cells.append(f"[{label}]({destination(target)})" if target else label)
        elif column == table.get("name_column"):
            cells.append(resource.title)
        elif column == table.get("description_column"):
            cells.append(resource.description or "")
        else:
            cells.append("")
    columns = set(table.get("columns", ()))
    extra = [value for name, value in resource.fields.items() if name not in columns]
    if note and cells:  # after the description (or the link): where a reader looks
        columns_list = list(table.get("columns", ()))
        wanted = table.get("description_column") or table.get("link_column")
        at = columns_list.index(wanted) if wanted in columns_list else 0
        cells[at] = f"{cells[at]} · {note}" if cells[at] else note
    # An empty cell is written "| |", as lists write it; extra columns come after the header's.
    return "|" + "".join(f" {value} |" if value else " |" for value in [*cells, *extra])


def list_context(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    config: Config,
    note: Any,
) -> dict[str, Any]:
    """What templates/list.md.j2 needs. note(resource, summary) is the health note, or None."""
    style = config.readme
    slugger = Slugger()
    slugger.slug(catalogue.roadmap.title)
    # A part without a heading (a second table under one heading) has no anchor and no line in the ToC.
    anchors = {s.id: slugger.slug(plain(s.title)) for s in catalogue.sections if s.heading is not False}
    by_section: dict[str, list[Resource]] = {}
    for resource in catalogue.resources:
        by_section.setdefault(resource.section, []).append(resource)
    toc_index = next((i for i, s in enumerate(catalogue.sections) if s.kind == "toc"), None)
    listed = [
        s
        for i, s in enumerate(catalogue.sections)
        if toc_index is not None and i > toc_index and s.heading is not False
    ]
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
        bullet = section.bullet or style.bullet
        number = 0
        spaced = False  # the entry before ends with its details, and so with a blank line
        for resource in resources:
            level = depth[resource.parent] + 1 if resource.parent in depth else 0
            depth[resource.id] = level
            if resource.preface:
                number = 0  # prose ends a list: the next one is numbered from 1 again
            if level == 0 and bullet[0].isdigit():
                number = 1 if section.same_number else number + 1
                marker = f"{number}{bullet[1:]}"
            elif level == 0 or (bullet[0] in "-*+" and not style.sub_bullet):
                marker = bullet
            else:  # a sub-item: the list's sub-item bullet, or a bullet under a numbered entry
                marker = style.sub_bullet or ("-" if style.bullet[0].isdigit() else style.bullet)
            # An entry the list names without a link has no health to report ("pending" would be noise).
            health = note(resource, summaries.get(resource.id)) if resource.url else None
            entries.append(
                {
                    "indent": ("   " if bullet[0].isdigit() else " " * style.indent) * level,
                    "marker": marker,
                    "text": entry_markdown(resource, style.separator, health),
                    "row": table_row(section, resource, health) if section.table else None,
                    "preface": resource.preface,
                    "details": _indented(resource.details, _content_column(bullet, style.indent, level))
                    if resource.details
                    else None,
                    # a loose list: one blank line before each entry of its own (not a sub-item)
                    "blank": bool(section.loose and entries and level == 0 and not spaced),
                }
            )
            spaced = bool(resource.details)
        sections.append(
            {
                "section": section,
                "heading": None
                if section.heading is False
                else "#" * (section.level or 2) + " " + section.title,
                "anchor": anchors.get(section.id, ""),
                "toc": section.kind == "toc",
                "bullet": section.bullet or style.bullet,
                "gap": "\n" * (style.blank_lines if section.blank_before is None else section.blank_before),
                "after": "\n"
                * (style.blank_after_heading if section.blank_after is None else section.blank_after),
                "entries": entries,
            }
        )
    return {
        "roadmap": catalogue.roadmap,
        "sections": sections,
        "toc": toc,
        "bullet": style.bullet,
        "gap": "\n" * style.blank_lines,
    }


def _content_column(bullet: str, indent: int, level: int) -> str:
    """The spaces before an entry's further paragraphs: its text's column."""
    return "  " * (level + 1) if bullet[0].isdigit() else " " * (indent * level + 2)


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))
