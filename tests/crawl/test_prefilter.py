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


def _spans(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)]


@pytest.mark.parametrize(
    ("alternatives", "text"),
    [
        # The first alternative matching at the leftmost position wins, whichever subset runs.
        ([r"\bdomain\s+for\b", r"\bdomain\s+for\s+sale\b", r"\bparked\b"], "this domain for sale, parked"),
        ([r"\bparked\b", r"\bdomain\s+for\s+sale\b"], "a domain for sale; the car is parked"),
        # An alternative without a needed word always runs, beside those whose words are there.
        ([r"\bfree\b", r"\d+"], "free since 2019"),
        ([r"\bfree\b", r"\d+"], "since 2019"),
        ([r"\bfree\b", r"\d+"], "no digits here"),
    ],
)
def test_alternatives_checked_one_by_one_give_the_same_answers(alternatives: list[str], text: str) -> None:
    plain = re.compile("|".join(f"(?:{a})" for a in alternatives))
    wrapped = prefiltered(plain, alternatives)
    assert isinstance(wrapped, Prefiltered)
    got, want = wrapped.search(text), plain.search(text)
    assert (got and (got.span(), got.group(0))) == (want and (want.span(), want.group(0)))
    assert _spans(wrapped, text) == _spans(plain, text)


def test_only_the_alternatives_a_text_may_match_run(monkeypatch: pytest.MonkeyPatch) -> None:
    alternatives = [r"\bdomain\s+for\s+sale\b", r"\bparked\b", r"\d+\s?usd\b"]
    wrapped = prefiltered(re.compile("|".join(f"(?:{a})" for a in alternatives)), alternatives)
    compiled: list[str] = []
    real_compile = re.compile

    def spy(source: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(source)
        return real_compile(source, flags)

    monkeypatch.setattr(re, "compile", spy)
    assert wrapped.search("a page about matrices") is None
    assert wrapped.search("the car is parked").group(0) == "parked"
    assert wrapped.search("parked cars").group(0) == "parked"  # the same subset, compiled once
    assert wrapped.search("a domain for sale, parked").group(0) == "domain for sale"
    assert compiled == [r"(?:\bparked\b)", r"(?:\bdomain\s+for\s+sale\b)|(?:\bparked\b)"]


def test_backreferences_keep_the_alternation_whole() -> None:
    """Leaving an alternative out would renumber the group a backreference names."""
    alternatives = [r"(sale)x", r"\b(\w+)\s+\2\s+domain\b"]
    plain = re.compile("|".join(f"(?:{a})" for a in alternatives))
    wrapped = prefiltered(plain, alternatives)
    for text in ("the the domain", "salex", "a page"):
        got, want = wrapped.search(text), plain.search(text)
        assert (got and got.span()) == (want and want.span())
