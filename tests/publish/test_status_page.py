"""reports/index.html in a real headless Chromium (Debian's): renders, lists everything, filters work,
nothing is fetched from anywhere, and a phone-sized screen needs no horizontal scrolling."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.publish.reports import build_health_report, write_reports
from tests.publish.factory import T0, days, make_catalogue, make_store, record_run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("CI") != "true",
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); required in CI",
    ),
]

HISTORY = {  # three runs, one day apart
    "essence-of-linear-algebra": ["ok", "ok", "ok"],
    "immersive-math": ["ok", "redirected", "redirected"],
    "essence-of-calculus": ["ok", "broken", "broken"],
    "micrograd": ["ok", "ok", "timeout"],
    "seeing-theory": ["broken", "broken", "broken"],
    "cs229": ["ok", "blocked", "blocked"],
}
EXPECTED_STATES = {
    "ok": ["essence-of-linear-algebra"],
    "moved": ["immersive-math"],
    "broken": ["essence-of-calculus", "seeing-theory"],
    "failing": ["micrograd"],
    "blocked": ["cs229"],
    "pending": ["aml-cheat-sheet"],
}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("status-page")
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    for n in range(3):
        record_run(engine, catalogue, T0 + days(n), {rid: statuses[n] for rid, statuses in HISTORY.items()})
    write_reports(build_health_report(catalogue, engine), tmp_path / "reports")
    return tmp_path / "reports" / "index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        yield browser
        browser.close()


def open_page(browser, page_file: Path, width: int = 1200, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(10_000)
    requests: list[str] = []
    errors: list[str] = []

    def route(route) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(page_file.as_uri())
    return page, requests, errors


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "#resources > li", "rows => rows.filter(r => r.offsetParent !== null).map(r => r.id.slice(2))"
    )


def test_renders_every_resource_and_fetches_nothing(browser, page_file: Path) -> None:
    catalogue = make_catalogue()
    page, requests, errors = open_page(browser, page_file)
    assert page.title() == f"Link health · {len(catalogue.resources)} resources"
    assert visible_ids(page) == [r.id for r in catalogue.resources]
    assert page.text_content("#shown") == str(len(catalogue.resources))
    # The timeline: one cell per run, oldest first, with a tooltip.
    cells = page.eval_on_selector_all(
        "#r-essence-of-calculus .timeline i", "cells => cells.map(c => c.title)"
    )
    assert cells == ["run 1 · 2026-11-20 · ok", "run 2 · 2026-11-21 · broken", "run 3 · 2026-11-22 · broken"]
    colours = page.eval_on_selector_all(
        "#r-essence-of-calculus .timeline i", "cells => cells.map(c => getComputedStyle(c).backgroundColor)"
    )
    assert colours[0] != colours[1] == colours[2]
    assert requests == [page_file.as_uri()]
    assert errors == []
    page.close()


@pytest.mark.parametrize(("state", "ids"), EXPECTED_STATES.items(), ids=EXPECTED_STATES.keys())
def test_filter_by_status(browser, page_file: Path, state: str, ids: list[str]) -> None:
    page, _, _ = open_page(browser, page_file)
    page.select_option("#filter-state", state)
    assert visible_ids(page) == ids
    assert page.text_content("#shown") == str(len(ids))
    page.select_option("#filter-state", "")
    assert len(visible_ids(page)) == len(make_catalogue().resources)
    page.close()


def test_filter_by_section_and_both(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file)
    page.select_option("#filter-section", "calculus")
    assert visible_ids(page) == ["essence-of-calculus", "micrograd"]
    page.select_option("#filter-state", "broken")
    assert visible_ids(page) == ["essence-of-calculus"]
    page.select_option("#filter-section", "cheatsheets")
    assert visible_ids(page) == []
    assert page.text_content("#shown") == "0"
    page.close()


def test_readable_on_a_phone(browser, page_file: Path, tmp_path: Path) -> None:
    page, _, _ = open_page(browser, page_file, width=360, height=740)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert (
        page.eval_on_selector('meta[name="viewport"]', "m => m.content")
        == "width=device-width, initial-scale=1"
    )
    # Every row fits the screen: nothing sticks out to the right.
    widest = page.eval_on_selector_all(
        "#resources > li *", "els => Math.max(...els.map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 360
    page.close()
