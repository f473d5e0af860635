"""reports/index.html in a real headless Chromium (Debian's): it opens with "Needs a human", renders the
table from its packed data a chunk at a time, sorts and filters, shows times in the reader's time zone,
fetches nothing from anywhere, and a phone-sized screen needs no horizontal scrolling. Two pages: the
small factory catalogue with three runs, and a generated month of history for 1,000 resources."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._common import fill_runs
from pipeline.publish.reports import build_health_report, write_reports
from pipeline.publish.status_page import CHUNK, NEEDS_HUMAN_SHOWN, STATE_ORDER, page_data
from pipeline.status import Status
from pipeline.store.health import rebuild_health
from tests.factory import (
    SECTIONS,
    T0,
    days,
    make_catalogue,
    make_store,
    outcome,
    record_run,
    resource,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
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
    "unchecked": ["tensorflow-playground", "distill-pub", "uci-ml-repository", "cs229-cheatsheets"],
}
SEVERITY = [s.value for s in STATE_ORDER]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("status-page")
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    for n in range(3):
        results = {
            rid: outcome(catalogue.resource(rid).url, statuses[n], elapsed_ms=100 + 50 * n)
            for rid, statuses in HISTORY.items()
        }
        record_run(engine, catalogue, T0 + days(n), results)
    write_reports(build_health_report(catalogue, engine), tmp_path / "reports")
    engine.dispose()
    return tmp_path / "reports" / "index.html"


def month_catalogue(n: int = 1000):
    return make_catalogue(
        tuple(
            resource(
                f"res-{i:04d}",
                SECTIONS[i % len(SECTIONS)].id,
                10 * (i // len(SECTIONS)),
                title=f"Resource {i:04d}",
                url=None if i % 250 == 7 else f"https://host{i % 40}.example.org/r/{i}",
                awaiting_url="Not verified yet." if i % 250 == 7 else None,
            )
            for i in range(n)
        )
    )


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory):
    """1,000 resources, 30 nightly runs: (index.html, the page's packed data, the report)."""
    tmp_path = tmp_path_factory.mktemp("status-page-month")
    catalogue = month_catalogue()
    engine = make_store(tmp_path, catalogue)
    fill_runs(engine, [r.id for r in catalogue.resources if r.url], 30, random.Random(15))
    rebuild_health(engine, catalogue.config)
    report = build_health_report(catalogue, engine)
    write_reports(report, tmp_path / "reports")
    engine.dispose()
    return tmp_path / "reports" / "index.html", page_data(report), report


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        yield browser
        browser.close()


def open_page(browser, page_file: Path, width: int = 1200, height: int = 900, zone: str = "UTC"):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="en-US", timezone_id=zone)
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
    page.wait_for_selector("#resources > li")
    return page, requests, errors


def rendered_ids(page) -> list[str]:
    return page.eval_on_selector_all("#resources > li", "rows => rows.map(r => r.id.slice(2))")


def rendered_states(page) -> list[str]:
    return page.eval_on_selector_all("#resources > li", "rows => rows.map(r => r.dataset.state)")


# ---------------------------------------------------------------- the small catalogue


def test_renders_every_resource_and_fetches_nothing(browser, page_file: Path) -> None:
    catalogue = make_catalogue()
    page, requests, errors = open_page(browser, page_file)
    assert page.title() == f"Link health · {len(catalogue.resources)} resources"
    assert sorted(rendered_ids(page)) == sorted(r.id for r in catalogue.resources)
    assert page.text_content("#shown") == str(len(catalogue.resources))
    # Severity first: broken, then failing, pending, moved, blocked, unchecked, ok.
    states = rendered_states(page)
    assert states == sorted(states, key=SEVERITY.index)
    assert states[:2] == ["broken", "broken"]
    # The timeline: one cell per run, oldest first, with a tooltip in the reader's time zone.
    cells = page.eval_on_selector_all(
        "#r-essence-of-calculus .timeline i", "cells => cells.map(c => c.title)"
    )
    assert cells == [
        "run 1 · Nov 20, 2026, 03:00 AM UTC · ok",
        "run 2 · Nov 21, 2026, 03:00 AM UTC · broken",
        "run 3 · Nov 22, 2026, 03:00 AM UTC · broken",
    ]
    colours = page.eval_on_selector_all(
        "#r-essence-of-calculus .timeline i", "cells => cells.map(c => getComputedStyle(c).backgroundColor)"
    )
    assert colours[0] != colours[1] == colours[2]
    # A response-time sparkline (inline SVG) and the latest time.
    assert page.eval_on_selector("#r-essence-of-calculus svg.spark polyline", "p => p.points.length") == 3
    assert page.text_content("#r-essence-of-calculus .spark-cell .sub") == "200 ms"
    assert requests == [page_file.as_uri()]
    assert errors == []
    page.close()


