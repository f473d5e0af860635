"""The one CommonMark parser for the lines of Markdown a catalogue keeps (descriptions, headings), built
once. markdown-it is imported at the first use, not at start-up: a crawl whose entries hold no link in
their text never loads it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def plain(markdown: str) -> str:
    """What a reader sees of a line of Markdown (a heading's or an entry's name, for ids and anchors)."""
    tokens = inline_parser().parseInline(markdown)
    return plain_text(tokens[0].children or []).strip() if tokens else ""


def plain_text(tokens: Sequence[Token]) -> str:
    """What a reader sees of some inline tokens: their text and code, an image's alt text, a line break
    as a space; no markup, no HTML (for ids, anchors and a heading's plain title)."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(plain_text(token.children))
    return "".join(parts)
