"""Paywalls and their false friends: newsletter boxes, tip jars, a print edition for sale beside free text.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import FOOTER, NOT_FREE, PROSE, html, served, verdict_test
from tests.crawl.server import reply

CASES = [
    served(
        "json-ld not free",
        "/p",
        reply(200, html("Premium article", head=NOT_FREE)),
        Status.PAYWALLED,
        "schema-org-not-free",
    ),
    served(
        "newsletter subscribe footer", "/p", reply(200, html("Eigenvalues", PROSE + FOOTER)), Status.OK, None
    ),
    served(
        "tip jar with a price",
        "/p",
        reply(200, html("Eigenvalues", PROSE + "<footer>Buy me a coffee ($3) to support</footer>")),
        Status.OK,
        None,
    ),
    served(
        "free book page selling a print copy in a sidebar",
        "/p",
        reply(
            200,
            html(
                "Linear Algebra Notes",
                "<p>Chapters: <a href=ch1>1. Vectors</a> <a href=ch2>2. Matrices</a></p>"
                + PROSE
                + "<aside>Print edition: $39.99. <a href=/shop>Buy from the publisher</a>.</aside>",
            ),
        ),
        Status.OK,
        None,
    ),
    served(
        "print copy for sale in the page itself",
        "/p",
        reply(200, html("Notes", PROSE + "<p>Paperback $24.00 — buy now</p>")),
        Status.OK,
        None,
    ),
    served(
        "course sold in the page itself",
        "/p",
        reply(200, html("Deep Learning Course", "<p>Lesson videos. Price: $49.00. Enrol now.</p>")),
        Status.PAYWALLED,
        "price-and-buy",
    ),
]


test_verdict = verdict_test(CASES)
