"""Soft 404s: a 200 page that says the page does not exist, in any language and encoding, and its false
friends.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.crawl.classify import not_found_notice
from pipeline.status import Status
from tests.crawl.helpers import PROSE, assert_verdict, encoded, html
from tests.crawl.server import LoopbackServer, reply

CASES = [
    pytest.param(
        {"/p": reply(200, html("404 Not Found"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="title 404 Not Found",
    ),
    pytest.param(
        {"/p": reply(200, "<html><head><title>Acme</title></head><body><h1>Page not found</h1>" + PROSE)},
        "/p",
        Status.SOFT_404,
        "h1-not-found",
        id="h1 Page not found",
    ),
    pytest.param(
        {"/p": reply(200, html("Why gradients are not found in shallow saddle regions"))},
        "/p",
        Status.OK,
        None,
        id="article: why gradients are not found",
    ),
    pytest.param(
        {"/p": reply(200, html("Optimisation when the global minimum is not found"))},
        "/p",
        Status.OK,
        None,
        id="article title ending in 'not found'",
    ),
    pytest.param(
        {"/p": reply(200, html("Handling HTTP 404 error pages in a static site generator"))},
        "/p",
        Status.OK,
        None,
        id="article about HTTP 404 errors",
    ),
    pytest.param(
        {"/p": reply(200, html("Seite nicht gefunden"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="de: Seite nicht gefunden",
    ),
    pytest.param(
        {"/p": reply(200, html("Página no encontrada"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="es: Página no encontrada",
    ),
    pytest.param(
        {"/p": reply(200, html("Page introuvable – Université"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="fr: Page introuvable",
    ),
    pytest.param(
        {"/p": reply(200, html("ページが見つかりません | 線形代数"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="ja: ページが見つかりません",
    ),
    pytest.param(
        {"/p": reply(200, html("お探しのページは見つかりませんでした"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="ja: お探しのページは見つかりませんでした",
    ),
    pytest.param(
        {"/p": reply(200, html("Страница не найдена"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="ru: Страница не найдена",
    ),
    pytest.param(
        {"/p": reply(200, html("Página não encontrada"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="pt: Página não encontrada",
    ),
    pytest.param(
        {"/p": reply(200, html("页面不存在"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="zh: 页面不存在",
    ),
    pytest.param(
        {"/p": reply(200, html("Pagina niet gevonden"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="nl: Pagina niet gevonden",
    ),
    pytest.param(
        {"/p": reply(200, html("Fehler 404"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="de: Fehler 404",
    ),
    pytest.param(
        {"/p": reply(200, html("Warum Eigenwerte manchmal nicht gefunden werden: Einführung in Numerik"))},
        "/p",
        Status.OK,
        None,
        id="de article: Eigenwerte, nicht gefunden? (ok)",
    ),
    pytest.param(
        {"/p": encoded("Página no encontrada", "windows-1252")},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="windows-1252 in the header",
    ),
    pytest.param(
        {"/p": encoded("Página no encontrada", "iso-8859-1", header=False, meta=True)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="iso-8859-1 in a meta only",
    ),
    pytest.param(
        {"/p": encoded("Página no encontrada", "windows-1252", header=False)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="windows-1252 undeclared",
    ),
    pytest.param(
        {"/p": encoded("Страница не найдена", "windows-1251")},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="windows-1251 Russian",
    ),
    pytest.param(
        {"/p": encoded("ページが見つかりません", "shift_jis", header=False, meta=True)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
        id="shift_jis Japanese",
    ),
    pytest.param(
        {"/p": encoded("Équations différentielles", "iso-8859-1")},
        "/p",
        Status.OK,
        None,
        id="iso-8859-1 ordinary page (ok)",
    ),
]


@pytest.mark.parametrize(("routes", "url", "status", "rule"), CASES)
def test_verdict(server: LoopbackServer, routes: dict, url: str, status: Status, rule: str | None) -> None:
    assert_verdict(server, routes, url, status, rule)


@pytest.mark.parametrize(
    ("title", "notice"),
    [
        ("404 Not Found", True),
        ("Page Not Found | Acme Learning", True),
        ("Oops! 404 error — Acme Learning Platform for Data Science", True),
        ("Error 404", True),
        ("Not Found", True),
        ("Sorry, the page you requested could not be found", True),
        ("Oops! That page can’t be found.", True),
        ("Oops! That page can't be found.", True),
        ("The page you are looking for does not exist", True),
        ("The page you're looking for doesn't exist or has been moved", True),
        ("Nothing Found", True),
        ("Nothing found | Acme Notes", True),
        ("Hmm. We’re having trouble finding that site.", True),
        ("When nothing found in the search space means convergence", False),
        ("Eigenvectors that cannot be found by hand", False),
        ("Why gradients are not found in shallow saddle regions", False),
        ("Optimisation when the global minimum is not found", False),
        ("Handling HTTP 404 error pages in a static site generator", False),
        ("Linear algebra done right", False),
    ],
)
def test_not_found_notice_in_titles(title: str, notice: bool) -> None:
    assert (not_found_notice(title) is not None) is notice
