"""The links an entry writes in its own text, checked as its secondary links beside `links`.

    secondary_links(resource) -> (Link, ...)   its `links`, then the web links of its title, description,
                                               table cells (`fields`) and further blocks (each URL once,
                                               its own URL left out)
    text_links(markdown) -> (Link, ...)        the web links written in a piece of Markdown

An imported list keeps an entry's text as the list wrote it: "The Django [ORM](https://docs...)" is a
description with a link in it (35 in awesome-python, 64 in awesome-selfhosted), and a table row keeps its
other cells ("| Lecture 1 | [Slides](…) | [Video](…) |": the Video link). A dead link there is a dead
link in the list, so the crawl checks it with the entry, as it checks the entry's "Demo" and "Source Code".
Images are not links, nor is a link around an image alone (a badge); in-page and relative links are not
web addresses. Only text that can hold a link is parsed, once: the forge step and the crawl plan both ask
for a batch's links, one after the other.
"""

from __future__ import annotations

from functools import lru_cache

from pipeline.catalogue.inline import inline_parser
from pipeline.model import Link, Resource

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
    return "](" in text or "<http" in text.lower()


@lru_cache(maxsize=4096)  # a batch's texts, between the forge step's look and the crawl plan's
def text_links(markdown: str) -> tuple[Link, ...]:
    """The web links of a piece of Markdown (inline links and autolinks), in order, each titled with its
    label as a reader sees it."""
    tokens = inline_parser().parseInline(markdown)
    children = (tokens[0].children or []) if tokens else []
    links: list[Link] = []
    inside: list = []
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
    return tuple(links)
