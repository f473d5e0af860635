"""CommonMark parsing for `roadmap import`: markdown-it-py tokens with the source lines of every block and
the character span of every inline element, so the importer can keep text verbatim.

markdown-it gives block tokens their source lines (`.map`) but inline tokens no offsets. Each inline rule
is wrapped to note where its element starts and ends in the paragraph's raw text (`token.meta["span"]`);
text between spanned elements is the paragraph's own text. No regular expression reads Markdown here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token


def _spanning(rule: Callable[..., bool], every_token: bool) -> Callable[..., bool]:
    def wrapped(state: Any, silent: bool) -> bool:
        if not silent and state.pending:
            state.pushPending()  # so the tokens this rule pushes are its own, not the text before it
        start, before = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent and len(state.tokens) > before:
            span = (start, state.pos)
            pushed = state.tokens[before:]
            # Emphasis pushes one token per delimiter and later turns some into *_open/*_close: all of
            # them carry the run's span. Other rules: their first token (and a link's close).
            for token in pushed if every_token else (pushed[0], pushed[-1]):
                if every_token or token is pushed[0] or token.nesting == -1:
                    token.meta = {**(token.meta or {}), "span": span}
        return found

    return wrapped


@cache
def parser() -> MarkdownIt:
    """CommonMark plus GFM tables, every inline rule noting its span."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    for rule in md.inline.ruler.__rules__:
        if rule.name != "text":  # plain text carries no structure; its span is the gap between others
            rule.fn = _spanning(rule.fn, every_token=rule.name in ("emphasis", "strikethrough"))
    md.inline.ruler.__cache__ = None
    return md


@dataclass
class Block:
    """One top-level block: its kind, its source lines [start, end) and its tokens (open..close)."""

    kind: str  # heading, paragraph, bullet_list, ordered_list, table, hr, html_block, fence, blockquote, ...
    start: int
    end: int
    tokens: list[Token] = field(repr=False)

    @property
    def inline(self) -> Token | None:
        return next((t for t in self.tokens if t.type == "inline"), None)


def _closing(tokens: list[Token], index: int) -> int:
    """The index of the token that closes the one at index (itself when it opens nothing)."""
    end = index
    if tokens[index].nesting == 1:
        depth = 0
        while True:
            depth += tokens[end].nesting
            if depth == 0:
                break
            end += 1
    return end


def blocks(tokens: list[Token]) -> list[Block]:
    """The top-level blocks of a token stream, in order."""
    out: list[Block] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _closing(tokens, index)
        kind = token.type.removesuffix("_open")
        start_line, end_line = token.map or (0, 0)
        out.append(Block(kind, start_line, end_line, tokens[index : end + 1]))
        index = end + 1
    return out


def children(tokens: list[Token], start: int = 1) -> list[list[Token]]:
    """The direct child blocks of a container's tokens (tokens[0] is its open, tokens[-1] its close)."""
    out: list[list[Token]] = []
    index = start
    while index < len(tokens) - 1:
        end = _closing(tokens, index)
        out.append(tokens[index : end + 1])
        index = end + 1
    return out


@dataclass(frozen=True)
class Unit:
    """A top-level element of an inline: text, link, image, code, strong, em, html, break, ..."""

    kind: str
    start: int
    end: int
    tokens: tuple[Token, ...] = ()

    def inner(self) -> list[Unit]:
        """The units inside a link or emphasis."""
        return units_of(list(self.tokens[1:-1]), self.start, self.end)


def _span(token: Token) -> tuple[int, int] | None:
    return (token.meta or {}).get("span")


def units_of(children: list[Token], start: int, end: int) -> list[Unit]:
    """Group an inline's children into top-level units with their spans; text fills the gaps."""
    spanned: list[Unit] = []
    index = 0
    while index < len(children):
        token = children[index]
        if token.nesting == 1:
            depth, close = 0, index
            while True:
                depth += children[close].nesting
                if depth == 0:
                    break
                close += 1
            group = children[index : close + 1]
            first, last = _span(token), _span(children[close])
            if first is not None and last is not None:
                kind = token.type.removesuffix("_open")
                spanned.append(Unit(kind, first[0], max(first[1], last[1]), tuple(group)))
            index = close + 1
            continue
        span = _span(token)
        if span is not None and token.type != "text":
            spanned.append(Unit(token.type, span[0], span[1], (token,)))
        index += 1
    out: list[Unit] = []
    cursor = start
    for unit in sorted(spanned, key=lambda u: u.start):
        if unit.start > cursor:
            out.append(Unit("text", cursor, unit.start))
        out.append(unit)
        cursor = max(cursor, unit.end)
    if cursor < end:
        out.append(Unit("text", cursor, end))
    return out
