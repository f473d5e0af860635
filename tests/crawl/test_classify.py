"""classify() driven by response facts alone: one named scenario per verdict and per trap."""

from __future__ import annotations

import json
import re
from types import MappingProxyType

import pytest

from pipeline.config import DomainRule
from pipeline.crawl import signals
from pipeline.crawl.classify import RULES, Clues, classify, rehearse
from pipeline.crawl.cost import for_resource
from pipeline.crawl.facts import Failure, Fetched, Probe, Response
from pipeline.crawl.probe import probe_from, wants_probe
from pipeline.status import Hop, Status
from tests.crawl.helpers import refresh_page

URL = "https://site.example/notes/chapter-3"
PROSE = "Eigenvectors are the directions a matrix only stretches. " * 40


def page(title: str = "Chapter 3", body: str = "", *, head: str = "", ids: str = "") -> bytes:
    text = body or f"<h1>{title}</h1><p>{PROSE}</p>"
    document = f"<!doctype html><html><head><title>{title}</title>{head}</head>"
    document += f"<body>{ids}{text}</body></html>"
    return document.encode()


def fetched(
    status: int = 200,
    body: bytes | None = None,
    *,
    url: str = URL,
    final: str | None = None,
    hops: tuple[Hop, ...] = (),
    ctype: str = "text/html; charset=utf-8",
    method: str = "GET",
    **headers: str,
) -> Fetched:
    response = Response(
        url=final or url,
        status=status,
        headers=MappingProxyType(
            {"content-type": ctype, **{k.replace("_", "-"): v for k, v in headers.items()}}
        ),
        body=page() if body is None and method == "GET" else body,
        method=method,
    )
    return Fetched(url=url, hops=hops, response=response, elapsed_ms=12)


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


