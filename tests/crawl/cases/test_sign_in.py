"""Sign-in walls: a redirect to a sign-in page or a password form as the page, and a login box in the
chrome.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

from pipeline.status import Status
from tests.crawl.helpers import (
    HEADER_LOGIN,
    HEADER_LOGIN_FORM,
    PROSE,
    SHORT_PROSE,
    case,
    html,
    served,
    verdict_test,
)
from tests.crawl.server import redirect, reply

CASES = [
    case(
        "302 to login page",
        {
            "/private": redirect("/login?next=/private", 302),
            "/login?next=/private": reply(200, html("Sign in", "<form><input type=password></form>")),
        },
        "/private",
        Status.LOGIN_REQUIRED,
        "login-redirect",
    ),
    served(
        "password form is the page",
        "/p",
        reply(200, html("Members area", "<form><input name=u><input type=password></form>")),
        Status.LOGIN_REQUIRED,
        "password-form",
    ),
    served(
        "login link in header", "/p", reply(200, html("Eigenvalues", HEADER_LOGIN + PROSE)), Status.OK, None
    ),
    served(
        "short page with a header login form",
        "/p",
        reply(200, html("Spectral theorem", HEADER_LOGIN_FORM + SHORT_PROSE)),
        Status.OK,
        None,
    ),
]


test_verdict = verdict_test(CASES)
