"""The one CommonMark parser for the lines of Markdown a catalogue keeps (descriptions, headings), built
once. markdown-it is imported at the first use, not at start-up: a crawl whose entries hold no link in
their text never loads it."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
