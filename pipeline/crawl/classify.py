"""Response facts -> verdict with evidence. Pure: tests drive it without a network.

The rule of thumb everywhere: a maintainer must be able to trust every failure. When the facts allow
"the site refuses automated checks" as well as "the link is dead", the verdict is `blocked`; content
rules (soft 404, paywall, login wall, anchors) fire only on clear signals and stay silent on pages a
browser would render with JavaScript. The phrases and markers are data (pipeline/crawl/signals/).

The policy is the order of `RULES`: the first rule that gives a verdict decides, and a URL no rule
judges is `ok`. tests/crawl/test_classify.py holds RULES to this list.

 1. redirect-to-parking-host: a redirect to a parking network, whether or not its page answered.
 2. fetch-failure: no usable response (no such name, refused, timeout, TLS, non-public address...).
 3. redirect-to-lander: redirected to "/lander", a parking network's landing page.
 4. redirect-to-interstitial: redirected to a bot check or a consent prompt instead of the page.
 5. redirect-to-sign-in: redirected to a sign-in URL the link itself is not.
 6. http-status: any status but 2xx (or a domain rule's override); a bot wall behind it is `blocked`.
 7. challenge-header: a 2xx that a bot wall's headers mark as a challenge.
 8. redirect-to-home-page: a deep link redirected to its own site's home page.
 9. empty-body: a 2xx with nothing in it.
    Rules 10-18 read a 2xx HTML page.
10. bot-challenge: the page is a bot wall (title, widget, or the wording of a short page).
11. parked-domain: the page is a parked domain's (wording, markup or where its script sends it).
12. not-found-notice: the title or first headings say the page does not exist.
13. removed-content: the title, first headings or a short page say the content was removed.
14. paywall: schema.org says not free, or paywall wording, or a price to pay and nothing free.
15. password-form: a sign-in form is the page's main content.
16. empty-page: no text, no media, no script.
17. same-as-missing-page: the host serves the same page for a path that cannot exist; when that page
    is a consent prompt standing in front of every path, `blocked` (it says nothing of the page).
18. anchor-missing: the #fragment names no element of the page (nor of a consent prompt's page).
19. permanent-redirect: the link moved for good; the catalogue should hold the new address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin

from pipeline.config import DomainRule
from pipeline.crawl import html, signals
from pipeline.crawl.anchors import APP_TEXT_MIN, missing_anchor
from pipeline.crawl.codes import failure_verdict, status_code_verdict
from pipeline.crawl.facts import Failure, Fetched, Probe, Response
from pipeline.crawl.probe import same_as_missing
from pipeline.crawl.redirects import (
    host_of,
    is_home,
    is_login_url,
    on_host,
    path_of,
    same_site,
    update_target,
)
from pipeline.crawl.walls import CHALLENGE_TEXT_MAX, challenge, consent_prompt
from pipeline.status import Evidence, Outcome, Status

_NOTICE_WORDS = 6  # a title segment longer than this is a sentence about something, not a notice
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:»]+\s+|\s*[|–—·»]\s*|\s*::\s*")
_MEDIA = re.compile(r"<(?:img|video|iframe|embed|object|canvas)\b")
_MAIN_CONTENT_SHORT = 1500  # visible characters: a password form on a page this short is the page
_NOTICE_PAGE_MAX = 2500  # visible characters of main content: a notice anywhere in it is the page's news
_OFFER_WINDOW = 80  # characters either side of a price read for what it is the price of


@dataclass(frozen=True)
class Clues:
    """What classify needs besides the fetch: the URL's fragment, the domain's rule, a probe."""

    fragment: str = ""
    rule: DomainRule | None = None
    probe: Probe | None = None


def not_found_notice(value: str) -> str | None:
    """The "not found" notice a title or heading gives, if it gives one."""
    lowered = value.lower()
    if m := signals.pattern("not-found", "notice").search(lowered):
        return m.group(0)
    loose = signals.pattern("not-found", "loose")
    for segment in _TITLE_SEPARATORS.split(lowered):
        if len(segment.split()) <= _NOTICE_WORDS and (m := loose.search(segment.strip())):
            return m.group(0)
    return None


# ---------------------------------------------------------------------------------------------------
# What the rules look at.


@dataclass(frozen=True)
class _Case:
    fetched: Fetched
    clues: Clues

    @property
    def response(self) -> Response:
        assert self.fetched.response is not None, "rules after fetch-failure see a response"
        return self.fetched.response

    @cached_property
    def page(self) -> tuple[str, html.PageFacts] | None:
        """Lower-cased markup and facts of an HTML body with something in it; None otherwise."""
        response = self.fetched.response
        return response.page if response is not None and response.has_page else None

    def verdict(self, status: Status, *evidence: Evidence, **extra: object) -> Outcome:
        return _outcome(self.fetched, status, *evidence, **extra)


def _outcome(fetched: Fetched, status: Status, *evidence: Evidence, **extra: object) -> Outcome:
    response = fetched.response
    final = fetched.final_url
    values: dict[str, object] = {
        "url": fetched.url,
        "status": status,
        "http_status": response.status if response else None,
        "final_url": final if final != fetched.url else None,
        "redirect_chain": fetched.hops,
        "elapsed_ms": fetched.elapsed_ms,
        "evidence": evidence,
        "fingerprint": response.fingerprint if response else None,
    }
    values.update(extra)
    return Outcome(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Rules 1-8: what the fetch and the redirects say.


def _redirect_to_parking_host(case: _Case) -> Outcome | None:
    for url in (h.location or "" for h in case.fetched.hops):
        if parked := on_host(host_of(url), signals.literals("parked", "host")):
            return case.verdict(Status.SOFT_404, Evidence("parked-domain", f"redirects to {parked}"))
    return None


def _fetch_failure(case: _Case) -> Outcome | None:
    failure: Failure | None = case.fetched.failure
    if failure is None:
        return None
    status, evidence = failure_verdict(failure)
    return case.verdict(
        status,
        evidence,
        error_class=failure.kind,
        error_detail=failure.detail,
        network_failure=failure.network,
    )


def _redirect_to_lander(case: _Case) -> Outcome | None:
    url = case.response.url
    if case.fetched.hops and path_of(url).lower() == "/lander":
        return case.verdict(Status.SOFT_404, Evidence("parked-domain", f"redirects to {url}"))
    return None


def _redirect_to_interstitial(case: _Case) -> Outcome | None:
    url = case.response.url
    if not case.fetched.hops:
        return None
    if "/.well-known/sgcaptcha" in url:
        return case.verdict(Status.BLOCKED, Evidence("bot-challenge", f"redirects to {url}"))
    if consent := on_host(host_of(url), signals.literals("consent-wall", "host")):
        detail = f"redirects to the consent prompt of {consent}: the page behind it was not seen"
        return case.verdict(Status.BLOCKED, Evidence("consent-wall", detail))
    return None


def _redirect_to_sign_in(case: _Case) -> Outcome | None:
    url, rule = case.response.url, case.clues.rule
    if not case.fetched.hops or is_login_url(case.fetched.url, rule):
        return None
    if pattern := is_login_url(url, rule):
        evidence = Evidence("login-redirect", f"redirects to a sign-in page {url} (matches {pattern!r})")
        return case.verdict(Status.LOGIN_REQUIRED, evidence)
    return None


def _http_status(case: _Case) -> Outcome | None:
    by_status = status_code_verdict(case.response, case.clues.rule)
    if by_status is None:
        return None
    status, evidence = by_status
    # A 403/429/503 page that is a bot wall is "blocked" whatever the code says.
    if status not in (Status.SERVER_ERROR, Status.BLOCKED):
        return case.verdict(status, evidence)
    if wall := challenge(case.response, case.page):
        return case.verdict(Status.BLOCKED, wall, evidence)
    return case.verdict(status, evidence)


def _challenge_header(case: _Case) -> Outcome | None:
    if wall := challenge(case.response, None):
        return case.verdict(Status.BLOCKED, wall)
    return None


def _redirect_to_home_page(case: _Case) -> Outcome | None:
    url, final = case.fetched.url, case.response.url
    if case.fetched.hops and not is_home(path_of(url)) and is_home(path_of(final)) and same_site(url, final):
        evidence = Evidence("redirect-to-homepage", f"a deep link that redirects to the home page {final}")
        return case.verdict(Status.SOFT_404, evidence)
    return None


# ---------------------------------------------------------------------------------------------------
# Rules 9-18: what a 2xx page says.


def _empty_body(case: _Case) -> Outcome | None:
    response = case.response
    if response.body is not None and not response.body.strip():
        return case.verdict(
            Status.SOFT_404, Evidence("empty-body", f"HTTP {response.status} with an empty body")
        )
    return None


def _headlines(facts: html.PageFacts) -> list[tuple[str, str]]:
    """What a page says it is, where a "not found" or "removed" notice would stand: its title and its first
    two h1 headings, the empty ones left out."""
    return [
        (where, value)
        for where, value in (("title", facts.title), *(("h1", h) for h in facts.headings[:2]))
        if value
    ]


def _bot_challenge(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    if evidence := challenge(case.response, (markup, facts)):
        return case.verdict(Status.BLOCKED, evidence)
    return None


def _parked_domain(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    phrases = signals.pattern("parked", "phrase")
    if m := phrases.search(facts.lowered) or phrases.search(facts.title.lower()):
        return case.verdict(Status.SOFT_404, Evidence("parked-domain", f"parked-domain page: {m.group(0)!r}"))
    if facts.script_redirect and facts.text_length < APP_TEXT_MIN:
        # We never follow script redirects (no JavaScript here), but where one points can be telling.
        target = urljoin(case.response.url, facts.script_redirect)
        if (
            on_host(host_of(target), signals.literals("parked", "host"))
            or path_of(target).lower() == "/lander"
        ):
            return case.verdict(
                Status.SOFT_404, Evidence("parked-domain", f"a script sends the page to {target}")
            )
    if facts.text_length < CHALLENGE_TEXT_MAX and (
        marker := next((m for m in signals.literals("parked", "markup") if m in markup), None)
    ):
        return case.verdict(Status.SOFT_404, Evidence("parked-domain", f"parked-domain page ({marker})"))
    return None


def _not_found_notice(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    for where, value in _headlines(facts):
        if not_found_notice(value):
            return case.verdict(Status.SOFT_404, Evidence(f"{where}-not-found", f"{where} says {value!r}"))
    return None


def _removed_content(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    notice = signals.pattern("removed-content", "notice")
    for where, value in _headlines(facts):
        if m := notice.search(value.lower()):
            return case.verdict(Status.SOFT_404, Evidence("removed-content", f"{where} says {m.group(0)!r}"))
    main = facts.text if facts.content_text is None else facts.content_text
    if len(main) <= _NOTICE_PAGE_MAX and (m := notice.search(main.lower())):
        return case.verdict(Status.SOFT_404, Evidence("removed-content", f"the page says {m.group(0)!r}"))
    return None


def _paywall(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    if facts.not_free:
        return case.verdict(Status.PAYWALLED, Evidence("schema-org-not-free", facts.not_free))
    text = facts.lowered
    rule = case.clues.rule
    for phrase in rule.paywall_phrases if rule else ():
        if phrase.lower() in text:
            return case.verdict(
                Status.PAYWALLED, Evidence("domain-paywall-phrase", f"the page says {phrase!r}")
            )
    if m := signals.pattern("paywall", "phrase").search(text):
        return case.verdict(Status.PAYWALLED, Evidence("paywall-wording", f"the page says {m.group(0)!r}"))
    if signals.pattern("paywall", "free").search(text):
        return None
    offer = text if facts.content_text is None else facts.content_text.lower()
    for price in signals.pattern("paywall", "price").finditer(offer):
        window = offer[max(0, price.start() - _OFFER_WINDOW) : price.end() + _OFFER_WINDOW]
        if signals.pattern("paywall", "donation").search(window) or signals.pattern(
            "paywall", "print-copy"
        ).search(window):
            continue  # "buy me a coffee ($3)", "print edition $39": a free page all the same
        if action := signals.pattern("paywall", "buy").search(window):
            return case.verdict(
                Status.PAYWALLED,
                Evidence(
                    "price-and-buy", f"a price ({price.group(0)}) next to {action.group(0)!r}, nothing free"
                ),
            )
    return None


def _password_form(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    words = signals.pattern("sign-in", "word")
    if facts.password_form and (
        facts.text_length < _MAIN_CONTENT_SHORT
        or words.search(facts.title.lower())
        or any(words.search(h.lower()) for h in facts.headings[:1])
    ):
        return case.verdict(
            Status.LOGIN_REQUIRED, Evidence("password-form", "a password form is the page's main content")
        )
    return None


def _empty_page(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    if facts.text_length == 0 and not facts.scripts and not _MEDIA.search(markup):
        return case.verdict(
            Status.SOFT_404, Evidence("empty-page", "the page has no text and nothing else to show")
        )
    return None


def _same_as_missing_page(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    probe = case.clues.probe
    if probe is None:
        return None
    evidence = same_as_missing(case.fetched, case.response, facts, probe, app_text_min=APP_TEXT_MIN)
    if evidence is None:
        return None
    if consent := consent_prompt((markup, facts)):
        # The same interstitial in front of every path hides the page; it is no sign the page is gone.
        return case.verdict(Status.BLOCKED, consent, evidence)
    return case.verdict(Status.SOFT_404, evidence)


def _anchor_missing(case: _Case, markup: str, facts: html.PageFacts) -> Outcome | None:
    """Evidence that the #fragment is missing; silent when present or not checkable without JS."""
    fragment = case.clues.fragment
    if not fragment:
        return None
    if consent_prompt((markup, facts)):
        return None  # a prompt hides the page: its ids are not the page's
    response = case.response
    more = response.more_anchors
    if evidence := missing_anchor(fragment, facts, markup, truncated=response.truncated, more=more):
        return case.verdict(Status.ANCHOR_MISSING, evidence)
    return None


