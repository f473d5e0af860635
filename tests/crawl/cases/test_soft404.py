"""Soft 404s: a 200 page that says the page does not exist, in any language and encoding, and its false
friends.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.crawl.classify import not_found_notice
from pipeline.status import Status
from tests.crawl.helpers import PROSE, TINY_SCRIPTED, TINY_STATIC, case, encoded, html, served, verdict_test
from tests.crawl.server import reply

# "Not found" titles in the languages the not-found signals cover: (language, what it says, the page's
# title). Adding a language to crawl/signals/ is adding its row here.
NOT_FOUND_TITLES = [
    ("de", "Seite nicht gefunden", "Seite nicht gefunden"),
    ("de", "Fehler 404", "Fehler 404"),
    ("es", "Página no encontrada", "Página no encontrada"),
    ("fr", "Page introuvable", "Page introuvable – Université"),
    ("ja", "ページが見つかりません", "ページが見つかりません | 線形代数"),
    ("ja", "お探しのページは見つかりませんでした", "お探しのページは見つかりませんでした"),
    ("ru", "Страница не найдена", "Страница не найдена"),
    ("pt", "Página não encontrada", "Página não encontrada"),
    ("zh", "页面不存在", "页面不存在"),
    ("nl", "Pagina niet gevonden", "Pagina niet gevonden"),
]

CASES = [
    served(
        "title 404 Not Found", "/p", reply(200, html("404 Not Found")), Status.SOFT_404, "title-not-found"
    ),
    served(
        "h1 Page not found",
        "/p",
        reply(200, "<html><head><title>Acme</title></head><body><h1>Page not found</h1>" + PROSE),
        Status.SOFT_404,
        "h1-not-found",
    ),
    served(
        "article: why gradients are not found",
        "/p",
        reply(200, html("Why gradients are not found in shallow saddle regions")),
        Status.OK,
        None,
    ),
    served(
        "article title ending in 'not found'",
        "/p",
        reply(200, html("Optimisation when the global minimum is not found")),
        Status.OK,
        None,
    ),
    served(
        "article about HTTP 404 errors",
        "/p",
        reply(200, html("Handling HTTP 404 error pages in a static site generator")),
        Status.OK,
        None,
    ),
    served(
        "de article: Eigenwerte, nicht gefunden? (ok)",
        "/p",
        reply(200, html("Warum Eigenwerte manchmal nicht gefunden werden: Einführung in Numerik")),
        Status.OK,
        None,
    ),
    served(
        "windows-1252 in the header",
        "/p",
        encoded("Página no encontrada", "windows-1252"),
        Status.SOFT_404,
        "title-not-found",
    ),
    served(
        "iso-8859-1 in a meta only",
        "/p",
        encoded("Página no encontrada", "iso-8859-1", header=False, meta=True),
        Status.SOFT_404,
        "title-not-found",
    ),
    served(
        "windows-1252 undeclared",
        "/p",
        encoded("Página no encontrada", "windows-1252", header=False),
        Status.SOFT_404,
        "title-not-found",
    ),
    served(
        "windows-1251 Russian",
        "/p",
        encoded("Страница не найдена", "windows-1251"),
        Status.SOFT_404,
        "title-not-found",
    ),
    served(
        "shift_jis Japanese",
        "/p",
        encoded("ページが見つかりません", "shift_jis", header=False, meta=True),
        Status.SOFT_404,
        "title-not-found",
    ),
    served(
        "iso-8859-1 ordinary page (ok)",
        "/p",
        encoded("Équations différentielles", "iso-8859-1"),
        Status.OK,
        None,
    ),
]
CASES += [
    served(f"{language}: {says}", "/p", reply(200, html(title)), Status.SOFT_404, "title-not-found")
    for language, says, title in NOT_FOUND_TITLES
]


# Issue 10 §3: a small static page that the host serves for a made-up path too is a soft 404; only a
# script-rendered shell gets the benefit of the doubt.
CATCH_ALL = [
    case(
        "tiny static page served for every path",
        {"*": reply(200, TINY_STATIC)},
        "/notes/chapter-3",
        Status.SOFT_404,
        "same-as-missing-page",
    ),
    case(
        "short static page with a heading served for every path",
        {"*": reply(200, html("Acme Notes", "<p>Nothing here.</p>"))},
        "/notes/chapter-3",
        Status.SOFT_404,
        "same-as-missing-page",
    ),
    served(
        "tiny static page, made-up paths answer 404",
        "/notes/chapter-3",
        reply(200, TINY_STATIC),
        Status.OK,
        None,
    ),
    case(
        "script-rendered shell served for every path (benefit of the doubt)",
        {"*": reply(200, TINY_SCRIPTED)},
        "/notes/chapter-3",
        Status.OK,
        None,
    ),
]
CASES += CATCH_ALL

# Issue 10 §3: removed-content notices served with 200, in the languages the not-found lists cover.
REMOVED = [
    served(
        "video unavailable",
        "/watch",
        reply(200, html("Video unavailable - NotesTube", "<p>This video has been removed.</p>")),
        Status.SOFT_404,
        "removed-content",
    ),
    served(
        "course no longer available",
        "/course/la",
        reply(
            200,
            "<html><head><title>Linear Algebra | Acme Academy</title></head><body><h1>Linear Algebra</h1>"
            "<p>This course is no longer available.</p><p>Browse our catalogue for other courses.</p>"
            "</body></html>",
        ),
        Status.SOFT_404,
        "removed-content",
    ),
    served(
        "page archived and no longer available",
        "/p",
        reply(200, html("Eigenvalues", "<p>This page has been archived and is no longer available.</p>")),
        Status.SOFT_404,
        "removed-content",
    ),
    served(
        "archived repository still works (ok)",
        "/p",
        reply(
            200,
            html(
                "notes/linear-algebra",
                "<p>This repository has been archived by the owner"
                " on Jan 5, 2024. It is now read-only.</p>" + PROSE,
            ),
        ),
        Status.OK,
        None,
    ),
    served(
        "article about unavailable videos (ok)",
        "/p",
        reply(
            200,
            html(
                "Why videos vanish",
                PROSE + "<p>When a video is unavailable in one country"
                " it may still play in another.</p>" + PROSE,
            ),
        ),
        Status.OK,
        None,
    ),
    served(
        "free text beside a print edition no longer available (ok)",
        "/p",
        reply(
            200,
            html(
                "Linear algebra, free online",
                PROSE + "<aside>The print edition is no longer available.</aside>",
            ),
        ),
        Status.OK,
        None,
    ),
]
# Removed-content notices by language: (language, what it says, the page's title, the notice). Adding a
# language to crawl/signals/ is adding its row here.
REMOVED_NOTICES = [
    ("de", "Video nicht mehr verfügbar", "Lineare Algebra", "Dieses Video ist nicht mehr verfügbar."),
    ("fr", "cours plus disponible", "Algèbre linéaire", "Ce cours n’est plus disponible."),
    ("es", "curso ya no disponible", "Álgebra lineal", "Este curso ya no está disponible."),
    ("ja", "動画は削除されました", "線形代数", "この動画は削除されました。"),
]
REMOVED += [
    served(
        f"{language}: {says}",
        "/p",
        reply(200, html(title, f"<p>{notice}</p>")),
        Status.SOFT_404,
        "removed-content",
    )
    for language, says, title, notice in REMOVED_NOTICES
]
CASES += REMOVED


test_verdict = verdict_test(CASES)


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
