"""Sign-in walls: a redirect to a sign-in page or a password form as the page, and a login box in the
chrome.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.status import Status
from tests.crawl.helpers import HEADER_LOGIN, HEADER_LOGIN_FORM, PROSE, SHORT_PROSE, assert_verdict, html
from tests.crawl.server import LoopbackServer, redirect, reply

CASES = [
    pytest.param(
        {
            "/private": redirect("/login?next=/private", 302),
            "/login?next=/private": reply(200, html("Sign in", "<form><input type=password></form>")),
        },
        "/private",
        Status.LOGIN_REQUIRED,
        "login-redirect",
        id="302 to login page",
    ),
    pytest.param(
        {"/p": reply(200, html("Members area", "<form><input name=u><input type=password></form>"))},
        "/p",
        Status.LOGIN_REQUIRED,
        "password-form",
        id="password form is the page",
    ),
    pytest.param(
        {"/p": reply(200, html("Eigenvalues", HEADER_LOGIN + PROSE))},
        "/p",
        Status.OK,
        None,
        id="login link in header",
    ),
    pytest.param(
        {"/p": reply(200, html("Spectral theorem", HEADER_LOGIN_FORM + SHORT_PROSE))},
        "/p",
        Status.OK,
        None,
        id="short page with a header login form",
    ),
]


@pytest.mark.parametrize(("routes", "url", "status", "rule"), CASES)
def test_verdict(server: LoopbackServer, routes: dict, url: str, status: Status, rule: str | None) -> None:
    assert_verdict(server, routes, url, status, rule)
