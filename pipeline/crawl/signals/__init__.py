"""Judgement data: the phrases and markers that signal a kind of page, one file per kind, by language.

Each `<kind>.txt` in this folder holds sections headed `[facet language]` (`*` for entries that belong to
no language: markup, hosts, URL patterns), one entry per line; blank lines and lines starting with `#`
are ignored. Whether a facet's entries are regular expressions or literal strings is the caller's choice
(`pattern` or `literals`). Files are read and compiled once per process.

Adding a language is adding a section to a file and a row to the table in tests/crawl/test_signals.py.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from pipeline.crawl.prefilter import prefiltered

KINDS = (
    "not-found",
    "removed-content",
    "parked",
    "paywall",
    "sign-in",
    "bot-challenge",
    "consent-wall",
)
ANY = "*"  # the language of entries that are not words (markup, host names, URL patterns)
_HEADER = re.compile(r"^\[([a-z][a-z-]*)\s+(\*|[a-z]{2,3}(?:-[a-z]+)?)\]$")


class SignalFileError(ValueError):
    """A signal file that cannot be read as sections of entries."""


@functools.cache
def table(kind: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(facet, language) -> entries of one kind, in file order."""
    if kind not in KINDS:
        raise KeyError(f"unknown signal kind {kind!r} (known: {', '.join(KINDS)})")
    name = f"{kind}.txt"
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    sections: dict[tuple[str, str], list[str]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if header := _HEADER.match(line):
            current = sections.setdefault((header.group(1), header.group(2)), [])
            continue
        if current is None:
            raise SignalFileError(f"{name}:{number}: an entry before the first [facet language] header")
        current.append(line)
    return {key: tuple(entries) for key, entries in sections.items()}


def entries(kind: str, facet: str, language: str | None = None) -> tuple[str, ...]:
    """The entries of a facet, for one language or for all of them (in file order)."""
    return tuple(
        entry
        for (f, lang), values in table(kind).items()
        if f == facet and (language is None or lang == language)
        for entry in values
    )


@functools.cache
def literals(kind: str, facet: str) -> tuple[str, ...]:
    """A facet's entries as literal strings, lower-cased."""
    return tuple(entry.lower() for entry in entries(kind, facet))


@functools.cache
def pattern(kind: str, facet: str, language: str | None = None) -> re.Pattern[str]:
    """A facet's entries as one regular expression (any entry matches), compiled once."""
    found = entries(kind, facet, language)
    if not found:
        raise KeyError(f"{kind}.txt has no [{facet} {language or '...'}] entries")
    for entry in found:
        try:
            re.compile(entry)
        except re.error as error:
            raise SignalFileError(
                f"{kind}.txt [{facet}]: {entry!r} is not a regular expression: {error}"
            ) from None
    # A keyword pre-check per entry (crawl/prefilter.py): same answers, running only the entries whose
    # words a text holds, and nothing on the many pages that hold none of them.
    return prefiltered(re.compile("|".join(f"(?:{entry})" for entry in found)), found)