SCENARIOS = {
    # --- healthy
    "plain page": (fetched(), Clues(), Status.OK, None),
    "pdf via HEAD": (fetched(ctype="application/pdf", method="HEAD", body=None), Clues(), Status.OK, None),
    "arxiv title with 404 inside a number": (
        fetched(body=page("[2404.01234] Attention over eigenvectors")),
        Clues(),
        Status.OK,
        None,
    ),
    "title mentions not found in prose": (
        fetched(body=page("Why the Higgs boson was not found for decades, explained")),
        Clues(),
        Status.OK,
        None,
    ),
    "free book that sells a print edition": (
        fetched(
            body=page(body=f"<p>{PROSE}</p><p>Read it free online. Buy the print edition for $49.99.</p>")
        ),
        Clues(),
        Status.OK,
        None,
    ),
    "course enrol for free with a certificate price": (
        fetched(body=page(body=f"<p>{PROSE}</p><button>Enroll for free</button> Certificate $49")),
        Clues(),
        Status.OK,
        None,
    ),
    "forum page with a login box in the header": (
        fetched(body=page(body=f"<form><input type=password></form><h1>Thread</h1><p>{PROSE * 2}</p>")),
        Clues(),
        Status.OK,
        None,
    ),
    "contact form with a captcha on a long page": (
        fetched(body=page(body=f"<p>{PROSE * 3}</p><div class='g-recaptcha'></div>")),
        Clues(),
        Status.OK,
        None,
    ),
    "temporary redirect is followed, not reported": (
        fetched(hops=(Hop(URL, 302, "https://site.example/notes/chapter-3?v=2"),), final=URL + "?v=2"),
        Clues(),
        Status.OK,
        None,
    ),
    # --- redirects
    "301 means update the catalogue": (
        fetched(hops=(Hop(URL, 301, "https://new.example/ch3"),), final="https://new.example/ch3"),
        Clues(),
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    "http to https upgrade via 302 is permanent": (
        fetched(
            url="http://site.example/a",
            hops=(Hop("http://site.example/a", 302, "https://site.example/a"),),
            final="https://site.example/a",
        ),
        Clues(),
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    "redirect to login": (
        fetched(
            hops=(Hop(URL, 302, "https://site.example/accounts/login?next=/notes"),),
            final="https://site.example/accounts/login?next=/notes",
        ),
        Clues(),
        Status.LOGIN_REQUIRED,
        "login-redirect",
    ),
    "redirect to a domain's own sign-in pattern": (
        fetched(
            hops=(Hop(URL, 302, "https://site.example/gate?ret=1"),), final="https://site.example/gate?ret=1"
        ),
        Clues(rule=DomainRule(login_url_patterns=("/gate",))),
        Status.LOGIN_REQUIRED,
        "login-redirect",
    ),
    "redirect that ends in 404": (
        fetched(
            404, page("Gone"), hops=(Hop(URL, 301, "https://site.example/x"),), final="https://site.example/x"
        ),
        Clues(),
        Status.BROKEN,
        "http-404",
    ),
    "deep link redirected to the home page": (
        fetched(hops=(Hop(URL, 301, "https://site.example/"),), final="https://site.example/"),
        Clues(),
        Status.SOFT_404,
        "redirect-to-homepage",
    ),
    "redirect to a consent prompt": (
        fetched(
            hops=(Hop(URL, 302, "https://consent.youtube.com/m?continue=https%3A%2F%2Fsite.example"),),
            final="https://consent.youtube.com/m?continue=https%3A%2F%2Fsite.example",
        ),
        Clues(),
        Status.BLOCKED,
        "consent-wall",
    ),
    "a name that leads to a private address": (
        Fetched(
            url=URL, failure=Failure("unsafe_address", "connected to 10.0.0.7: 10.0.0.7 is a private address")
        ),
        Clues(),
        Status.BLOCKED,
        "unsafe-address",
    ),
    "redirect to a parking host": (
        fetched(
            hops=(Hop(URL, 302, "https://www.hugedomains.com/domain_profile.cfm?d=site"),),
            final="https://www.hugedomains.com/domain_profile.cfm?d=site",
        ),
        Clues(),
        Status.SOFT_404,
        "parked-domain",
    ),
    # --- status codes
    "404": (fetched(404), Clues(), Status.BROKEN, "http-404"),
    "410": (fetched(410), Clues(), Status.BROKEN, "http-410"),
    "401 is blocked": (fetched(401), Clues(), Status.BLOCKED, "http-401"),
    "403 is blocked": (fetched(403, server="cloudflare"), Clues(), Status.BLOCKED, "http-403"),
    "429 is blocked": (fetched(429, retry_after="60"), Clues(), Status.BLOCKED, "http-429"),
    "999 is blocked": (fetched(999), Clues(), Status.BLOCKED, "http-999"),
    "451 is for a human": (fetched(451), Clues(), Status.BLOCKED, "http-451"),
    "503": (fetched(503), Clues(), Status.SERVER_ERROR, "http-503"),
    "503 cloudflare challenge": (
        fetched(503, page("Just a moment..."), cf_mitigated="challenge"),
        Clues(),
        Status.BLOCKED,
        "bot-challenge",
    ),
    "domain override": (
        fetched(404),
        Clues(rule=DomainRule(status_overrides=MappingProxyType({"404": "blocked"}))),
        Status.BLOCKED,
        "domain-override",
    ),
    # --- bot walls on 200
    "just a moment title": (
        fetched(body=page("Just a moment...")),
        Clues(),
        Status.BLOCKED,
        "bot-challenge",
    ),
    "cf-mitigated header on 200": (
        fetched(cf_mitigated="challenge"),
        Clues(),
        Status.BLOCKED,
        "bot-challenge",
    ),
    "captcha page": (
        fetched(body=page("Verify", body="<div class='h-captcha'></div><p>Please confirm.</p>")),
        Clues(),
        Status.BLOCKED,
        "bot-challenge",
    ),
    # --- soft 404
    "title page not found": (
        fetched(body=page("Page not found | Site")),
        Clues(),
        Status.SOFT_404,
        "title-not-found",
    ),
    "title 404": (fetched(body=page("404")), Clues(), Status.SOFT_404, "title-not-found"),
    "h1 oops 404": (
        fetched(body=page("Site", body="<h1>Oops! 404 - this page does not exist</h1>")),
        Clues(),
        Status.SOFT_404,
        "h1-not-found",
    ),
    "empty body": (fetched(body=b""), Clues(), Status.SOFT_404, "empty-body"),
    "whitespace body": (fetched(body=b" \n "), Clues(), Status.SOFT_404, "empty-body"),
    "empty html": (
        fetched(body=b"<html><head><title></title></head><body></body></html>"),
        Clues(),
        Status.SOFT_404,
        "empty-page",
    ),
    "parked phrase": (
        fetched(body=page("site.example", body="<h2>This domain is for sale!</h2><a>Make an offer</a>")),
        Clues(),
        Status.SOFT_404,
        "parked-domain",
    ),
    "parked via sedo markup": (
        fetched(
            body=page("site.example", body="<script src='https://img.sedoparking.com/js/x.js'></script>")
        ),
        Clues(),
        Status.SOFT_404,
        "parked-domain",
    ),
    # --- paywalls and login walls
    "json-ld not free": (
        fetched(body=page(head=json_ld({"@type": "Article", "isAccessibleForFree": False}))),
        Clues(),
        Status.PAYWALLED,
        "schema-org-not-free",
    ),
    "json-ld not free as string in graph": (
        fetched(body=page(head=json_ld({"@graph": [{"@type": "WebPage", "isAccessibleForFree": "False"}]}))),
        Clues(),
        Status.PAYWALLED,
        "schema-org-not-free",
    ),
    "json-ld free": (
        fetched(body=page(head=json_ld({"@type": "Article", "isAccessibleForFree": True}))),
        Clues(),
        Status.OK,
        None,
    ),
    "broken json-ld is ignored": (
        fetched(body=page(head='<script type="application/ld+json">{nope</script>')),
        Clues(),
        Status.OK,
        None,
    ),
    "subscribe to continue reading": (
        fetched(body=page(body=f"<p>{PROSE[:300]}</p><p>Subscribe to continue reading.</p>")),
        Clues(),
        Status.PAYWALLED,
        "paywall-wording",
    ),
    "price next to enrol, nothing free": (
        fetched(body=page(body=f"<p>{PROSE}</p><p>Price: $199.00</p><button>Enroll now</button>")),
        Clues(),
        Status.PAYWALLED,
        "price-and-buy",
    ),
    "domain paywall phrase": (
        fetched(body=page(body=f"<p>{PROSE}</p><p>Institutional access only</p>")),
        Clues(rule=DomainRule(paywall_phrases=("institutional access only",))),
        Status.PAYWALLED,
        "domain-paywall-phrase",
    ),
    "password form is the page": (
        fetched(body=page("Sign in", body="<form><input name=u><input type=password name=p></form>")),
        Clues(),
        Status.LOGIN_REQUIRED,
        "password-form",
    ),
    # --- anchors
    "anchor present as id": (
        fetched(body=page(ids="<a id='eigen'></a>")),
        Clues(fragment="eigen"),
        Status.OK,
        None,
    ),
    "anchor present as name": (
        fetched(body=page(ids="<a name='eigen'></a>")),
        Clues(fragment="eigen"),
        Status.OK,
        None,
    ),
    "anchor github user-content": (
        fetched(body=page(ids="<a id='user-content-install'></a>")),
        Clues(fragment="install"),
        Status.OK,
        None,
    ),
    "anchor missing": (
        fetched(body=page(ids="<div id='main'></div>")),
        Clues(fragment="eigen"),
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
    "hash-bang route is not an anchor": (fetched(), Clues(fragment="!/notes"), Status.OK, None),
    "media fragment is not an anchor": (fetched(), Clues(fragment="t=30"), Status.OK, None),
    "anchor on a JS app is not judged": (
        fetched(body=page(body="<div id='root'></div><script src=app.js></script>")),
        Clues(fragment="eigen"),
        Status.OK,
        None,
    ),
    "anchor beyond the part we read is not judged": (
        Fetched(
            url=URL,
            response=Response(
                url=URL,
                status=200,
                headers=MappingProxyType({"content-type": "text/html"}),
                body=page(ids="<p id=a></p>"),
                truncated=True,
            ),
        ),
        Clues(fragment="eigen"),
        Status.OK,
        None,
    ),
    "anchor on a pdf is not judged": (
        fetched(ctype="application/pdf", body=b"%PDF-1.7 ..."),
        Clues(fragment="page=3"),
        Status.OK,
        None,
    ),
    # --- failures below HTTP
    "nxdomain": (
        Fetched(url=URL, failure=Failure("dns", "no such name", network=True)),
        Clues(),
        Status.BROKEN,
        "dns",
    ),
    "refused": (
        Fetched(url=URL, failure=Failure("connect", "refused", network=True)),
        Clues(),
        Status.BROKEN,
        "connect",
    ),
    "read timeout": (
        Fetched(url=URL, failure=Failure("read_timeout", "15 s")),
        Clues(),
        Status.TIMEOUT,
        "read-timeout",
    ),
    "tls": (Fetched(url=URL, failure=Failure("tls", "self-signed")), Clues(), Status.TLS_ERROR, "tls"),
    "loop": (
        Fetched(url=URL, failure=Failure("redirect_loop", "a -> b -> a")),
        Clues(),
        Status.BROKEN,
        "redirect-loop",
    ),
    "unsafe": (
        Fetched(url=URL, failure=Failure("unsafe_address", "127.0.0.1")),
        Clues(),
        Status.BLOCKED,
        "unsafe-address",
    ),
}


@pytest.mark.parametrize(("fetch", "clues", "status", "rule"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_verdicts(fetch: Fetched, clues: Clues, status: Status, rule: str | None) -> None:
    outcome = classify(fetch, clues)
    assert outcome.status is status, outcome.evidence
    if status is Status.OK:
        assert outcome.evidence == ()
    else:
        assert outcome.evidence, "every non-ok verdict carries evidence"
        assert outcome.evidence[0].rule == rule
        assert outcome.evidence[0].detail


def test_redirected_records_where_to_update_and_keeps_the_fragment() -> None:
    hops = (
        Hop(URL, 301, "https://new.example/ch3"),
        Hop("https://new.example/ch3", 302, "https://cdn.example/x"),
    )
    outcome = classify(fetched(hops=hops, final="https://cdn.example/x"), Clues(fragment="sec"))
    assert outcome.status is Status.REDIRECTED
    assert outcome.final_url == "https://new.example/ch3#sec"
    assert outcome.redirect_chain == hops


def test_failure_keeps_error_class_and_network_flag() -> None:
    outcome = classify(Fetched(url=URL, failure=Failure("connect_timeout", "10 s", network=True)))
    assert (outcome.status, outcome.error_class, outcome.network_failure) == (
        Status.TIMEOUT,
        "connect_timeout",
        True,
    )


HOME = page("Site home", body=f"<h1>Welcome</h1><p>{PROSE}</p><p>Latest news and courses.</p>")


def probe(body: bytes | None, status: int = 200, url: str = "https://site.example/zz-probe-1f3a") -> Probe:
    return probe_from(fetched(status, body, url=url))


@pytest.mark.parametrize(
    ("page_body", "probe_result", "status"),
    [
        pytest.param(HOME, probe(HOME), Status.SOFT_404, id="same as the made-up path"),
        pytest.param(page(), probe(HOME), Status.OK, id="different from the made-up path"),
        pytest.param(HOME, probe(page("Not here"), 404), Status.OK, id="host answers 404 honestly"),
        pytest.param(
            page("App", body="<div id=root></div><script src=a.js></script>"),
            probe(page("App", body="<div id=root></div><script src=a.js></script>")),
            Status.OK,
            id="js app shell is the same everywhere",
        ),
    ],
)
def test_random_path_fingerprint(page_body: bytes, probe_result: Probe, status: Status) -> None:
    first = classify(fetched(body=page_body))
    assert wants_probe(fetched(body=page_body), first)
    assert classify(fetched(body=page_body), Clues(probe=probe_result)).status is status


def test_page_echoing_its_path_still_matches_the_probe() -> None:
    def echo(path: str) -> bytes:
        return page("Site", body=f"<p>{PROSE}</p><p>You asked for {path}; here is our home page instead.</p>")

    result = classify(fetched(body=echo("/notes/chapter-3")), Clues(probe=probe(echo("/zz-probe-1f3a"))))
    assert result.status is Status.SOFT_404
    assert result.evidence[0].rule == "same-as-missing-page"


def test_no_probe_for_home_pages_or_non_html() -> None:
    home = fetched(url="https://site.example/")
    assert not wants_probe(home, classify(home))
    pdf = fetched(ctype="application/pdf", body=b"%PDF")
    assert not wants_probe(pdf, classify(pdf))


@pytest.mark.parametrize(
    ("status", "cost", "expected"),
    [
        (Status.PAYWALLED, "paid", Status.OK),
        (Status.PAYWALLED, "freemium", Status.OK),
        (Status.PAYWALLED, "free", Status.PAYWALLED),
        (Status.LOGIN_REQUIRED, "free-with-registration", Status.OK),
        (Status.PAYWALLED, "free-with-registration", Status.PAYWALLED),
        (Status.BROKEN, "paid", Status.BROKEN),
        (Status.PAYWALLED, None, Status.OK),  # a list that declares no cost promises nothing free
        (Status.LOGIN_REQUIRED, None, Status.OK),
        (Status.BROKEN, None, Status.BROKEN),
        (Status.SOFT_404, None, Status.SOFT_404),
    ],
)
def test_walls_expected_from_the_declared_cost(status: Status, cost: str | None, expected: Status) -> None:
    from pipeline.status import Evidence, Outcome

    outcome = Outcome(url=URL, status=status, evidence=(Evidence("x", "y"),))
    adjusted = for_resource(outcome, cost)
    assert adjusted.status is expected
    if expected is not status:
        assert adjusted.evidence[0].rule == "expected-wall"


def test_rules_run_in_the_documented_order() -> None:
    """The order of RULES is the policy: it must be the numbered list in classify's docstring."""
    import pipeline.crawl.classify as module

    documented = re.findall(r"^\s*(\d+)\. ([a-z0-9-]+):", module.__doc__ or "", re.M)
    assert [int(n) for n, _ in documented] == list(range(1, len(documented) + 1))
    assert [rule.name for rule in RULES] == [name for _, name in documented]


def test_the_first_rule_that_judges_decides() -> None:
    """A bot wall titled "404 Not Found" is a bot wall (rule 10 before 12); a 404 status decides before
    any page content (rule 6)."""
    walled = fetched(body=page("404 Not Found", head="<script src='/cdn-cgi/challenge-platform/x'></script>"))
    assert classify(walled).status is Status.BLOCKED
    assert classify(fetched(404, page("Page not found"))).evidence[0].rule == "http-404"


def test_a_page_is_parsed_once_for_its_meta_refresh_and_every_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """fetch.py parses a 2xx page for a meta refresh only when "refresh" is in it; classify (once per use,
    again with a probe) and the probe read the facts kept on the response, with other pages read in
    between."""
    from pipeline.crawl import html
    from pipeline.crawl.location import refresh_target

    parsed: list[str] = []
    real_parse = html.parse
    monkeypatch.setattr(html, "parse", lambda markup: parsed.append(markup) or real_parse(markup))
    first = fetched()
    later = [  # a refresh too late to follow, on a page to read: parsed to find it, and not followed
        fetched(url=f"{URL}-{n}", body=refresh_page("/next", 600, f"<p>Appendix {n}").encode())
        for n in range(40)
    ]
    assert refresh_target(first.url, first.response) is None and not parsed  # no "refresh": not parsed
    assert [refresh_target(other.url, other.response) for other in later] == [None] * 40
    assert len(parsed) == 40
    assert classify(first).status is Status.OK
    assert classify(first, Clues(fragment="no-such-id")).status is Status.OK  # no ids: not checkable
    probe_from(first)
    assert classify(later[0]).status is Status.OK  # its facts, parsed for the refresh, are the verdict's
    assert len(parsed) == 41


@pytest.mark.parametrize(
    ("markup", "app"),
    [
        *(
            (f'<!doctype html><div id="{i}"></div>', True)
            for i in ("root", "app", "__next", "__nuxt", "___gatsby", "svelte")
        ),
        *((f"<!doctype html><div {a}></div>", True) for a in ("data-reactroot", "ng-app", "ng-version=17")),
        ("<!doctype html><app-root></app-root>", True),
        (
            '<html><body><div id="Root"></div>',
            False,
        ),  # ids as written, as the app's getElementById reads them
        ('<!doctype html><div id="rooted" name="root"></div><p>a page', False),
        ("<!doctype html><body><noscript>Please enable JavaScript to continue.</noscript>", True),
    ],
)
def test_a_client_side_app_is_known_by_its_root_or_its_noscript_notice(markup: str, app: bool) -> None:
    from pipeline.crawl import html

    assert html.parse(markup).app_shell is app


@pytest.mark.parametrize(
    ("body", "may"),
    [
        (b'<meta http-equiv="refresh" content="0; url=/new">', True),
        (b"<META HTTP-EQUIV='REFRESH' CONTENT='0;URL=/new'>", True),  # any case
        (b"<p>Press F5 to Refresh</p>", True),  # the word alone: parsed, and no tag is found
        (b"<!doctype html><title>Notes</title><p>vectors</p>", False),
        ('<meta http-equiv="refresh" content="0; url=/new">'.encode("utf-16"), True),  # with its BOM
        ('<meta http-equiv="refresh" content="0; url=/new">'.encode("utf-16-le"), True),  # NULs: UTF-16
        ("<p>refresh</p>".encode("utf-32-be"), True),
    ],
)
def test_a_page_may_hold_a_meta_refresh_unless_no_refresh_is_in_it(body: bytes, may: bool) -> None:
    from pipeline.crawl import html

    assert html.may_refresh(body) is may


def test_a_refresh_header_that_waits_still_reads_the_page_for_its_text() -> None:
    """A Refresh header far in the future on a page with text is a page to read, not a redirect, even
    when the page itself never says "refresh"; with nothing to read, the wait changes nothing."""
    from pipeline.crawl.location import refresh_target

    def answer(body: bytes) -> Response:
        headers = {"content-type": "text/html", "refresh": "600; url=/next"}
        return Response(URL, 200, MappingProxyType(headers), body)

    assert refresh_target(URL, answer(page("Notes", "<p>vectors and matrices"))) is None
    assert refresh_target(URL, answer(b"<html><body></body></html>")) == "https://site.example/next"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  a \n\t b  ", "a b"),
        ("\u00a0Price\u2003\u2003\u00a0$5\u3000\u2028", "Price $5"),  # Unicode spaces, as regex \s
        ("one\x1ctwo\x85three", "one two three"),
        ("", ""),
    ],
)
def test_page_text_whitespace_is_collapsed_like_regex_whitespace(raw: str, clean: str) -> None:
    from pipeline.crawl import html

    assert html._clean(raw) == clean == re.sub(r"\s+", " ", raw).strip()


WORDS = ("matrix", "über", "eigenvalue", "a", "price\u00a0$5", "x" * 300)


def _words(seed: int, count: int, spaces: tuple[str, ...], words: tuple[str, ...] = WORDS) -> str:
    """count words separated by runs (1-9) of the given whitespace, the same for the same seed."""
    import random

    chosen = random.Random(seed)
    return "".join(chosen.choice(words) + chosen.choice(spaces) * chosen.randint(1, 9) for _ in range(count))


@pytest.mark.parametrize(
    "raw",
    [
        _words(1, 12_000, (" ",)),  # a long page: its first head is enough
        _words(2, 20_000, ("\n", "\u2003"), WORDS[:4]),  # whitespace-heavy: its second head
        _words(3, 20_000, ("\t" * 8,), ("a", "b")),  # nearly all whitespace: all of it
        _words(4, 3_000, ("\n   ",), WORDS[:4]),  # longer than a head, shorter once collapsed
        _words(5, 40, (" ",)),  # short
        "x" * 30_000,  # one word longer than TEXT_KEEP
        " " * 100_000,
    ],
    ids=["long", "second-head", "all-of-it", "collapses-short", "short", "one-long-word", "blank"],
)
def test_the_kept_text_and_its_length_are_those_of_the_whole_text_collapsed(raw: str) -> None:
    """Only as much of a long page's text is collapsed as gives the kept head: the same head, and the same
    length up to TEXT_KEEP + 1, as collapsing it all."""
    from pipeline.crawl import html

    whole = html._clean(raw)
    assert html._clean_head(raw) == (whole[: html.TEXT_KEEP], min(len(whole), html.TEXT_KEEP + 1))
    facts = html.parse(f"<html><body><p>{raw}</p></body></html>")
    assert (facts.text, facts.text_length) == html._clean_head(raw)


@pytest.mark.parametrize(
    ("markup", "content"),
    [
        ("<body><NAV>Menu</NAV><p>Body text.</p><Footer>Buy the print edition</Footer></body>", "Body text."),
        ("<body><header> </header><p>Only content.</p></body>", None),  # chrome without text: the same
        ("<body><navbar-x>Custom</navbar-x><p>Content.</p></body>", None),  # not a chrome element
        ("<body><p>Text &lt;nav&gt; escaped</p><!-- <aside>comment</aside> --></body>", None),
    ],
)
def test_content_text_leaves_out_the_chrome_whatever_its_case(markup: str, content: str | None) -> None:
    from pipeline.crawl import html

    assert html.parse(markup).content_text == content


def test_a_rehearsal_compiles_what_judging_a_plain_page_needs() -> None:
    """rehearse() leaves nothing for the first real page to compile: the crawl runs it before the first
    answers are back, so that they do not all wait for it."""
    signals.pattern.cache_clear()
    rehearse()
    compiled = signals.pattern.cache_info().misses
    page = b"<html><head><title>Linear maps</title></head><body><p>A matrix is a map.</p></body></html>"
    for status in (200, 404, 410):
        url = f"https://notes.example/linear-maps-{status}"
        classify(Fetched(url, response=Response(url, status, {"content-type": "text/html"}, page)))
    assert compiled > 0
    assert signals.pattern.cache_info().misses == compiled
