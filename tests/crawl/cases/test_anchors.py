"""Anchors: a #fragment is looked for among the ids and names of the page; scripts' fragments are left
alone.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import PROSE, case, html, verdict_test
from tests.crawl.server import reply

CASES = [
    case(
        "anchor as id",
        {"/p": reply(200, html("T", "<h2 id=proof>P</h2>" + PROSE))},
        "/p#proof",
        Status.OK,
        None,
    ),
    case(
        "anchor as name",
        {"/p": reply(200, html("T", "<a name=proof></a>" + PROSE))},
        "/p#proof",
        Status.OK,
        None,
    ),
    case(
        "anchor missing",
        {"/p": reply(200, html("T", "<h2 id=intro>I</h2>" + PROSE))},
        "/p#proof",
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
    case(
        "spa route fragment",
        {"/p": reply(200, html("T", "<h2 id=intro>I</h2>" + PROSE))},
        "/p#/lessons/3",
        Status.OK,
        None,
    ),
    case(
        "github line fragment",
        {"/blob/main/x.py": reply(200, html("x.py", "<h2 id=intro>I</h2>" + PROSE))},
        "/blob/main/x.py#L10-L20",
        Status.OK,
        None,
    ),
    case(
        "percent-encoded fragment vs raw id",
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.OK,
        None,
    ),
    case(
        "raw unicode fragment vs raw id",
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#café",
        Status.OK,
        None,
    ),
    case(
        "percent-encoded fragment really missing",
        {"/p": reply(200, html("Menu", "<h2 id='tea'>Tea</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
]


# Issue 10 §3: percent-encoded and non-ASCII fragments match their ids.
IDS = "<h2 id='über'>Über</h2><h2 id='概要'>概要</h2><h2 id='%C3%A9t%C3%A9'>Été</h2>"
ENCODED = [
    case(
        "NFD fragment, NFC id",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#u%CC%88ber",
        Status.OK,
        None,
    ),
    case(
        "double-encoded fragment",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%25C3%25BCber",
        Status.OK,
        None,
    ),
    case(
        "Latin-1 encoded fragment",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%FCber",
        Status.OK,
        None,
    ),
    case(
        "encoded fragment, other case",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%C3%9Cber",
        Status.OK,
        None,
    ),
    case(
        "encoded CJK fragment",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%E6%A6%82%E8%A6%81",
        Status.OK,
        None,
    ),
    case(
        "raw fragment, percent-encoded id",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#été",
        Status.OK,
        None,
    ),
    case(
        "encoded non-ASCII fragment really missing",
        {"/p": reply(200, html("Notes", IDS + PROSE))},
        "/p#%C3%A0-propos",
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
]
CASES += ENCODED


test_verdict = verdict_test(CASES)
