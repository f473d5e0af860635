"""A cheap keyword pre-check before a big alternation of phrase patterns.

Python's regex engine tries every alternative of a pattern like the signal phrases at every position of a
page's text: ~85 µs per pattern on a 1 KB page, 5 ms on a long article, the biggest CPU cost of a crawl.
So for each alternative the words are worked out once, from the parsed pattern itself (no hand-kept list
to drift): a set of literal strings at least one of which every possible match contains. An alternative
whose words are all absent from a text cannot match anywhere in it; the pattern runs with only the
alternatives the text may match (`word in text` is a C-speed scan), and not at all when none may. The
answers never differ: the leftmost match, and the first alternative that matches there, are the same.

    PHRASES = prefiltered(re.compile(r"(?:\\bdomain\\s+for\\s+sale\\b)|(?:\\bparked\\b)"),
                          [r"\\bdomain\\s+for\\s+sale\\b", r"\\bparked\\b"])
    PHRASES.search(text)   # None at once unless "domain" or "parked" is in text
    PHRASES.search("parked cars")   # runs \\bparked\\b alone
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
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
_SUBSETS_KEPT = 64  # compiled alternations of a pattern's alternatives kept (texts share a few subsets)


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
    """A compiled alternation that runs only the alternatives a text can match: an alternative whose needed
    words are all absent from the text cannot match anywhere in it, so leaving it out changes no answer
    (the leftmost match, and the first alternative matching there, are the same). With none left the
    answer is "no match" without running anything. Other attributes are the whole pattern's."""

    __slots__ = ("_alternatives", "_ascii_words", "_bare", "_needs", "_subsets", "regex", "words")

    def __init__(
        self,
        regex: re.Pattern[str],
        alternatives: tuple[str, ...],
        needs: tuple[frozenset[str] | None, ...],
    ) -> None:
        self.regex, self._alternatives, self._needs = regex, alternatives, needs
        self.words = tuple(sorted(frozenset().union(*filter(None, needs)), key=len))
        self._ascii_words = tuple(word for word in self.words if word.isascii())  # all an ASCII text may hold
        self._subsets: dict[tuple[int, ...], re.Pattern[str] | None] = {}
        self._bare = self._subset(tuple(i for i, need in enumerate(needs) if need is None))

    def _subset(self, kept: tuple[int, ...]) -> re.Pattern[str] | None:
        if len(kept) == len(self._alternatives):
            return self.regex
        if (found := self._subsets.get(kept, False)) is not False:
            return found
        if len(self._subsets) >= _SUBSETS_KEPT:
            self._subsets.clear()
        joined = "|".join(f"(?:{self._alternatives[i]})" for i in kept)
        found = self._subsets[kept] = re.compile(joined, self.regex.flags) if kept else None
        return found

    def _pattern_for(self, text: str) -> re.Pattern[str] | None:
        """The alternation of the alternatives that may match text (None: none may)."""
        words = self._ascii_words if text.isascii() else self.words
        present = {word for word in words if word in text}
        if not present:
            return self._bare
        return self._subset(
            tuple(i for i, need in enumerate(self._needs) if need is None or not need.isdisjoint(present))
        )

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        regex = self._pattern_for(text)
        return None if regex is None else regex.search(text, *args)

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        regex = self._pattern_for(text)
        return iter(()) if regex is None else regex.finditer(text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)

    def __repr__(self) -> str:
        return f"prefiltered({self.regex!r}, words={self.words!r})"


def prefiltered(regex: re.Pattern[str], alternatives: Sequence[str] | None = None) -> re.Pattern[str]:
    """The pattern behind a keyword pre-check, or the pattern itself if the check could never spare a run.

    alternatives: the sources whose `(?:a)|(?:b)|...` regex is, so that each is checked on its own;
    without them the pattern is one alternative. Alternatives must not refer to each other's groups.
    """
    if alternatives is None or _has_group_refs(regex):
        alternatives = (regex.pattern,)
        needs: tuple[frozenset[str] | None, ...] = (needed_words(regex),)
    else:
        alternatives = tuple(alternatives)
        needs = tuple(needed_words(re.compile(a, regex.flags)) for a in alternatives)
    if all(need is None for need in needs):
        return regex
    return Prefiltered(regex, alternatives, needs)  # type: ignore[return-value]


def _has_group_refs(regex: re.Pattern[str]) -> bool:
    """Whether the pattern holds backreferences: numbered groups shift when alternatives are left out."""
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
    except Exception:
        return True
    refs = {_c.GROUPREF, _c.GROUPREF_EXISTS, getattr(_c, "GROUPREF_IGNORE", None)}
    stack = [parsed]
    while stack:
        for op, value in stack.pop():
            if op in refs:
                return True
            for part in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(part, _sre_parse.SubPattern):
                    stack.append(part)
                elif isinstance(part, list):
                    stack.extend(p for p in part if isinstance(p, _sre_parse.SubPattern))
    return False