def test_opens_with_what_needs_a_human(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file)
    block = page.locator("#needs-human")
    assert page.text_content("#needs-human h2") == "Needs a human (5)"
    # Grouped by action exactly as health.md: the same titles in the same order.
    assert page.eval_on_selector_all("#needs-human h3", "hs => hs.map(h => h.textContent)") == [
        "Fix the URL (2)",
        "Look at a site that blocks robots (1)",
        "Update a moved URL (1)",
        "Verify a pending URL (1)",
    ]
    box = block.bounding_box()
    assert box is not None and box["y"] < 300  # the first thing below the header
    assert "roadmap fix redirects" in page.text_content("#todo-update-moved-url code")
    page.close()


def test_pending_and_unchecked_look_different(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file)
    style = "b => [b.textContent, getComputedStyle(b).backgroundColor, getComputedStyle(b).borderStyle]"
    pending = page.eval_on_selector("#r-aml-cheat-sheet .badge", style)
    unchecked = page.eval_on_selector("#r-distill-pub .badge", style)
    assert pending[0] == "pending: awaiting a URL"
    assert unchecked[0] == "unchecked: never checked"
    assert pending[1:] != unchecked[1:]
    page.close()


def test_times_in_the_readers_zone(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file, zone="America/New_York")
    meta = page.locator("header .meta time")
    assert meta.get_attribute("datetime") == "2026-11-22T03:00:00Z"
    assert meta.text_content() == "Nov 21, 2026, 10:00 PM EST"
    assert meta.get_attribute("title") == "2026-11-22 03:00 UTC"  # the server's fallback, kept as a hint
    since = page.text_content("#r-essence-of-calculus .state .sub")
    assert since == "since Nov 20, 2026, 10:00 PM EST"
    page.close()


@pytest.mark.parametrize(("state", "ids"), EXPECTED_STATES.items(), ids=EXPECTED_STATES.keys())
def test_filter_by_status(browser, page_file: Path, state: str, ids: list[str]) -> None:
    page, _, _ = open_page(browser, page_file)
    page.select_option("#filter-state", state)
    assert sorted(rendered_ids(page)) == sorted(ids)
    assert page.text_content("#shown") == str(len(ids))
    page.select_option("#filter-state", "")
    assert len(rendered_ids(page)) == len(make_catalogue().resources)
    page.close()


def test_filter_by_section_text_and_both(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file)
    page.select_option("#filter-section", "calculus")
    assert sorted(rendered_ids(page)) == ["essence-of-calculus", "micrograd"]
    page.select_option("#filter-state", "broken")
    assert rendered_ids(page) == ["essence-of-calculus"]
    page.select_option("#filter-section", "cheatsheets")
    assert rendered_ids(page) == []
    assert page.text_content("#shown") == "0"
    assert page.is_visible("#empty")
    page.select_option("#filter-section", "")
    page.select_option("#filter-state", "")
    page.fill("#filter-text", "3BLUE1BROWN")
    assert sorted(rendered_ids(page)) == ["essence-of-calculus", "essence-of-linear-algebra"]
    page.close()


