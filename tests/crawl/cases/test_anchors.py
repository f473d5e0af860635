"""Anchors: a #fragment is looked for among the ids and names of the page; scripts' fragments are left
alone.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.status import Status
from tests.crawl.helpers import PROSE, assert_verdict, html
from tests.crawl.server import LoopbackServer, reply

CASES = [
    pytest.param(
        {"/p": reply(200, html("T", "<h2 id=proof>P</h2>" + PROSE))},
        "/p#proof",
        Status.OK,
        None,
        id="anchor as id",
    ),
    pytest.param(
        {"/p": reply(200, html("T", "<a name=proof></a>" + PROSE))},
        "/p#proof",
        Status.OK,
        None,
        id="anchor as name",
    ),
    pytest.param(
        {"/p": reply(200, html("T", "<h2 id=intro>I</h2>" + PROSE))},
        "/p#proof",
        Status.ANCHOR_MISSING,
        "anchor-missing",
        id="anchor missing",
    ),
    pytest.param(
        {"/p": reply(200, html("T", "<h2 id=intro>I</h2>" + PROSE))},
        "/p#/lessons/3",
        Status.OK,
        None,
        id="spa route fragment",
    ),
    pytest.param(
        {"/blob/main/x.py": reply(200, html("x.py", "<h2 id=intro>I</h2>" + PROSE))},
        "/blob/main/x.py#L10-L20",
        Status.OK,
        None,
        id="github line fragment",
    ),
    pytest.param(
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.OK,
        None,
        id="percent-encoded fragment vs raw id",
    ),
    pytest.param(
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#café",
        Status.OK,
        None,
        id="raw unicode fragment vs raw id",
    ),
    pytest.param(
        {"/p": reply(200, html("Menu", "<h2 id='tea'>Tea</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.ANCHOR_MISSING,
        "anchor-missing",
        id="percent-encoded fragment really missing",
    ),
]


# Issue 10 §3: percent-encoded and non-ASCII fragments match their ids.
IDS = "<h2 id='über'>Über</h2><h2 id='概要'>概要</h2><h2 id='%C3%A9t%C3%A9'>Été</h2>"
ENCODED = [
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#u%CC%88ber",
        Status.OK,
        None,
        id="NFD fragment, NFC id",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%25C3%25BCber",
        Status.OK,
        None,
        id="double-encoded fragment",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%FCber",
        Status.OK,
        None,
        id="Latin-1 encoded fragment",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%C3%9Cber",
        Status.OK,
        None,
        id="encoded fragment, other case",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%E6%A6%82%E8%A6%81",
        Status.OK,
        None,
        id="encoded CJK fragment",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#été",
        Status.OK,
        None,
        id="raw fragment, percent-encoded id",
    ),
    pytest.param(
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%C3%A0-propos",
        Status.ANCHOR_MISSING,
        "anchor-missing",
        id="encoded non-ASCII fragment really missing",
    ),
]
CASES += ENCODED


@pytest.mark.parametrize(("routes", "url", "status", "rule"), CASES)
def test_verdict(server: LoopbackServer, routes: dict, url: str, status: Status, rule: str | None) -> None:
    assert_verdict(server, routes, url, status, rule)
