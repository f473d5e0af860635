"""One list item (or table cell) of an awesome list -> its parts: name, link, description, secondary links,
tags and badges. Works on the CommonMark units of the item's paragraph (pipeline.importer.markdown), and
keeps every part as the Markdown the list wrote.

Shapes understood (and their variants): `[Name](url) - Description.`, separators `-` `–` `—` `:` or
none, a name in bold or italics, trailing badges and images, secondary links `([Demo](…), [Source
Code](…))`, trailing inline-code tags (`MIT` `Go`), and items without a link (`Label - text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.catalogue.inline import plain, plain_text
from pipeline.importer.markdown import Unit, parser, units_of

SEPARATORS = ("-", "–", "—", ":")
# A description ending in one of these may be followed by inline-code tags; otherwise a trailing
# `code` is part of the sentence ("A wrapper around `pycodestyle`").
_SENTENCE_END = (".", ")", "!", "?")
MAX_TITLE = 200


@dataclass
class ItemParts:
    title: str  # the name as the list writes it (a link's label, raw Markdown)
    plain: str  # the name as a reader sees it (for ids)
    target: str | None = None  # the link's destination as written, or None
    separator: str = ""  # between name and description, as written (e.g. " - ")
    description: str | None = None  # raw Markdown
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, destination)
    tags: list[str] = field(default_factory=list)  # inline-code tags, without backticks
    badges: list[str] = field(default_factory=list)  # raw Markdown of trailing images/badges
    emphasis: str = ""  # markup around a bold/italic name, e.g. "**"


def _is_blank(unit: Unit, text: str) -> bool:
    return unit.kind == "text" and not text[unit.start : unit.end].strip()


def _link_parts(unit: Unit, text: str) -> tuple[str, str]:
    """(label, destination) of a link unit, both as written."""
    raw = text[unit.start : unit.end]
    middle = raw.rfind("](")
    href = str(unit.tokens[0].attrs.get("href", ""))
    if middle < 0 or not raw.endswith(")"):  # a reference-style link: [label][ref]
        return plain_text(unit.tokens[1:-1]), href
    label = raw[1:middle]
    inside = raw[middle + 2 : -1].strip()
    if inside.startswith("<"):
        # <…> may hold spaces: the link goes where a browser goes, to the address with them encoded.
        destination = (inside[1 : inside.find(">")] if ">" in inside else inside[1:]).replace(" ", "%20")
    else:
        destination = inside.split(None, 1)[0] if inside else ""
    return label, destination


def _is_badge(unit: Unit) -> bool:
    if unit.kind == "image":
        return True
    if unit.kind != "link":
        return False
    inner = [t for t in unit.tokens[1:-1] if not (t.type == "text" and not t.content.strip())]
    return bool(inner) and all(t.type == "image" for t in inner)


def _name_link(unit: Unit, text: str) -> tuple[Unit, str] | None:
    """The link that names the item: a link, or a link wrapped in bold/italics (with that markup)."""
    if unit.kind == "link" and not _is_badge(unit):
        return unit, ""
    if unit.kind in ("strong", "em"):
        inner = [u for u in unit.inner() if not _is_blank(u, text)]
        markup = unit.tokens[0].markup
        inner = [u for u in inner if not (u.kind == "text" and text[u.start : u.end].strip() == markup)]
        if len(inner) == 1 and inner[0].kind == "link" and not _is_badge(inner[0]):
            return inner[0], markup
    return None


def _separator_end(text: str, start: int, end: int) -> int:
    """Where the description starts after a name ending at start: past blanks and one separator."""
    index = start
    while index < end and text[index] in " \t":
        index += 1
    if index < end and text[index] in SEPARATORS:
        index += 1
        while index < end and text[index] in " \t":
            index += 1
        return index
    return start if index >= end else index


def _split_unlinked(units: list[Unit], text: str, start: int, end: int) -> tuple[int, int] | None:
    """(name end, description start) of an item whose name is not a link: the first ` - `, ` – `, ` — `
    or `: ` in the item's own text; None when there is none."""
    for unit in units:
        if unit.kind != "text":
            continue
        chunk = text[unit.start : unit.end]
        best = None
        for sep in (" - ", " – ", " — ", ": "):
            at = chunk.find(sep)
            if (at > 0 or (at == 0 and unit.start > start)) and (best is None or at < best[0]):
                best = (at, sep)
        if best is not None:
            at, sep = best
            name_end = unit.start + at
            return name_end, _separator_end(text, name_end, end)
    return None


