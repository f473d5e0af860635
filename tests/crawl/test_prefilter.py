"""The keyword pre-check before phrase patterns: never a different answer, and a real filter."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.crawl import signals
from pipeline.crawl.prefilter import Prefiltered, needed_words, prefiltered

WRAPPED = {
    f"{kind}:{facet}": value
    for kind in signals.KINDS
    for facet, _ in signals.table(kind)
    if isinstance(value := signals.pattern(kind, facet), Prefiltered)
}  # the signal patterns classify runs behind the pre-check


def test_classify_phrase_patterns_are_prefiltered() -> None:
    assert {"parked:phrase", "paywall:phrase", "not-found:notice", "bot-challenge:title"} <= set(WRAPPED)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"\bdomain\s+for\s+sale\b|\bparked\b", {"domain", "parked"}),
        (r"\bthis\s+(?:domain|website)\s+is\s+parked\b", {"parked"}),
        (r"(?:此|该)域名(?:正在)?出售", {"域名"}),  # two CJK characters are a word
        (r"\b(?:buy|purchase)(?:\s+now)?\b", {"buy", "purchase"}),
        (r"(?:ab)+cde", {"cde"}),
    ],
)
def test_needed_words(pattern: str, words: set[str]) -> None:
    assert needed_words(re.compile(pattern)) == words


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bfree\b|\d+",  # one alternative needs no word: any text may match
        r"(?:domain)?\s+sale\b|x",
        r"(?:sale)*",
        r"domain",  # fine on its own, but ...
    ],
)
def test_no_useful_words_means_the_plain_pattern(pattern: str) -> None:
    regex = re.compile(pattern, re.IGNORECASE if pattern == "domain" else 0)  # ... case-blind
    assert prefiltered(regex) is regex


def test_a_text_without_the_words_is_not_searched() -> None:
    wrapped = prefiltered(re.compile(r"\bdomain\s+for\s+sale\b"))
    assert wrapped.search("a page about matrices") is None
    assert wrapped.search("this domain   for sale now").group(0) == "domain   for sale"
    assert [m.group(0) for m in wrapped.finditer("domain for sale, domain for sale")] == [
        "domain for sale"
    ] * 2
    assert wrapped.pattern == r"\bdomain\s+for\s+sale\b"


# Texts made of the patterns' own words, spaces and a few other characters: the pre-check passes often
# and matches happen, so a wrong needed word would show as a different answer.
_EXTRA_WORDS = ["this", "the", "page", "not", "for", "sale", "is", "to", "continue", "was", "a", "now"]
_VOCABULARY = [*sorted({word for wrapped in WRAPPED.values() for word in wrapped.words}), *_EXTRA_WORDS]
_TEXTS = st.lists(
    st.one_of(st.sampled_from(_VOCABULARY), st.sampled_from([" ", "  ", "\n", "-", "'", "404", "é"])),
    max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_same_answers_as_the_plain_patterns(text: str) -> None:
    for name, wrapped in WRAPPED.items():
        plain = wrapped.regex
        for probe in (text, text.lower()):
            got, want = wrapped.search(probe), plain.search(probe)
            assert (got and got.span()) == (want and want.span()), (name, probe)
            assert [m.span() for m in wrapped.finditer(probe)] == [m.span() for m in plain.finditer(probe)]
