"""Documents and bodies: HEAD refused for a PDF, bodies that are not HTML, huge and compressed bodies.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import BOMB, HUGE_PDF, PDF, case, gz, html, served, verdict_test
from tests.crawl.server import by_method, reply, slow

CASES = [
    served(
        "pdf: HEAD 404, GET 200",
        "/paper.pdf",
        by_method(head=reply(404, ""), get=reply(200, PDF, "application/pdf")),
        Status.OK,
        None,
    ),
    served(
        "pdf: HEAD 405, GET 200",
        "/paper.pdf",
        by_method(head=reply(405, ""), get=reply(200, PDF, "application/pdf")),
        Status.OK,
        None,
    ),
    served(
        "pdf: HEAD 500, GET 200",
        "/paper.pdf",
        by_method(head=reply(500, ""), get=reply(200, PDF, "application/pdf")),
        Status.OK,
        None,
    ),
    served(
        "pdf: HEAD hangs, GET 200",
        "/paper.pdf",
        by_method(head=slow(3.0, reply(200, "", "application/pdf")), get=reply(200, PDF, "application/pdf")),
        Status.OK,
        None,
    ),
    case("pdf: HEAD 404, GET 404 too", {}, "/missing.pdf", Status.BROKEN, "http-404"),
    served(
        "huge pdf by content type", "/download?id=3", reply(200, HUGE_PDF, "application/pdf"), Status.OK, None
    ),
    served("204 for a page", "/p", reply(204, b""), Status.SOFT_404, "empty-body"),
    served("gzip bomb", "/p", gz(200, BOMB), Status.OK, None),
    served(
        "raw text file",
        "/raw/main/README.md",
        reply(200, "# Notes\n\nEigenvalues. " * 40, "text/plain; charset=utf-8"),
        Status.OK,
        None,
    ),
    served(
        "raw html file served as text/plain",
        "/raw/main/404.html",
        reply(200, html("Page not found", "<p>Custom 404 page template.</p>"), "text/plain; charset=utf-8"),
        Status.OK,
        None,
    ),
    served(
        "json document",
        "/api/data.json",
        reply(200, '{"error": null, "items": [1, 2, 3]}', "application/json"),
        Status.OK,
        None,
    ),
    served(
        "noindex page",
        "/p",
        reply(200, html("Lecture 3", head='<meta name="robots" content="noindex, nofollow">')),
        Status.OK,
        None,
    ),
    served("410 Gone", "/p", reply(410, html("Gone")), Status.BROKEN, "http-410"),
    served(
        "html page: HEAD 404, GET 200",
        "/p",
        by_method(head=reply(404, ""), get=reply(200, html("Works with GET"))),
        Status.OK,
        None,
    ),
    served(
        "html at a .pdf URL: HEAD 404, GET 200",
        "/slides.pdf",
        by_method(head=reply(404, "", "text/html"), get=reply(200, html("Slides viewer"))),
        Status.OK,
        None,
    ),
]


test_verdict = verdict_test(CASES)
