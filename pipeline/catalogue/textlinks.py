"""The links an entry writes in its own text, checked as its secondary links beside `links`.

    secondary_links(resource) -> (Link, ...)   its `links`, then the web links of its title, description,
                                               table cells (`fields`) and further blocks (each URL once,
                                               its own URL left out)
    text_links(markdown) -> (Link, ...)        the web links written in a piece of Markdown
    list_links(catalogue) -> (ListLink, ...)   the web links of the list's own text (its introduction,
                                               the sections' prose), not already an entry's

An imported list keeps an entry's text as the list wrote it: "The Django [ORM](https://docs...)" is a
description with a link in it (35 in awesome-python, 64 in awesome-selfhosted), and a table row keeps its
other cells ("| Lecture 1 | [Slides](…) | [Video](…) |": the Video link). A dead link there is a dead
link in the list, so the crawl checks it with the entry, as it checks the entry's "Demo" and "Source Code".
Images are not links, nor is a link around an image alone (a badge); in-page and relative links are not
web addresses. An HTML anchor with text (`<a href="https://…">Docs</a>`, in an HTML block or inline) is a
link like a Markdown one. Only text that can hold a link is parsed, once: the forge step and the crawl
plan both ask for a batch's links, one after the other.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from pipeline.catalogue.inline import inline_parser
from pipeline.model import Catalogue, Link, Resource

if TYPE_CHECKING:
    from markdown_it.token import Token

_WEB = ("http://", "https://")


def secondary_links(resource: Resource) -> tuple[Link, ...]:
    texts = [
        text
        for text in (resource.title, resource.description, *resource.fields.values(), resource.details)
        if text and _may_link(text)
    ]
    if not texts:
        return resource.links
    seen = {resource.url, *(link.target for link in resource.links)}
    found = list(resource.links)
    for text in texts:
        for link in text_links(text):
            if link.target not in seen:
                seen.add(link.target)
                found.append(link)
    return tuple(found)


def _may_link(text: str) -> bool:
    lowered = text.lower()
    return "](" in text or "<http" in lowered or "<a" in lowered


@lru_cache(maxsize=4096)  # a batch's texts, between the forge step's look and the crawl plan's
def text_links(markdown: str) -> tuple[Link, ...]:
    """The web links of a piece of Markdown (inline links and autolinks), in order, each titled with its
    label as a reader sees it."""
    tokens = inline_parser().parseInline(markdown)
    return tuple(_links_of(tokens[0])) if tokens else ()


@dataclass(frozen=True)
class ListLink:
    """A web link in the list's own text, not an entry's: the introduction (no section), a section's
    prose, or the prose just before an entry (resource: that entry's id, whose file keeps it)."""

    title: str
    target: str
    section: str | None = None
    resource: str | None = None


def list_links(catalogue: Catalogue) -> tuple[ListLink, ...]:
    """The web links of the list's own text (an imported list's introduction; a roadmap's introduction,
    how-to-use, quality bar, contributing and footer), then of each section's (its introduction, goals
    and prose before its entries, the prose before an entry, after them), in reading order, each URL
    once. A URL that is an entry's own or one of its secondary links is left out: it is checked and
    reported with that entry."""
    prefaces: dict[str, list[Resource]] = {}
    for resource in catalogue.resources:
        if resource.preface:
            prefaces.setdefault(resource.section, []).append(resource)
    roadmap, guide = catalogue.roadmap, catalogue.roadmap.how_to_use
    own = (roadmap.preamble, roadmap.tagline, *roadmap.introduction, roadmap.quality_bar)
    if guide is not None:
        own += (*guide.introduction, *(path.advice for path in guide.paths))
    own += (*roadmap.contributing, *roadmap.footer)
    texts: list[tuple[str | None, str | None, str | None]] = [(text, None, None) for text in own]
    for section in catalogue.sections:
        before = (*section.introduction, *section.goals, *section.coverage, section.prose)
        texts += [(text, section.id, None) for text in before]
        texts += [(r.preface, section.id, r.id) for r in prefaces.get(section.id, ())]
        texts.append((section.prose_after, section.id, None))
    texts = [(text, section_id, rid) for text, section_id, rid in texts if text and _may_link(text)]
    if not texts:  # most catalogues: no entry's links to gather either
        return ()
    seen = {resource.url for resource in catalogue.resources}
    seen.update(link.target for resource in catalogue.resources for link in secondary_links(resource))
    found: list[ListLink] = []
    for text, section_id, resource_id in texts:
        for token in inline_parser().parse(text or ""):
            for link in _links_of(token):
                if link.target not in seen:
                    seen.add(link.target)
                    found.append(ListLink(link.title, link.target, section_id, resource_id))
    return tuple(found)


def _links_of(token: Token) -> list[Link]:
    """The web links of a block's token: an inline's Markdown links, then its HTML anchors; an HTML
    block's anchors."""
    if token.type == "html_block":
        return _html_links(token.content)
    if token.type != "inline":
        return []
    children = token.children or []
    links = _web_links(children)
    if any(t.type == "html_inline" and t.content[:2].lower() == "<a" for t in children):
        # the anchors with the text between their tags, as HTML (text escaped again, code left out)
        markup = "".join(
            t.content if t.type == "html_inline" else html.escape(t.content) if t.type == "text" else " "
            for t in children
            if t.type != "code_inline"
        )
        links += _html_links(markup)
    return links


def _html_links(markup: str) -> list[Link]:
    anchors = _Anchors()
    anchors.feed(markup)
    anchors.close()
    return anchors.found


class _Anchors(HTMLParser):
    """The web links of HTML: each <a href> with text of its own (around an image alone: a badge)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = (dict(attrs).get("href") or "").strip(), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            label = " ".join("".join(self._text).split())
            if label and self._href.lower().startswith(_WEB):
                self.found.append(Link(label, self._href))
            self._href = None


def _web_links(children: list[Token]) -> list[Link]:
    """The web links among an inline's tokens; a link around an image alone (a badge) is not one."""
    links: list[Link] = []
    inside: list[Token] = []
    href: str | None = None
    for token in children:
        if token.type == "link_open":
            href, inside = str(token.attrs.get("href", "")), []
        elif token.type == "link_close" and href is not None:
            shown = [t for t in inside if not (t.type == "text" and not t.content.strip())]
            is_badge = bool(shown) and all(t.type == "image" for t in shown)
            if href.lower().startswith(_WEB) and not is_badge:
                label = " ".join("".join(t.content for t in inside if t.type != "image").split())
                links.append(Link(label or href, href))
            href = None
        elif href is not None:
            inside.append(token)
    return links
