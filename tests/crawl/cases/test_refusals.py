"""Refusals: a site that refuses automated checks or is down for a while is blocked or a server error, never
broken.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.status import Status
from tests.crawl.helpers import CF_BODY, assert_verdict, html
from tests.crawl.server import LoopbackServer, reply, sequence

CASES = [
    pytest.param(
        {"/p": reply(451, "unavailable for legal reasons")},
        "/p",
        Status.BLOCKED,
        "http-451",
        id="451",
    ),
    pytest.param(
        {"/p": reply(403, CF_BODY)},
        "/p",
        Status.BLOCKED,
        "bot-challenge",
        id="403 cloudflare body",
    ),
    pytest.param(
        {"/p": reply(403, "", cf_mitigated="challenge")},
        "/p",
        Status.BLOCKED,
        "bot-challenge",
        id="403 cf-mitigated header",
    ),
    pytest.param(
        {"/p": reply(200, CF_BODY)},
        "/p",
        Status.BLOCKED,
        "bot-challenge",
        id="200 cloudflare challenge",
    ),
    pytest.param(
        {"/p": reply(999, "")},
        "/p",
        Status.BLOCKED,
        "http-999",
        id="999",
    ),
    pytest.param(
        {"/p": reply(429, "later", retry_after="3600")},
        "/p",
        Status.BLOCKED,
        "http-429",
        id="429 Retry-After beyond cap",
    ),
    pytest.param(
        {"/p": sequence(reply(503, "busy", retry_after="1"), reply(200, html("Back")))},
        "/p",
        Status.OK,
        None,
        id="503 Retry-After then 200",
    ),
    pytest.param(
        {"/p": reply(503, "busy")},
        "/p",
        Status.SERVER_ERROR,
        "http-503",
        id="503 for good",
    ),
    pytest.param(
        {"/p": sequence(reply(500, "oops"), reply(200, html("Fine now")))},
        "/p",
        Status.OK,
        None,
        id="500 once then 200",
    ),
]


@pytest.mark.parametrize(("routes", "url", "status", "rule"), CASES)
def test_verdict(server: LoopbackServer, routes: dict, url: str, status: Status, rule: str | None) -> None:
    assert_verdict(server, routes, url, status, rule)
