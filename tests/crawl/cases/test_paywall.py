"""Paywalls and their false friends: newsletter boxes, tip jars, a print edition for sale beside free text.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import FOOTER, NOT_FREE, PROSE, case, html, verdict_test
from tests.crawl.server import reply

CASES = [
    case(
        "json-ld not free",
        {"/p": reply(200, html("Premium article", head=NOT_FREE))},
        "/p",
        Status.PAYWALLED,
        "schema-org-not-free",
    ),
    case(
        "newsletter subscribe footer",
        {"/p": reply(200, html("Eigenvalues", PROSE + FOOTER))},
        "/p",
        Status.OK,
        None,
    ),
    case(
        "tip jar with a price",
        {"/p": reply(200, html("Eigenvalues", PROSE + "<footer>Buy me a coffee ($3) to support</footer>"))},
        "/p",
        Status.OK,
        None,
    ),
    case(
        "free book page selling a print copy in a sidebar",
        {
            "/p": reply(
                200,
                html(
                    "Linear Algebra Notes",
                    "<p>Chapters: <a href=ch1>1. Vectors</a> <a href=ch2>2. Matrices</a></p>"
                    + PROSE
                    + "<aside>Print edition: $39.99. <a href=/shop>Buy from the publisher</a>.</aside>",
                ),
            )
        },
        "/p",
        Status.OK,
        None,
    ),
    case(
        "print copy for sale in the page itself",
        {"/p": reply(200, html("Notes", PROSE + "<p>Paperback $24.00 — buy now</p>"))},
        "/p",
        Status.OK,
        None,
    ),
    case(
        "course sold in the page itself",
        {"/p": reply(200, html("Deep Learning Course", "<p>Lesson videos. Price: $49.00. Enrol now.</p>"))},
        "/p",
        Status.PAYWALLED,
        "price-and-buy",
    ),
]


test_verdict = verdict_test(CASES)
