"""Parked domains: a registrar's or parking network's page where a site used to be, and articles about
domain sales.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import socket

import pytest

from pipeline.status import Status
from tests.crawl.helpers import PROSE, html, install, refresh_page, run, served, verdict_test
from tests.crawl.server import LoopbackServer, reply

# "For sale" notices by language: (language, the page's title, the notice). Adding a language to
# crawl/signals/ is adding its row here.
FOR_SALE = [
    ("German", "notizen.example", "Diese Domain steht zum Verkauf."),
    ("French", "notes.example", "Ce nom de domaine est à vendre"),
    ("Japanese", "notes.example", "このドメインは販売中です"),
]

CASES = [
    served(
        "parked: for sale",
        "/",
        reply(200, html("example.org", "<p>This domain is for sale!</p>")),
        Status.SOFT_404,
        "parked-domain",
    ),
    served(
        "parked: buy this domain",
        "/",
        reply(200, html("Welcome", "<a href='x'>Buy this domain</a>")),
        Status.SOFT_404,
        "parked-domain",
    ),
    *(
        served(
            f"parked in {language}",
            "/",
            reply(200, html(title, f"<p>{notice}</p>")),
            Status.SOFT_404,
            "parked-domain",
        )
        for language, title, notice in FOR_SALE
    ),
    served(
        "article about domain sales (ok)",
        "/p",
        reply(200, html("Pricing models", "<p>Wie ein Händler eine Domain verkauft.</p>" + PROSE)),
        Status.OK,
        None,
    ),
]


test_verdict = verdict_test(CASES)


def test_meta_refresh_to_a_known_parking_host_is_soft_404_without_reaching_it(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nxdomain(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    install(server, {"/": reply(200, refresh_page("https://dan.com/buy-domain/notes.example"))})
    url = server.url("/")
    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    outcome = run([url])[0][url]
    assert outcome.status is Status.SOFT_404
    assert outcome.evidence[0].rule == "parked-domain" and "dan.com" in outcome.evidence[0].detail