def test_readable_on_a_phone(browser, page_file: Path) -> None:
    page, _, _ = open_page(browser, page_file, width=375, height=740)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert (
        page.eval_on_selector('meta[name="viewport"]', "m => m.content")
        == "width=device-width, initial-scale=1"
    )
    page.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
    widest = page.eval_on_selector_all(
        "body *", "els => Math.max(...els.map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 375
    page.close()


# ---------------------------------------------------------------- a month of history for 1,000 resources


def expected_order(data: dict, key: str) -> list[str]:
    rows = list(enumerate(data["rows"]))
    if key == "severity":
        rows.sort(key=lambda ir: (ir[1][4], ir[0]))
    elif key == "section":
        rows.sort(key=lambda ir: (ir[1][3], ir[0]))
    elif key == "uptime":
        rows.sort(key=lambda ir: (2000 if ir[1][6] < 0 else ir[1][6], ir[1][4], ir[0]))
    elif key == "change":
        rows.sort(key=lambda ir: (ir[1][7] is None, -(ir[1][7] or 0), ir[0]))
    return [r[0] for _, r in rows]


def test_month_first_screen_is_the_needs_a_human_block(browser, month) -> None:
    page_file, data, report = month
    assert len(data["rows"]) == 1000 and len(data["runs"]) == 30
    page, requests, errors = open_page(browser, page_file)
    assert page.text_content("#needs-human h2") == f"Needs a human ({report.needs_human})"
    assert report.needs_human > NEEDS_HUMAN_SHOWN
    box = page.locator("#needs-human h2").bounding_box()
    assert box is not None and box["y"] + box["height"] < 900
    # Lazily rendered: one chunk, then more as the reader scrolls.
    assert len(rendered_ids(page)) == CHUNK
    page.eval_on_selector("#more", "e => e.scrollIntoView()")
    page.wait_for_function(f"document.querySelectorAll('#resources > li').length >= {2 * CHUNK}")
    assert requests == [page_file.as_uri()] and errors == []
    page.close()


@pytest.mark.parametrize("key", ["severity", "section", "uptime", "change"])
def test_month_sorting(browser, month, key: str) -> None:
    page_file, data, _ = month
    page, _, _ = open_page(browser, page_file)
    page.select_option("#sort", key)
    assert rendered_ids(page) == expected_order(data, key)[:CHUNK]
    page.close()


def test_month_sort_by_uptime_and_severity_read_right(browser, month) -> None:
    page_file, _, report = month
    page, _, _ = open_page(browser, page_file)
    page.select_option("#sort", "uptime")
    uptimes = page.eval_on_selector_all(
        "#resources > li .uptime", "cells => cells.map(c => parseFloat(c.firstChild.textContent))"
    )
    assert uptimes == sorted(uptimes) and uptimes[0] < 50
    page.select_option("#sort", "severity")
    assert rendered_states(page)[: report.broken] == ["broken"] * min(report.broken, CHUNK)
    page.close()


def test_month_filters(browser, month) -> None:
    page_file, _, report = month
    page, _, _ = open_page(browser, page_file)
    for state, count in report.state_counts.items():
        page.select_option("#filter-state", state)
        assert page.text_content("#shown") == str(count)
        assert set(rendered_states(page)) == {state}
        assert len(rendered_ids(page)) == min(count, CHUNK)
    page.select_option("#filter-state", "")
    page.fill("#filter-text", "res-0123")
    assert rendered_ids(page) == ["res-0123"]
    page.fill("#filter-text", "")
    # "Show all N in the table" under a needs-a-human group filters the table to that group.
    fix = next(g for g in report.actions if g.id == "fix-url")
    page.click("#todo-fix-url button.show-group")
    assert page.input_value("#filter-action") == "fix-url"
    assert page.text_content("#shown") == str(len(fix.items))
    assert set(rendered_ids(page)) <= {i.id for i in fix.items}
    page.close()


def test_month_incidents_and_phone(browser, month) -> None:
    page_file, data, _ = month
    page, _, _ = open_page(browser, page_file, width=375, height=812)
    with_incidents = sum(1 for r in data["rows"] if r[13])
    assert with_incidents > 0
    page.select_option("#sort", "uptime")
    page.eval_on_selector_all("details.incidents", "ds => ds.forEach(d => { d.open = true; })")
    text = page.text_content("#resources > li details.incidents li")
    assert text.startswith(("broken from", "timeout from"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.close()


def test_month_status_codes_are_the_contracts(month) -> None:
    _, data, _ = month
    assert data["statuses"] == [s.value for s in Status]
