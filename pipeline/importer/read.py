"""A Markdown list -> catalogue documents (plain data), with a report of what was kept as text.

The shape of an awesome list: a title, an introduction (badges, paragraphs), maybe a table of contents,
then headings of any depth, each with prose and a list (or a table) of links, and prose sections such as
Contributing and License. Every heading becomes a section in order (its depth kept as `level`); every
list item or table row becomes one resource; prose is kept verbatim; the table of contents is recognised
and left to the export to regenerate. What cannot be mapped is kept as text and reported with its line.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from markdown_it.token import Token

from pipeline.catalogue.inline import plain, plain_text
from pipeline.importer.ids import Ids
from pipeline.importer.items import MAX_TITLE, ItemParts, parse_inline, parse_item
from pipeline.importer.markdown import Block, blocks, children, parser, units_of
from pipeline.importer.shapes import (
    LIST_KINDS,
    has_text_items,
    is_label,
    is_loose,
    is_toc_list,
    is_web_url,
    links_in,
    list_items,
    list_marker,
    name_column,
    numbered_alike,
)

MAX_SECTION_ID = 64
MAX_SECTION_TITLE = 300  # schema/sections.schema.json
MAX_RESOURCE_ID = 100
POSITION_STEP = 10


@dataclass(frozen=True)
class Kept:
    """Source text that could not be mapped to a resource and was kept as text."""

    line: int  # 1-based
    why: str


@dataclass
class ImportedList:
    title: str
    preamble: str | None
    sections: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    kept: list[Kept]
    style: dict[str, Any]
    toc: tuple[int, int] | None = None  # source lines [start, end) of the table of contents (0-based)
    source_links: int = 0  # links in list items and table rows (not the ToC, not images/badges)


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.lines = self.text.split("\n")
        self.name = name
        self.kept: list[Kept] = []
        self.section_ids = Ids(MAX_SECTION_ID, "section")
        self.resource_ids = Ids(MAX_RESOURCE_ID, "item")
        self.resources: list[dict[str, Any]] = []
        self.separators: Counter[str] = Counter()
        self.bullets: Counter[str] = Counter()
        self.indents: Counter[int] = Counter()  # how far a sub-item's bullet sits right of its parent's
        self.sub_bullets: Counter[str] = Counter()  # a bulleted sub-list's marker ("" when its parent's)
        self.source_links = 0
        self.toc: tuple[int, int] | None = None

    def verbatim(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end]).strip("\n")

    def keep(self, line: int, why: str) -> None:
        self.kept.append(Kept(line + 1, why))

    # -- the document ----------------------------------------------------------------------------

    def read(self) -> ImportedList:
        top = blocks(parser().parse(self.text))
        headings = [i for i, b in enumerate(top) if b.kind == "heading"]
        title = self.name
        first_section = headings[0] if headings else len(top)
        if top and top[0].kind == "heading" and top[0].tokens[0].tag == "h1":
            title = " ".join(plain_text(top[0].inline.children or []).split()) or self.name  # type: ignore[union-attr]
            first_section = headings[1] if len(headings) > 1 else len(top)
        preamble_blocks = top[:first_section]
        preamble = None
        if preamble_blocks:
            preamble = self.verbatim(preamble_blocks[0].start, preamble_blocks[-1].end) or None
            for block in preamble_blocks:
                self._report_links_kept(block, "in the introduction, before the first section")
        gaps: Counter[int] = Counter()
        after: Counter[int] = Counter()
        blanks: list[int | None] = []
        afters: list[int | None] = []
        sections: list[dict[str, Any]] = []
        section_starts = [i for i in headings if i >= first_section]
        if not section_starts:  # a list without headings: its entries form one section without one
            body = 1 if top and top[0].kind == "heading" and top[0].tokens[0].tag == "h1" else 0
            first_run = next((i for i in range(body, len(top)) if self._runs(top[i])), None)
            if first_run is not None:
                kept = top[:first_run]
                preamble = self.verbatim(kept[0].start, kept[-1].end) if kept else None
                self.kept = [k for k in self.kept if k.line - 1 < (kept[-1].end if kept else 0)]
                sections = self._section(None, top[first_run:], title)
                blanks += [None] * len(sections)
                afters += [None] * len(sections)
        for n, index in enumerate(section_starts):
            heading = top[index]
            if index > 0:
                blank = 0
                while heading.start - blank - 1 >= 0 and not self.lines[heading.start - blank - 1].strip():
                    blank += 1
                gaps[blank] += 1
                blanks.append(blank)
            end = section_starts[n + 1] if n + 1 < len(section_starts) else len(top)
            if index == 0:
                blanks.append(None)
            if index + 1 < end:
                after[top[index + 1].start - heading.end] += 1
                afters.append(top[index + 1].start - heading.end)
            else:
                afters.append(None)
            parts = self._section(heading, top[index + 1 : end])
            sections += parts
            blanks += [None] * (len(parts) - 1)  # a part without a heading has no gaps of its own
            afters += [None] * (len(parts) - 1)
        style = {
            "bullet": self.bullets.most_common(1)[0][0] if self.bullets else "-",
            "separator": self.separators.most_common(1)[0][0] if self.separators else " - ",
            "blank_lines": max(1, gaps.most_common(1)[0][0]) if gaps else 1,
            "blank_after_heading": min(4, after.most_common(1)[0][0]) if after else 1,
        }
        indent = self.indents.most_common(1)[0][0] if self.indents else 2
        if indent != 2:  # the sub-items' indent, where it is not two spaces
            style["indent"] = indent
        sub = self.sub_bullets.most_common(1)[0][0] if self.sub_bullets else ""
        if sub:  # most sub-lists use another bullet than their parent's
            style["sub_bullet"] = sub
        for section, blank, gap in zip(sections, blanks, afters, strict=True):  # its own style, if it differs
            bullet = section.pop("_bullet", None)
            if bullet and bullet != style["bullet"]:
                section["bullet"] = bullet
            _, loose, alike = section.pop("_shape", None) or ("", False, False)
            if loose:
                section["loose"] = True
            if alike:
                section["same_number"] = True
            if blank is not None and blank != style["blank_lines"]:
                section["blank_before"] = min(blank, 4)
            if gap is not None and gap != style["blank_after_heading"]:
                section["blank_after"] = min(gap, 4)
        for resource in self.resources:  # an entry's own separator only where it is not the list's
            separator = resource.pop("_separator", None)
            if separator and separator != style["separator"] and "description" in resource:
                resource["separator"] = separator
            _without_tabs(resource)
        return ImportedList(
            title=title,
            preamble=preamble,
            sections=sections,
            resources=self.resources,
            kept=self.kept,
            style=style,
            toc=self.toc,
            source_links=self.source_links,
        )

    def _report_links_kept(self, block: Block, where: str) -> None:
        if block.kind in (*LIST_KINDS, "table") and any(
            not link.startswith("#") for link in links_in(block.tokens)
        ):
            what = "a table" if block.kind == "table" else "a list"
            self.keep(block.start, f"{what} of links {where}, kept in the list's introduction")
        elif block.kind == "html_block" and "href" in block.tokens[0].content:
            self.keep(block.start, f"HTML with links {where}, kept as it is")

    # -- one heading and what follows it ---------------------------------------------------------

    def _runs(self, block: Block) -> bool:
        """Whether a block holds entries: a list with text items, or a table with links."""
        return (block.kind in LIST_KINDS and has_text_items(block) and not is_toc_list(block)) or (
            block.kind == "table" and bool(links_in(_body_rows(block.tokens)))
        )

    def _section(self, heading: Block | None, body: list[Block], name: str = "") -> list[dict[str, Any]]:
        """The section a heading starts, and a part without a heading for each table, or list after a
        table, that follows the section's first run of entries (a section's entries are one table or
        one list in the README the export writes)."""
        inline = heading.inline if heading is not None else None
        raw_title = inline.content if inline is not None else name
        shown = plain_text(inline.children or []).strip() if inline is not None else name
        # A setext heading may run over several lines: its title is one.
        title = " ".join(raw_title.split()) or shown or "Untitled"
        if len(title) > MAX_SECTION_TITLE:
            line = heading.start if heading is not None else 0
            self.keep(line, f"a heading of {len(title)} characters, shortened to {MAX_SECTION_TITLE}")
            title = title[: MAX_SECTION_TITLE - 1] + "…"
        section: dict[str, Any] = {"id": self.section_ids.make(shown), "title": title, "kind": "collection"}
        if heading is None:
            section["heading"] = False
        else:
            section["level"] = int(heading.tokens[0].tag[1])
        toc = [i for i, b in enumerate(body) if b.kind in LIST_KINDS and is_toc_list(b)]
        toc_range: range = range(0)
        if toc:
            first, last = toc[0], toc[-1]
            while first > 0 and is_label(body[first - 1]):
                first -= 1
            toc_range = range(first, last + 1)
            section["kind"] = "toc"
            if (marker := list_marker(body[toc[0]].tokens)) in ("-", "*", "+"):
                section["_bullet"] = marker  # the table of contents is written again with its own marker
            if self.toc is None:
                self.toc = (body[first].start, body[last].end)
        position = 0
        prose: list[Block] = []
        chunks: list[tuple[str, list[Block]]] = []  # ("prose", blocks) | ("run", [block]) | ("toc", [])
        for index, block in enumerate(body):
            if index in toc_range:
                if index == toc_range.start:
                    if prose:
                        chunks.append(("prose", prose))
                        prose = []
                    chunks.append(("toc", []))
                continue
            runs = self._runs(block)
            if runs:
                if prose:
                    chunks.append(("prose", prose))
                    prose = []
                chunks.append(("run", [block]))
            else:
                if block.kind == "table":
                    self.keep(block.start, "a table without links, kept as text")
                elif block.kind == "html_block" and "href" in block.tokens[0].content:
                    self.keep(block.start, "HTML with links, kept as it is")
                prose.append(block)
        if prose:
            chunks.append(("prose", prose))
        pending: str | None = None
        parts, current, runs = [section], section, 0
        for n, (kind, group) in enumerate(chunks):
            if kind == "prose":
                text = self.verbatim(group[0].start, group[-1].end)
                if n == 0:
                    section["prose"] = text
                elif n == len(chunks) - 1:
                    current["prose_after"] = text
                else:
                    pending = text
            elif kind == "run":
                block = group[0]
                shape = self._list_shape(block)  # None: a table
                if runs and (shape is None or shape != current.get("_shape")):
                    current = {"id": self.section_ids.make(shown), "title": section["title"]}
                    current |= {"kind": "collection", "heading": False}
                    parts.append(current)
                    if pending is not None:
                        current["prose"], pending = pending, None
                runs += 1
                before = len(self.resources)
                if shape is None:
                    position = self._table(current, block, position)
                else:
                    current["_shape"] = shape  # a part's lists share it
                    position = self._list(current, block, position, None, 0)
                if pending is not None and len(self.resources) > before:
                    self.resources[before]["preface"] = pending
                elif pending is not None:
                    current.setdefault("prose_after", pending)
                pending = None
            else:
                if pending is not None:  # prose between two ToC parts: it is part of the ToC
                    pending = None
        return parts

    # -- lists -----------------------------------------------------------------------------------

    def _list_shape(self, block: Block) -> tuple[str, bool, bool] | None:
        """A list's marker, whether it is loose and numbered "1." throughout (None for a table): a part's
        lists share all three."""
        if block.kind == "table":
            return None
        return list_marker(block.tokens), is_loose(block, self.lines), numbered_alike(block)

    def _list(
        self,
        section: dict[str, Any],
        block_tokens: Block,
        position: int,
        parent: str | None,
        depth: int,
        outer: tuple[int, str] | None = None,  # the column and marker of a bulleted parent item's bullet
    ) -> int:
        tokens = block_tokens.tokens
        marker = list_marker(tokens)
        if outer is not None and marker in ("-", "*", "+"):  # a bulleted sub-list under a bullet
            inner = _marker_column(self.lines[block_tokens.start])
            if inner is not None and 2 <= inner - outer[0] <= 5:
                self.indents[inner - outer[0]] += 1
            if depth == 1:  # under an entry of the section's list: the export writes deeper ones alike
                self.sub_bullets["" if marker == outer[1] else marker] += 1
        if parent is None and marker in ("-", "*", "+", "1.", "1)"):
            self.bullets[marker] += len(children(tokens))
            section.setdefault("_bullet", marker)
        for item in list_items(tokens):
            parts_blocks = children(item)
            line = (item[0].map or (block_tokens.start, 0))[0]
            first = parts_blocks[0] if parts_blocks else []
            inline = (
                next((t for t in first if t.type == "inline"), None)
                if first and first[0].type == "paragraph_open"
                else None
            )
            if inline is None:
                start, end = item[0].map or (line, line + 1)
                text = self.verbatim(start, end)
                if text.strip() not in ("", "-", "*", "+"):
                    self.keep(line, "a list item that does not start with text: kept with the previous entry")
                    if self.resources and self.resources[-1]["section"] == section["id"]:
                        previous = self.resources[-1]
                        previous["details"] = "\n\n".join(filter(None, (previous.get("details"), text)))
                    else:
                        section["prose"] = "\n\n".join(filter(None, (section.get("prose"), text)))
                else:
                    self.keep(line, "an empty list item: nothing to keep")
                continue
            parts = parse_item(units_of(inline.children or [], 0, len(inline.content)), inline.content)
            position += POSITION_STEP
            resource = self._resource(section, parts, position, parent, line)
            self._count_links(inline.children or [])
            details: list[str] = []
            for sub in parts_blocks[1:]:
                if sub[0].type in (f"{k}_open" for k in LIST_KINDS):
                    sub_start, sub_end = sub[0].map or (line, line)
                    position = self._list(
                        section,
                        Block(sub[0].type[:-5], sub_start, sub_end, sub),
                        position,
                        resource["id"],
                        depth + 1,
                        _bullet_at(self.lines[line], marker),
                    )
                else:
                    start, end = sub[0].map or (line, line + 1)
                    details.append(textwrap.dedent(self.verbatim(start, end)))
                    self.keep(
                        start, "more than one paragraph in a list item: kept with the item as its details"
                    )
            if details:
                resource["details"] = "\n\n".join(details)
        return position

    def _count_links(self, children_tokens: list[Token]) -> None:
        self.source_links += sum(1 for link in links_in(children_tokens) if not link.startswith("#"))

    def _resource(
        self, section: dict[str, Any], parts: ItemParts, position: int, parent: str | None, line: int
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": self.resource_ids.make(parts.plain),
            "title": parts.title,
            "section": section["id"],
            "position": position,
        }
        target = parts.target
        if is_web_url(target):
            resource["url"] = target
        elif target:
            resource["awaiting_url"] = (
                "the list links to a place inside its own repository or page, not a web address"
            )
            resource["href"] = target
        else:
            resource["awaiting_url"] = "the list names it without a link"
        if parts.separator:
            self.separators[parts.separator] += 1
            resource["_separator"] = parts.separator
        if parts.description:
            resource["description"] = parts.description
        if parts.links:
            resource["links"] = [{"title": label, "target": dest} for label, dest in parts.links]
        if parts.tags:
            resource["tags"] = parts.tags
        if parts.badges:
            resource["badges"] = parts.badges
        if parts.emphasis and resource.get("url", resource.get("href")):
            resource["emphasis"] = parts.emphasis
        if parent:
            resource["parent"] = parent
        resource["_line"] = line + 1
        self.resources.append(resource)
        return resource

    # -- tables ----------------------------------------------------------------------------------

    def _table(self, section: dict[str, Any], block: Block, position: int) -> int:
        rows: list[tuple[int, list[str], list[Token]]] = []
        header: list[str] = []
        current: list[str] = []
        current_tokens: list[Token] = []
        row_line = block.start
        for token in block.tokens:
            if token.type == "tr_open":
                current, current_tokens = [], []
                row_line = (token.map or (row_line, 0))[0]
            elif token.type == "inline":
                current.append(token.content.strip())
                current_tokens.append(token)
            elif token.type == "tr_close":
                if not header:
                    header = current
                else:
                    rows.append((row_line, current, current_tokens))
        names: list[str] = []
        for index, cell in enumerate(header):
            name = plain_text(parser().parseInline(cell)[0].children or []).strip() if cell else ""
            names.append(name if name and name not in names else f"column {index + 1}")
        link_column = next(
            (
                i
                for i in range(len(names))
                if any(
                    i < len(cells) and cells[i].startswith(("[", "**[", "*[", "_[")) for _, cells, _ in rows
                )
            ),
            0,
        )
        description_column = next(
            (i for i, n in enumerate(names) if i != link_column and "description" in n.lower()), None
        )
        table: dict[str, Any] = {
            "header": self.lines[block.start],
            "delimiter": self.lines[block.start + 1],
            "columns": names,
            "link_column": names[link_column],
        }
        if description_column is not None:
            table["description_column"] = names[description_column]
        parsed = [parse_inline((cells + [""] * len(names))[link_column]) for _, cells, _ in rows]
        naming = name_column(
            names,
            [cells for _, cells, _ in rows],
            [parts.plain if parts.target is not None else None for parts in parsed],
            link_column,
            description_column,
        )
        if naming is not None:
            table["name_column"] = names[naming]
        section["table"] = table
        for (line, cells, tokens), parts in zip(rows, parsed, strict=True):
            cells = cells + [""] * (len(names) - len(cells))
            extra = [c for c in cells[len(names) :] if c]
            if extra:
                self.keep(
                    line,
                    f"a row with more cells than the header has columns: {len(extra)} extra kept as fields",
                )
            for token in tokens:
                self._count_links(token.children or [])
            plain_link_cell = parts.target is not None and not (
                parts.description or parts.links or parts.tags or parts.badges or parts.emphasis
            )
            label = parts.title
            named = naming is not None and bool(cells[naming]) and len(cells[naming]) <= MAX_TITLE
            if named:  # "| Deep Learning | [PDF](…) |": the entry is the book, its link reads "PDF"
                parts = replace(parts, title=cells[naming], plain=plain(cells[naming]) or cells[naming])
            position += POSITION_STEP
            resource = self._resource(section, parts, position, None, line)
            if named and plain_link_cell and label != parts.title:
                resource["label"] = label
            fields: dict[str, str] = {}
            for index, name in enumerate(names):
                if index == description_column:
                    if cells[index]:
                        resource["description"] = cells[index]
                    else:
                        resource.pop("description", None)
                elif (index != link_column or not plain_link_cell) and not (named and index == naming):
                    fields[name] = cells[index]
            for index, value in enumerate(cells[len(names) :]):
                if value:
                    fields[f"column {len(names) + index + 1}"] = value
            # The parser drops cells beyond the header; an empty one at the end of the written row
            # ("| Yes | |", common in real tables) is kept as an empty extra column.
            written = "| " + " | ".join(cells[: len(names)]) + " |"
            if self.lines[line].rstrip() == written + " |":
                fields[f"column {len(names) + 1}"] = ""
            if description_column is None:
                resource.pop("description", None)
            if fields:
                resource["fields"] = fields
        return position


def _body_rows(tokens: list[Token]) -> list[Token]:
    """A table's tokens after its header: its rows of entries (none when it has only a header)."""
    starts = [i for i, token in enumerate(tokens) if token.type == "tbody_open"]
    return tokens[starts[0] :] if starts else []


