"""The one definition of a permanent move and of a sign-in URL (pipeline/crawl/redirects.py)."""

from __future__ import annotations

import pytest

from pipeline.config import DomainRule
from pipeline.crawl import html
from pipeline.crawl.redirects import is_login_url, is_permanent_hop, is_redirect_stub, update_target
from pipeline.status import Hop
from tests.crawl.helpers import hugo_alias, jekyll_stub

A = "https://site.example/a"
B = "https://site.example/b"
C = "https://site.example/c"


@pytest.mark.parametrize(
    ("hop", "permanent"),
    [
        pytest.param(Hop(A, 301, B), True, id="301"),
        pytest.param(Hop(A, 308, B), True, id="308"),
        pytest.param(Hop(A, 302, B), False, id="302 elsewhere"),
        pytest.param(Hop(A, 303, B), False, id="303"),
        pytest.param(Hop(A, 307, B), False, id="307"),
        pytest.param(Hop("http://site.example/a", 302, A), True, id="302 http to https, same address"),
        pytest.param(Hop("http://site.example/a", 307, A), True, id="307 http to https, same address"),
        pytest.param(Hop("http://site.example/a", 302, B), False, id="302 http to https, other path"),
        pytest.param(
            Hop("http://site.example/a?x=1", 302, A + "?x=2"), False, id="302 http to https, other query"
        ),
        pytest.param(Hop("http://site.example/a", 302, "https://other.example/a"), False, id="other host"),
        pytest.param(Hop(A, 302, "http://site.example/a"), False, id="https to http downgrade"),
        pytest.param(Hop(A, 302, None), False, id="no location"),
        pytest.param(Hop(A, 200, B, stub=True), True, id="redirect stub page"),
        pytest.param(Hop(A, 200, B), False, id="meta refresh of an ordinary page"),
    ],
)
def test_permanent_hop(hop: Hop, permanent: bool) -> None:
    assert is_permanent_hop(hop) is permanent


@pytest.mark.parametrize(
    ("hops", "target"),
    [
        pytest.param((), None, id="no redirect"),
        pytest.param((Hop(A, 301, B),), B, id="one move"),
        pytest.param((Hop(A, 301, B), Hop(B, 308, C)), C, id="two moves"),
        pytest.param((Hop(A, 301, B), Hop(B, 302, C)), B, id="move then landing page: end of the move"),
        pytest.param((Hop(A, 302, B), Hop(B, 301, C)), None, id="temporary first: nothing to update"),
        pytest.param((Hop(A, 200, B, stub=True), Hop(B, 302, C)), B, id="stub then landing page"),
        pytest.param(
            (Hop("http://site.example/a", 302, A), Hop(A, 301, B), Hop(B, 307, C)),
            B,
            id="upgrade, move, temporary",
        ),
    ],
)
def test_update_target_is_the_end_of_the_leading_permanent_run(
    hops: tuple[Hop, ...], target: str | None
) -> None:
    assert update_target(hops) == target


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://site.example/login", id="login"),
        pytest.param("https://site.example/accounts/login/?next=/notes", id="django login"),
        pytest.param("https://site.example/users/sign_in", id="rails sign_in"),
        pytest.param("https://site.example/sign-in?from=x", id="sign-in"),
        pytest.param("https://site.example/signup", id="signup"),
        pytest.param("https://site.example/wp-login.php?redirect_to=x", id="wordpress"),
        pytest.param("https://site.example/session/new", id="session new"),
        pytest.param("https://site.example/oauth/authorize?client_id=1", id="oauth authorize"),
        pytest.param("https://site.example/auth/realms/main/protocol/openid-connect/auth", id="keycloak"),
        pytest.param("https://login.example.com/", id="login host"),
        pytest.param("https://accounts.google.com/ServiceLogin", id="google accounts"),
        pytest.param("https://sso.example.org/cas", id="sso host"),
        pytest.param("https://site.example/gate?returnUrl=%2Fnotes", id="returnurl query"),
        pytest.param("https://site.example/x?return_to=%2Fnotes", id="return_to query"),
        pytest.param("https://site.example/x?client=1&redirect_uri=https%3A%2F%2Fa", id="redirect_uri"),
    ],
)
def test_sign_in_urls(url: str) -> None:
    assert is_login_url(url)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://site.example/logistics/", id="logistics"),
        pytest.param("https://site.example/authors/ada", id="authors"),
        pytest.param("https://site.example/docs/oauth", id="docs about oauth"),
        pytest.param("https://site.example/blog/login-tips-for-beginners", id="slug mentioning login"),
        pytest.param("https://site.example/notes?return=1", id="other query"),
        pytest.param("https://blogin.example/", id="host containing login"),
    ],
)
def test_not_sign_in_urls(url: str) -> None:
    assert is_login_url(url) is None


def test_domain_rule_patterns_count_as_sign_in() -> None:
    rule = DomainRule(login_url_patterns=("/gate",))
    assert is_login_url("https://site.example/gate?ret=1", rule) == "/gate"
    assert is_login_url("https://site.example/gate?ret=1") is None


def _facts(document: str):
    return html.parse(document)


@pytest.mark.parametrize(
    ("document", "target", "stub"),
    [
        pytest.param(jekyll_stub(B), B, True, id="jekyll-redirect-from"),
        pytest.param(hugo_alias(B), B, True, id="hugo alias"),
        pytest.param(jekyll_stub("/b"), B, True, id="relative addresses"),
        pytest.param(jekyll_stub(B, canonical=C), B, False, id="canonical elsewhere"),
        pytest.param(jekyll_stub(B).replace('content="0;', 'content="30;'), B, False, id="a slow refresh"),
        pytest.param(
            jekyll_stub(B).replace("</html>", "<p>" + "A long page. " * 40 + "</p></html>"),
            B,
            False,
            id="a page",
        ),
        pytest.param(
            jekyll_stub(B).replace('<link rel="canonical" href="' + B + '">', ""), B, False, id="no canonical"
        ),
    ],
)
def test_redirect_stub(document: str, target: str, stub: bool) -> None:
    assert is_redirect_stub(_facts(document), A, target) is stub