# ---------------------------------------------------------------------------------------------------
# Rule 19 and the table.


def _permanent_redirect(case: _Case) -> Outcome | None:
    target = update_target(case.fetched.hops)
    if target is None:
        return None
    fragment = case.clues.fragment
    if fragment and "#" not in target:
        target = f"{target}#{fragment}"
    first = case.fetched.hops[0]
    how = "a redirect page (meta refresh and canonical link)" if first.stub else f"HTTP {first.status}"
    evidence = Evidence("permanent-redirect", f"{how} to {target}: update the catalogue URL")
    return case.verdict(Status.REDIRECTED, evidence, final_url=target)


@dataclass(frozen=True)
class Rule:
    name: str
    judge: Callable[[_Case], Outcome | None]


def _on_page(
    judge: Callable[[_Case, str, html.PageFacts], Outcome | None],
) -> Callable[[_Case], Outcome | None]:
    """A rule that reads the page (lower-cased markup and facts): silent for an answer without one."""

    def rule(case: _Case) -> Outcome | None:
        return None if case.page is None else judge(case, *case.page)

    return rule


RULES: tuple[Rule, ...] = (
    Rule("redirect-to-parking-host", _redirect_to_parking_host),
    Rule("fetch-failure", _fetch_failure),
    Rule("redirect-to-lander", _redirect_to_lander),
    Rule("redirect-to-interstitial", _redirect_to_interstitial),
    Rule("redirect-to-sign-in", _redirect_to_sign_in),
    Rule("http-status", _http_status),
    Rule("challenge-header", _challenge_header),
    Rule("redirect-to-home-page", _redirect_to_home_page),
    Rule("empty-body", _empty_body),
    Rule("bot-challenge", _on_page(_bot_challenge)),
    Rule("parked-domain", _on_page(_parked_domain)),
    Rule("not-found-notice", _on_page(_not_found_notice)),
    Rule("removed-content", _on_page(_removed_content)),
    Rule("paywall", _on_page(_paywall)),
    Rule("password-form", _on_page(_password_form)),
    Rule("empty-page", _on_page(_empty_page)),
    Rule("same-as-missing-page", _on_page(_same_as_missing_page)),
    Rule("anchor-missing", _on_page(_anchor_missing)),
    Rule("permanent-redirect", _permanent_redirect),
)


def classify(fetched: Fetched, clues: Clues = Clues()) -> Outcome:
    """The verdict for one fetched URL, with the evidence that decided it: the first rule that judges."""
    case = _Case(fetched, clues)
    for rule in RULES:
        if (outcome := rule.judge(case)) is not None:
            return outcome
    return case.verdict(Status.OK)


_REHEARSAL_PAGE = (
    b"<!doctype html><html><head><title>Notes on vectors</title></head>"
    b"<body><h1>Notes on vectors</h1><p>A vector has a length and a direction.</p></body></html>"
)


def rehearse() -> None:
    """Judge a made-up page once, so that the judgement's patterns are compiled (some 50 ms of work) before
    a real answer waits for them. The crawl runs it while its first requests are out."""
    url, headers = "https://rehearsal.invalid/notes", {"content-type": "text/html; charset=utf-8"}
    for status in (200, 404):
        classify(Fetched(url, response=Response(url, status, headers, _REHEARSAL_PAGE)))