def _without_tabs(resource: dict[str, Any]) -> None:
    """A tab in an entry's one-line text (a name, a description, a table cell, a tag) is a space: those
    fields hold no control character. Its verbatim blocks (preface, details) keep theirs."""
    for key in ("title", "description", "label"):
        if isinstance(resource.get(key), str):
            resource[key] = resource[key].replace("\t", " ")
    if "fields" in resource:
        resource["fields"] = {name: value.replace("\t", " ") for name, value in resource["fields"].items()}
    for key in ("tags", "badges"):
        if key in resource:
            resource[key] = [value.replace("\t", " ") for value in resource[key]]
    for link in resource.get("links", ()):
        link["title"] = link["title"].replace("\t", " ")


def _bullet_at(line: str, marker: str) -> tuple[int, str] | None:
    """A bulleted item's bullet: its column on the item's first line, and the marker (None: numbered)."""
    column = _marker_column(line) if marker in ("-", "*", "+") else None
    return None if column is None else (column, marker)


def _marker_column(line: str) -> int | None:
    """The column of a list item's bullet on its first line (None: the line does not start with one)."""
    stripped = line.lstrip(" ")
    return len(line) - len(stripped) if stripped[:2] in ("- ", "* ", "+ ") else None


def read_list(text: str, name: str) -> ImportedList:
    """The catalogue documents of a Markdown list; name is the fallback title (e.g. the file's stem)."""
    return _Reader(text, name).read()