def _trailing(units: list[Unit], text: str) -> tuple[list[Unit], list[str], list[str]]:
    """Strip trailing badges and tags; return the remaining units, the tags and the badges."""
    units = list(units)
    tags: list[str] = []
    badges: list[str] = []
    candidates: list[Unit] = []
    while units:
        last = units[-1]
        if _is_blank(last, text):
            units.pop()
            continue
        if _is_badge(last) or last.kind == "code_inline":
            candidates.append(units.pop())
            continue
        break
    # Code is a tag only after a finished sentence, a secondary-links group, or nothing at all.
    before = text[units[-1].start : units[-1].end].rstrip() if units else ""
    codes_are_tags = not before or before.endswith(_SENTENCE_END) or units[-1].kind in ("link", "image")
    for unit in reversed(candidates):
        raw = text[unit.start : unit.end]
        if unit.kind == "code_inline" and codes_are_tags:
            tags.append(unit.tokens[0].content)
        elif unit.kind != "code_inline":
            badges.append(raw)
        else:
            units.append(unit)
            codes_are_tags = False
    return units, tags, badges


def _secondary(units: list[Unit], text: str) -> tuple[list[Unit], list[tuple[str, str]]]:
    """A trailing `([Demo](…), [Source Code](…))` group: the remaining units and the links."""
    if len(units) < 3 or units[-1].kind != "text" or units[-2].kind != "link":
        return units, []
    if text[units[-1].start : units[-1].end].strip() != ")":
        return units, []
    links: list[tuple[str, str]] = []
    index = len(units) - 2
    while index >= 0:
        unit = units[index]
        if unit.kind != "link" or _is_badge(unit):
            return units, []
        links.append(_link_parts(unit, text))
        glue = units[index - 1] if index >= 1 else None
        if glue is None or glue.kind != "text":
            return units, []
        chunk = text[glue.start : glue.end]
        if chunk.strip() == ",":
            index -= 2
            continue
        if chunk.rstrip(" ").endswith("("):
            links.reverse()
            opening = glue.start + chunk.rstrip(" ").rfind("(")
            head = Unit("text", glue.start, opening) if opening > glue.start else None
            rest = units[: index - 1] + ([head] if head else [])
            return rest, links
        return units, []
    return units, []


def parse_item(units: list[Unit], text: str) -> ItemParts:
    """The parts of one item whose paragraph text is `text` (units from pipeline.importer.markdown)."""
    start = 0
    while units and _is_blank(units[0], text):
        start = units[0].end
        units = units[1:]
    rest, tags, badges = _trailing(units, text)
    rest, links = _secondary(rest, text)
    body_end = max((u.end for u in rest), default=start)
    named = _name_link(rest[0], text) if rest else None
    if named is not None:
        link, emphasis = named
        title, target = _link_parts(link, text)
        shown = plain_text(link.tokens[1:-1]).strip()
        name_end = rest[0].end
        desc_start = _separator_end(text, name_end, body_end)
        parts = ItemParts(title=title, plain=shown or title, target=target, emphasis=emphasis)
    else:
        split = _split_unlinked(rest, text, start, body_end)
        name_end, desc_start = split if split else (body_end, body_end)
        title = text[start:name_end].strip()
        parts = ItemParts(title=title, plain=plain(title))
    parts.separator = text[name_end:desc_start].replace("\t", " ")  # written on one line, as a space
    description = text[desc_start:body_end].strip()
    parts.description = description or None
    if not parts.description:
        parts.separator = ""
    parts.links, parts.tags, parts.badges = links, tags, badges
    if "\n" in parts.title or len(parts.title) > MAX_TITLE or not parts.title.strip():
        # Not a name: the whole text is the description; the title is its first words.
        whole = text[start:body_end].strip()
        words = " ".join(plain(whole).split())
        parts.title = (words[: MAX_TITLE - 1] + "…") if len(words) > MAX_TITLE else (words or "untitled")
        parts.plain = parts.title
        parts.target, parts.separator, parts.description, parts.emphasis = None, "", whole or None, ""
    return parts


def parse_inline(markdown_text: str) -> ItemParts:
    """parse_item for a piece of Markdown on its own (a table cell, a test)."""
    tokens = parser().parseInline(markdown_text)
    children = (tokens[0].children or []) if tokens else []
    return parse_item(units_of(children, 0, len(markdown_text)), markdown_text)
