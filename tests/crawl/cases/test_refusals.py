"""Refusals: a site that refuses automated checks or is down for a while is blocked or a server error, never
broken.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import (
    BOT_WALL_TEXT,
    CF_BODY,
    CONSENT_WALL,
    ONETRUST_WALL,
    PROSE,
    case,
    html,
    served,
    verdict_test,
)
from tests.crawl.server import redirect, reply, sequence

CASES = [
    served("451", "/p", reply(451, "unavailable for legal reasons"), Status.BLOCKED, "http-451"),
    served("403 cloudflare body", "/p", reply(403, CF_BODY), Status.BLOCKED, "bot-challenge"),
    served(
        "403 cf-mitigated header",
        "/p",
        reply(403, "", cf_mitigated="challenge"),
        Status.BLOCKED,
        "bot-challenge",
    ),
    served("200 cloudflare challenge", "/p", reply(200, CF_BODY), Status.BLOCKED, "bot-challenge"),
    served("999", "/p", reply(999, ""), Status.BLOCKED, "http-999"),
    served(
        "429 Retry-After beyond cap",
        "/p",
        reply(429, "later", retry_after="3600"),
        Status.BLOCKED,
        "http-429",
    ),
    served(
        "503 Retry-After then 200",
        "/p",
        sequence(reply(503, "busy", retry_after="1"), reply(200, html("Back"))),
        Status.OK,
        None,
    ),
    served("503 for good", "/p", reply(503, "busy"), Status.SERVER_ERROR, "http-503"),
    served(
        "500 once then 200", "/p", sequence(reply(500, "oops"), reply(200, html("Fine now"))), Status.OK, None
    ),
]


# Issue 10 §3: an interstitial in front of every path (a consent or bot wall) is not evidence that the page
# is missing: the random-path comparison must not turn it into a soft 404.
INTERSTITIALS = [
    case(
        "consent wall in front of every path",
        {"*": reply(200, CONSENT_WALL)},
        "/notes/chapter-3",
        Status.BLOCKED,
        "consent-wall",
    ),
    case(
        "consent manager's prompt in front of every path",
        {"*": reply(200, ONETRUST_WALL)},
        "/notes/chapter-3",
        Status.BLOCKED,
        "consent-wall",
    ),
    case(
        "consent wall hides the anchor too",
        {"*": reply(200, CONSENT_WALL)},
        "/notes/chapter-3#eigenvalues",
        Status.BLOCKED,
        "consent-wall",
    ),
    case(
        "bot wall wording in front of every path",
        {"*": reply(200, BOT_WALL_TEXT)},
        "/notes/chapter-3",
        Status.BLOCKED,
        "bot-challenge",
    ),
    served(
        "real page with a cookie banner (ok)",
        "/notes/chapter-3",
        reply(200, html("Chapter 3", PROSE + "<div id='cookie'>We use cookies. Accept all cookies?</div>")),
        Status.OK,
        None,
    ),
]
INTERSTITIALS.append(
    case(
        "catch-all page with a cookie banner is still a soft 404",
        {
            "*": reply(
                200, html("Acme Notes", PROSE + "<div id='cookie'>We use cookies. Accept all cookies?</div>")
            )
        },
        "/notes/chapter-3",
        Status.SOFT_404,
        "same-as-missing-page",
    )
)
CASES += INTERSTITIALS

# Issue 10 §3: a 503 is "temporarily unavailable": a server error for this run, never a dead link.
UNAVAILABLE = [
    served(
        "503 maintenance page, Retry-After beyond the cap",
        "/p",
        reply(503, html("Down for maintenance", "<p>Back soon.</p>"), retry_after="7200"),
        Status.SERVER_ERROR,
        "http-503",
    ),
    served(
        "503 page titled not found", "/p", reply(503, html("Page not found")), Status.SERVER_ERROR, "http-503"
    ),
    case(
        "503 after a permanent redirect",
        {"/old": redirect("/new"), "/new": reply(503, "busy")},
        "/old",
        Status.SERVER_ERROR,
        "http-503",
    ),
    case(
        "503 on every path",
        {"*": reply(503, html("Maintenance", "<p>This domain is being upgraded.</p>"))},
        "/notes/chapter-3",
        Status.SERVER_ERROR,
        "http-503",
    ),
]
CASES += UNAVAILABLE


test_verdict = verdict_test(CASES)
