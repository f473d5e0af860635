"""Interstitials: what a bot wall or a consent prompt standing in front of a page looks like.

Pure: response headers and page facts in, evidence out; the phrases and markers are data
(signals/bot-challenge.txt, signals/consent-wall.txt). Neither says anything about the page behind.
"""

from __future__ import annotations

from pipeline.crawl import html, signals
from pipeline.crawl.facts import Response
from pipeline.status import Evidence

CHALLENGE_TEXT_MAX = (
    2500  # widget markers and wording count on short pages only (a contact form has a captcha)
)
CONSENT_TEXT_MAX = 1000  # a page this short that asks for consent is the prompt, not a page with a banner


def challenge(response: Response, page: tuple[str, html.PageFacts] | None) -> Evidence | None:
    """Signs that a bot wall answered instead of the site: its headers, else its title or widget."""
    if mitigated := response.header("cf-mitigated").lower():
        return Evidence("bot-challenge", f"header cf-mitigated: {mitigated}")
    if action := response.header("x-amzn-waf-action"):
        return Evidence("bot-challenge", f"header x-amzn-waf-action: {action}")
    if page is None:
        return None
    markup, facts = page
    title = facts.title.lower()
    if title and signals.pattern("bot-challenge", "title").search(title):
        return Evidence("bot-challenge", f"challenge page titled {facts.title!r}")
    if facts.text_length <= CHALLENGE_TEXT_MAX or response.status >= 400:
        marker = next((m for m in signals.literals("bot-challenge", "markup") if m in markup), None)
        if marker:
            return Evidence("bot-challenge", f"challenge widget in the page ({marker})")
        if m := signals.pattern("bot-challenge", "text").search(facts.lowered):
            return Evidence("bot-challenge", f"the page says {m.group(0)!r}")
    return None


def consent_prompt(page: tuple[str, html.PageFacts]) -> Evidence | None:
    """Signs that a page is a cookie or privacy consent prompt rather than a page with a cookie banner:
    consent wording in its title or first heading, or a short page whose text is the prompt
    (signals/consent-wall.txt)."""
    markup, facts = page
    phrase = signals.pattern("consent-wall", "phrase")
    m = next(filter(None, (phrase.search(v.lower()) for v in (facts.title, *facts.headings[:1]))), None)
    if m is None and facts.text_length <= CONSENT_TEXT_MAX:
        text = facts.lowered
        m = phrase.search(text)
        marker = next((x for x in signals.literals("consent-wall", "markup") if x in markup), None)
        if m is None and marker is not None and "cookie" in text:
            return Evidence(
                "consent-wall", f"a consent manager's prompt stands in front of the page ({marker})"
            )
    if m is None:
        return None
    return Evidence("consent-wall", f"a consent prompt stands in front of the page: it says {m.group(0)!r}")
