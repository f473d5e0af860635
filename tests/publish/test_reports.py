"""Health reports from a real store: what changed, what needs a human, inconclusive runs, determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.config import CheckConfig, Config, QualityRule
from pipeline.model import Catalogue
from pipeline.publish.data import HealthData
from pipeline.publish.reports import build_health_report, render_reports, write_reports
from pipeline.publish.status_page import page_data
from pipeline.status import NOT_JUDGED, Evidence, Hop
from tests.factory import T0, days, default_resources, make_catalogue, make_store, outcome, record_run

RID = "essence-of-calculus"
URL = "https://example.org/essence-of-calculus"


def groups(report) -> dict[str, list[str]]:
    found = {f"change:{g.id}": [i.id for i in g.items] for g in report.changes if g.items}
    found |= {f"todo:{g.id}": [i.id for i in g.items] for g in report.actions if g.items}
    if report.watch.items:
        found["watch:failing"] = [i.id for i in report.watch.items]
    return found


# One resource's statuses in consecutive nightly runs (one day apart, the last on T0) -> the lists it is in.
# aml-cheat-sheet (no URL) is always "verify a pending URL"; it is left out of the expectations.
SCENARIOS = {
    "healthy": (["ok", "ok"], {}),
    "first failure is not broken (flaky is not dead)": (
        ["ok", "timeout"],
        {"change:newly-failing": [RID], "watch:failing": [RID]},
    ),
    "second failure in a row breaks it": (
        ["ok", "broken", "broken"],
        {"change:newly-broken": [RID], "todo:fix-url": [RID]},
    ),
    "still broken is not news": (["broken", "broken", "broken"], {"todo:fix-url": [RID]}),
    "recovered": (["broken", "broken", "ok"], {"change:recovered": [RID]}),
    "recovered from one failure": (["ok", "server_error", "ok"], {"change:recovered": [RID]}),
    "moved": (["ok", "redirected"], {"change:moved": [RID], "todo:update-moved-url": [RID]}),
    "still moved": (["redirected", "redirected"], {"todo:update-moved-url": [RID]}),
    "newly paywalled": (["ok", "paywalled"], {"change:newly-paywalled": [RID], "watch:failing": [RID]}),
    "paywalled for good: retire": (["paywalled", "paywalled"], {"todo:retire": [RID]}),
    "blocked robots": (["ok", "blocked"], {"todo:look-at-blocking-site": [RID]}),
    "blocked keeps a streak but says nothing new": (
        ["broken", "blocked"],
        {"todo:look-at-blocking-site": [RID]},
    ),
    "dead for over a month: retire": (["broken"] * 32, {"todo:retire": [RID]}),
}


@pytest.mark.parametrize(("history", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_changes_and_needs_a_human(tmp_path: Path, history: list[str], expected: dict) -> None:
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    for n, status in enumerate(history):
        record_run(engine, catalogue, T0 - days(len(history) - 1 - n), {RID: status})
    report = build_health_report(catalogue, engine, catalogue.config)
    found = groups(report)
    assert found.pop("todo:verify-pending-url") == ["aml-cheat-sheet"]
    assert found == expected
    assert report.inconclusive is False
    assert report.latest_run.id == len(history)


# A resource's status history -> the "needs a human" group it is in, and the quality rule that governs it.
GOVERNED = {
    "broken: dead": (["broken", "broken"], "fix-url", "dead"),
    "paywalled for good: not-free": (["paywalled", "paywalled"], "retire", "not-free"),
    "moved: moved": (["redirected"], "update-moved-url", "moved"),
}


@pytest.mark.parametrize(("history", "group", "rule"), GOVERNED.values(), ids=GOVERNED.keys())
@pytest.mark.parametrize("how", ["rule off", "waived by the resource"])
def test_a_rule_that_is_off_or_waived_lists_nothing_to_do(
    tmp_path: Path, history: list[str], group: str, rule: str, how: str
) -> None:
    """Severities decide what needs a human (so the nightly exit code); blocked sites are always listed."""
    if how == "rule off":
        off = {rule: QualityRule(severity="off"), "awaiting-url": QualityRule(severity="off")}
        catalogue = make_catalogue(config=Config(quality=off))
    else:
        resources = tuple(
            replace(r, quality_exceptions={rule: "kept on purpose"}) if r.id == RID else r
            for r in default_resources()
        )
        catalogue = make_catalogue(resources)
    engine = make_store(tmp_path, catalogue)
    for n, status in enumerate(history):
        record_run(engine, catalogue, T0 - days(len(history) - 1 - n), {RID: status})
    found = groups(build_health_report(catalogue, engine, catalogue.config))
    found.pop("change:newly-broken", None)
    found.pop("change:moved", None)
    assert f"todo:{group}" not in found
    assert found == ({} if how == "rule off" else {"todo:verify-pending-url": ["aml-cheat-sheet"]})
    record_run(engine, catalogue, T0 + days(1), {RID: "blocked"})
    found = groups(build_health_report(catalogue, engine, catalogue.config))
    assert found["todo:look-at-blocking-site"] == [RID]


def test_broken_after_is_tunable(tmp_path: Path) -> None:
    catalogue = make_catalogue(config=Config(check=CheckConfig(broken_after=3)))
    engine = make_store(tmp_path, catalogue)
    for n in range(2):
        record_run(engine, catalogue, T0 + days(n), {RID: "broken"})
    report = build_health_report(catalogue, engine)
    assert groups(report)["watch:failing"] == [RID]
    assert report.broken == 0 and not report.has_problems
    record_run(engine, catalogue, T0 + days(2), {RID: "broken"})
    report = build_health_report(catalogue, engine)
    assert groups(report)["change:newly-broken"] == [RID]
    assert report.broken == 1 and report.has_problems


def record_outage(engine: Engine, catalogue: Catalogue, note: str) -> None:
    """A run at T0 concluded inconclusive: RID timed out at network level (the network was down)."""
    record_run(
        engine,
        catalogue,
        T0,
        {RID: outcome(URL, "timeout", network_failure=True)},
        conclusion="inconclusive",
        note=note,
    )


def test_inconclusive_latest_run_says_so_and_shows_the_last_known_health(tmp_path: Path) -> None:
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    record_run(engine, catalogue, T0 - days(2), {RID: "ok"})
    record_run(engine, catalogue, T0 - days(1), {RID: "timeout"})
    record_outage(engine, catalogue, "3 of 3 hosts failed at network level: the network looks down")
    report = build_health_report(catalogue, engine)
    assert report.inconclusive
    assert report.latest_run.conclusion == "inconclusive"
    # The last known health is the conclusive run's: failing once, not broken by the network outage; the
    # changes are those of the latest conclusive run.
    assert groups(report) == {
        "todo:verify-pending-url": ["aml-cheat-sheet"],
        "watch:failing": [RID],
        "change:newly-failing": [RID],
    }
    assert report.broken == 0
    text = render_reports(report)["health.md"]
    assert text.startswith(
        "<!-- roadmap-health-report -->\n# Link health report\n\n> [!WARNING]\n"
        "> **The latest run was inconclusive**: 3 of 3 hosts failed at network level: "
        "the network looks down.\n"
        "> It changed nothing: below is the last known health, from the latest conclusive run (#2).\n"
    )
    assert "**Latest run:** #3 (nightly, inconclusive)" in text
    html = render_reports(report)["index.html"]
    assert 'id="inconclusive"' in html
    assert "It changed nothing: below is the health from the latest conclusive run, #2 of" in html
    # The timeline draws the network-down night apart ("?": not judged), never as a failing cell.
    page = page_data(report)
    [row] = [r for r in page["rows"] if r[0] == RID]
    codes = {s: chr(ord("a") + i) for i, s in enumerate(page["statuses"])}
    assert row[10] == codes["ok"] + codes["timeout"] + "?"
    assert [run[2] for run in page["runs"]] == ["complete", "complete", "inconclusive"]
    # health.json: the run's counts and the resource's history name no failing status for that night.
    data = json.loads(render_reports(report)["health.json"])
    assert data["latest_run"]["counts"] == {NOT_JUDGED: 1}
    assert [r["history"] for r in data["resources"] if r["id"] == RID] == [["ok", "timeout", NOT_JUDGED]]


def test_no_conclusive_run_claims_no_known_health(tmp_path: Path) -> None:
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    record_outage(engine, catalogue, "the network looks down")
    report = build_health_report(catalogue, engine)
    assert report.inconclusive and report.conclusive_run is None
    files = render_reports(report)
    for name in ("health.md", "index.html"):
        assert "last known health" not in files[name]
        assert "No run has concluded yet, so no link's health is known." in files[name]


def test_an_interrupted_run_judges_no_network_failure_on_any_report(tmp_path: Path) -> None:
    """SIGTERM after a dead-looking host: its network-level failures are kept as history, not applied."""
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    record_run(engine, catalogue, T0 - days(1), {RID: "ok"})
    refused = outcome(URL, "broken", http_status=None, network_failure=True, error_class="connect")
    record_run(engine, catalogue, T0, {RID: refused}, conclusion="interrupted", note="interrupted")
    report = build_health_report(catalogue, engine)
    assert report.latest_run.counts == {NOT_JUDGED: 1}
    assert groups(report) == {"todo:verify-pending-url": ["aml-cheat-sheet"]}  # not failing, not broken
    rendered = render_reports(report)
    data = json.loads(rendered["health.json"])
    assert {r["id"]: (r["state"], r["status"], r["history"]) for r in data["resources"]}[RID] == (
        "ok",
        "ok",
        ["ok", NOT_JUDGED],
    )
    [row] = [r for r in page_data(report)["rows"] if r[0] == RID]
    assert row[10].endswith("?")  # drawn as not judged on the status page
    for name in ("health.md", "health.json", "quality.md"):
        assert "broken (" not in rendered[name] and '"broken"' not in rendered[name], name
    # The status page's data lists every status name once (its legend); no row is failing or broken.
    states = [s for s, _, _ in page_data(report)["states"]]
    assert {states[r[4]] for r in page_data(report)["rows"]} <= {"ok", "pending", "unchecked"}
    assert "broken (" not in rendered["index.html"]


def test_inconclusive_note_from_the_caller(tmp_path: Path) -> None:
    catalogue = make_catalogue()
    report = build_health_report(catalogue, HealthData({}), inconclusive_note="the network is down")
    assert report.inconclusive and report.latest_run is None
    text = render_reports(report)["health.md"]
    assert "> **The latest run was inconclusive**: the network is down.\n" in text
    assert "**No check has run yet.**" in text


def test_health_md_works_as_an_issue_body(tmp_path: Path) -> None:
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    evidence = (Evidence("http-404", "the server answered 404 Not Found"),)
    record_run(engine, catalogue, T0 - days(1), {RID: outcome(URL, "broken", evidence=evidence)})
    record_run(
        engine,
        catalogue,
        T0,
        {
            RID: outcome(URL, "broken", evidence=evidence),
            "micrograd": outcome(
                "https://example.org/micrograd",
                "redirected",
                final_url="https://github.com/karpathy/micrograd",
                redirect_chain=(
                    Hop("https://example.org/micrograd", 301, "https://github.com/karpathy/micrograd"),
                ),
            ),
        },
    )
    report = build_health_report(catalogue, engine)
    text = render_reports(report)["health.md"]
    assert (
        "- [ ] [3Blue1Brown: Essence of Calculus](https://example.org/essence-of-calculus) · "
        "Stage 2 — Calculus & Optimisation · `catalogue/resources/essence-of-calculus.yaml` — "
        "broken (HTTP 404) in 2 runs in a row, since 2026-11-19 — "
        "http-404: the server answered 404 Not Found\n"
    ) in text
    assert "### Update a moved URL (1)\n\nRun `roadmap fix redirects`" in text
    assert "moved for good to https://github.com/karpathy/micrograd (HTTP 301)" in text
    assert "## Quality bar\n\n1 error, " in text
    assert len(text) < 65536
    # Sections in a fixed order, whatever is in them.
    order = ["## What changed", "## Needs a human", "## Quality bar"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)


def test_long_lists_are_cut_for_the_issue_body(tmp_path: Path) -> None:
    from pipeline.publish.reports import ISSUE_LIST_LIMIT
    from tests.factory import resource

    many = tuple(resource(f"r-{n:03d}", position=n) for n in range(ISSUE_LIST_LIMIT + 7))
    catalogue = make_catalogue(many)
    engine = make_store(tmp_path, catalogue)
    for n in range(2):
        record_run(engine, catalogue, T0 + days(n), {r.id: "broken" for r in many})
    report = build_health_report(catalogue, engine)
    text = render_reports(report)["health.md"]
    assert text.count("- [ ] ") == ISSUE_LIST_LIMIT
    assert "- … and 7 more (see `reports/health.json`)" in text
    assert len(json.loads(render_reports(report)["health.json"])["needs_human"][0]["items"]) == len(many)


def test_reports_are_deterministic_and_health_json_is_complete(tmp_path: Path) -> None:
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    record_run(engine, catalogue, T0 - days(1), {RID: "ok", "micrograd": "ok"})
    record_run(engine, catalogue, T0, {RID: "timeout", "micrograd": "ok"})
    out = tmp_path / "reports"
    written = write_reports(build_health_report(catalogue, engine), out)
    assert [p.name for p in written] == [
        "health.md",
        "quality.md",
        "health.json",
        "index.html",
        "changes.md",
        "changes.atom",
    ]
    first = {p.name: p.read_bytes() for p in written}
    write_reports(build_health_report(catalogue, engine), out)
    assert {p.name: p.read_bytes() for p in written} == first
    document = json.loads(first["health.json"])
    assert document["report_version"] == "1.2.0"
    assert document["generated_at"] == "2026-11-20T03:00:00Z"
    assert document["states"] == {"failing": 1, "ok": 1, "pending": 1, "unchecked": 8}
    assert document["changes"][1] == {
        "id": "newly-failing",
        "title": "Started failing (not broken yet)",
        "todo": "",
        "count": 1,
        "items": [
            {
                "id": RID,
                "title": "3Blue1Brown: Essence of Calculus",
                "section": "Stage 2 — Calculus & Optimisation",
                "url": URL,
                "file": f"catalogue/resources/{RID}.yaml",
                "detail": "timeout (HTTP 404) in 1 run in a row, since 2026-11-20",
            }
        ],
    }
    by_id = {r["id"]: r for r in document["resources"]}
    assert by_id[RID]["history"] == ["ok", "timeout"]
    assert by_id["tensorflow-playground"]["history"] == [None, None]
    assert [f["rule"] for f in document["quality"]["findings"] if f["severity"] == "error"] == []


def test_quality_md_groups_findings_by_rule() -> None:
    report = build_health_report(make_catalogue(), HealthData({}))
    text = render_reports(report)["quality.md"]
    assert "| `awaiting-url` | warning | 1 |" in text
    assert "## `not-visual` (warning)\n" in text
    assert "- `catalogue/resources/cs229.yaml` (cs229) — medium 'lecture-notes' is not visual" in text
    assert "micrograd.yaml" not in text  # its exception is recorded


def test_timeline_cells_escape_nothing_dangerous(tmp_path: Path) -> None:
    from tests.factory import resource

    catalogue = make_catalogue((resource("xss", title="<script>alert(1)</script>"),))
    report = build_health_report(catalogue, HealthData({}))
    html = render_reports(report)["index.html"]
    assert "<script>alert(1)" not in html
    # The table's data is JSON in one <script type="application/json">: "<" is escaped there, so no title
    # can close the element; the page's script escapes it again when it renders the row.
    assert '"\\u003cscript>alert(1)\\u003c/script>"' in html


@pytest.mark.parametrize(
    ("ms", "packed"), [(None, ".."), (0, "00"), (4, "00"), (200, "0k"), (1234, "1X"), (10**9, "__")]
)
def test_response_times_pack_into_two_characters(ms: int | None, packed: str) -> None:
    from pipeline.publish.status_page import MS_ALPHABET, MS_UNIT, pack_ms

    assert pack_ms(ms) == packed
    if ms is not None and ms < 40_000:
        units = MS_ALPHABET.index(packed[0]) * 64 + MS_ALPHABET.index(packed[1])
        assert abs(units * MS_UNIT - ms) <= MS_UNIT / 2


def test_a_part_without_a_heading_is_filed_under_the_heading_above_it(tmp_path: Path) -> None:
    """An imported list's second table under one heading is a section part (heading: false): the status
    page offers the heading once, and files the part's rows under it."""
    from tests.factory import catalogue, resource, section

    first = section("tools", 1, kind="collection")
    part = section("tools-2", 2, kind="collection", title=first.title, heading=False)
    other = section("books", 3, kind="collection")
    cat = catalogue(
        [resource("vim", "tools"), resource("emacs", "tools-2"), resource("sicp", "books")],
        sections=(first, part, other),
    )
    report = build_health_report(cat, make_store(tmp_path, cat))
    assert [sid for sid, _ in report.sections] == ["tools", "books"]
    page = page_data(report)
    assert {row[0]: page["sections"][row[3]][0] for row in page["rows"]} == {
        "vim": "tools",
        "emacs": "tools",
        "sicp": "books",
    }
    document = json.loads(render_reports(report)["health.json"])
    assert {r["id"]: r["section"] for r in document["resources"]}["emacs"] == "tools-2"  # the catalogue's
