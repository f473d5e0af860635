"""A cheap keyword pre-check before a big alternation of phrase patterns.

Python's regex engine tries every alternative of a pattern like the signal phrases at every position of a
page's text: ~85 µs per pattern on a 1 KB page, the biggest CPU cost of a crawl. Nearly every page
contains none of the words those phrases are built on, and `word in text` is a C-speed scan. So for
each pattern the words are worked out once, from the parsed pattern itself (no hand-kept list to drift):
a set of literal strings at least one of which every possible match contains. A text that holds none of
them cannot match, and the regex is not run; otherwise it runs as before. The answers never differ.

    PHRASES = prefiltered(re.compile(r"\\bdomain\\s+for\\s+sale\\b|\\bparked\\b"))
    PHRASES.search(text)   # None at once unless "domain" or "parked" is in text
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

MIN_WORD = 3  # a needed Latin literal shorter than this is in almost every text: no use as a filter
MIN_WORD_WIDE = 2  # two CJK characters (域名, 页面) are a word
_CASE_FLAGS = re.IGNORECASE | re.VERBOSE  # literals of such patterns are not the text's own characters


def needed_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literal strings one of which is in every text the pattern can match, or None if no useful set."""
    if not isinstance(pattern.pattern, str) or pattern.flags & _CASE_FLAGS:
        return None
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # an unknown parse tree: run the regex as it is
        return None
    cover = _cover(list(parsed))
    return frozenset(cover) if cover else None


def _cover(items: list[tuple[Any, Any]]) -> set[str] | None:
    """For a sequence (every item must match): the best cover among its literal runs and its items."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, value in [*items, (None, None)]:
        if op is _c.LITERAL:
            run.append(chr(value))
            continue
        if _useful(word := "".join(run)):
            candidates.append({word})
        run = []
        if op is None:
            break
        found = _item_cover(op, value)
        if found:
            candidates.append(found)
    if not candidates:
        return None
    return max(candidates, key=lambda words: (min(map(len, words)), -len(words)))


def _useful(word: str) -> bool:
    return len(word) >= (MIN_WORD if word.isascii() else MIN_WORD_WIDE)


def _item_cover(op: Any, value: Any) -> set[str] | None:
    if op is _c.BRANCH:
        union: set[str] = set()
        for alternative in value[1]:
            found = _cover(list(alternative))
            if not found:
                return None  # an alternative without a needed word: any text might match
            union |= found
        return union
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, sub = value
        if (add_flags | del_flags) & _CASE_FLAGS:
            return None
        return _cover(list(sub))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = value
        return _cover(list(sub)) if low >= 1 else None
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _cover(list(value))
    return None


class Prefiltered:
    """A compiled pattern that answers "no match" without running when none of its needed words is in
    the text; otherwise the pattern itself answers. Other attributes are the pattern's."""

    __slots__ = ("regex", "words")

    def __init__(self, regex: re.Pattern[str], words: frozenset[str]) -> None:
        self.regex, self.words = regex, tuple(sorted(words, key=len))

    def _may_match(self, text: str) -> bool:
        return any(word in text for word in self.words)

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        return self.regex.search(text, *args) if self._may_match(text) else None

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text, *args) if self._may_match(text) else iter(())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)

    def __repr__(self) -> str:
        return f"prefiltered({self.regex!r}, words={self.words!r})"


def prefiltered(regex: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern behind a keyword pre-check, or the pattern itself if it has no useful needed words."""
    words = needed_words(regex)
    return regex if words is None else Prefiltered(regex, words)  # type: ignore[return-value]
