"""`roadmap nightly`: the whole job against real loopback servers and a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from pipeline.lock import run_lock
from pipeline.nightly import NightlyRequest, run_nightly
from tests.cli import roadmap
from tests.conftest import REPO
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import IPS, NIGHT, query, serve_gone, serve_ok, write_catalogue

REPORTS = (
    "Reports: reports/health.md, reports/quality.md, reports/health.json, reports/index.html, "
    "reports/changes.md, reports/changes.atom"
)


@pytest.fixture
def three(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """alpha and gamma are fine, beta is gone (404); each on its own host. Works in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    return write_catalogue(
        tmp_path,
        {
            "alpha": serve_ok(server, "alpha", IPS[0]),
            "beta": serve_gone(server, "beta", IPS[1]),
            "gamma": serve_ok(server, "gamma", IPS[2]),
        },
    )


def nightly(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return roadmap(capsys, "nightly", "--allow-private-addresses", *extra)


def test_fresh_clone_first_and_second_night(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (tmp_path / "roadmap.db").exists()
    with time_machine.travel(NIGHT, tick=True):
        code, out, err = nightly(capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "roadmap nightly: healthy; failing but not broken yet (flaky is not dead): beta",
        "Catalogue: 3 added since the last sync.",
        "Checked: 3 of 3 due resources (run #1, complete): 2 ok, 1 broken.",
        "Changed: Started failing (not broken yet): beta.",
        "Needs a human: nothing.",
        REPORTS,
        "Exports: exports/README.md (updated), exports/roadmap.json (updated)",
    ]
    assert (tmp_path / "roadmap.db").is_file()  # created through the migrations, beside the catalogue
    with time_machine.travel(NIGHT + timedelta(days=1), tick=True):
        code, out, err = nightly(capsys)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "roadmap nightly: problems found: 1 resource needs a human, 1 quality error",
        "Catalogue: no changes since the last sync.",
        "Checked: 1 of 1 due resource (run #2, complete): 1 broken.",
        "Changed: Newly broken: beta.",
        "Needs a human (1 resource):",
        "  Fix the URL — Find where the resource lives now and update `url` in its file.",
        "    - beta — broken (HTTP 404) in 2 runs in a row, since 2026-11-25 — http-404: HTTP 404",
        REPORTS,
        "Exports: exports/README.md (updated), exports/roadmap.json (updated)",
    ]
    health = (tmp_path / "reports" / "health.md").read_text()
    assert "beta" in health
    export = json.loads((tmp_path / "exports" / "roadmap.json").read_text())
    assert {r["id"]: r["health"]["status"] for r in export["resources"]} == {
        "alpha": "ok",
        "beta": "broken",
        "gamma": "ok",
    }
    # The committed exports are what `roadmap export --check` expects: CI's check passes after a night.
    code, out, _ = roadmap(capsys, "export", "--check")
    assert code == 0, out


def test_nothing_due_checks_nothing(
    three: Path, capsys: pytest.CaptureFixture[str], server: LoopbackServer
) -> None:
    with time_machine.travel(NIGHT, tick=False):
        assert nightly(capsys)[0] == 0
    hits = sum(server.stats.hits.values())
    with time_machine.travel(NIGHT + timedelta(hours=1), tick=False):
        code, out, _ = nightly(capsys)
    assert code == 0
    assert "Checked: nothing was due; the next check is due at 2026-11-25T23:00:00Z." in out.splitlines()
    assert sum(server.stats.hits.values()) == hits


def test_checking_budget(three: Path, tmp_path: Path, server: LoopbackServer) -> None:
    """Healthy alpha is not fetched the next night but after its interval; failing beta every night;
    --all fetches everything at once."""
    request = NightlyRequest(catalogue_dir=three, allow_private_addresses=True)

    def night(days: float, **kw: bool) -> dict[str, int]:
        before = {rid: server.hits(f"/{rid}", "GET") for rid in ("alpha", "beta", "gamma")}
        with time_machine.travel(NIGHT + timedelta(days=days), tick=True):
            run_nightly(NightlyRequest(**{**request.__dict__, **kw}))
        return {rid: server.hits(f"/{rid}", "GET") - n for rid, n in before.items()}

    assert night(0) == {"alpha": 1, "beta": 1, "gamma": 1}  # never checked: all due
    assert night(1) == {"alpha": 0, "beta": 1, "gamma": 0}  # healthy: next in 40 h; failing: in 20 h
    assert night(2) == {"alpha": 1, "beta": 1, "gamma": 1}  # 48 h later the healthy ones are due
    for day in (3, 4, 5):  # the interval has grown to 80 h
        assert night(day) == {"alpha": 0, "beta": 1, "gamma": 0}
    assert night(6) == {"alpha": 1, "beta": 1, "gamma": 1}
    assert night(6.5, check_all=True) == {"alpha": 1, "beta": 1, "gamma": 1}
    due = dict(query(tmp_path / "roadmap.db", "SELECT resource_id, next_check_at FROM resource_health"))
    assert due["beta"].startswith("2026-12-02 11:")  # failing: confirmed within min_hours (20 h)
    assert due["alpha"].startswith("2026-12-0")  # healthy: days away


def two_nights_then_no_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[Path, bytes]:
    """Two nights with --all, then the database is gone (a CI runner whose cache expired); returns the
    exports those nights published, which the next night seeds the health from."""
    for day in (0, 1):
        with time_machine.travel(NIGHT + timedelta(days=day), tick=True):
            nightly(capsys, "--all")
    published = {p: p.read_bytes() for p in (tmp_path / "exports").iterdir()}
    for leftover in tmp_path.glob("roadmap.db*"):
        leftover.unlink()
    return published


def test_database_lost_is_rebuilt_without_anything_newly_broken(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], server: LoopbackServer
) -> None:
    """A CI runner whose cache is gone: the committed export seeds the health; streaks continue."""
    published = two_nights_then_no_database(capsys, tmp_path)[tmp_path / "exports" / "roadmap.json"]

    with time_machine.travel(NIGHT + timedelta(days=2), tick=True):
        code, out, _ = nightly(capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[:4] == [
        "roadmap nightly: problems found: 1 resource needs a human, 1 quality error",
        "Catalogue: 3 added since the last sync.",
        "Database: new; the health of 3 resources was restored from exports/roadmap.json.",
        "Checked: 3 of 3 due resources (run #1, complete): 2 ok, 1 broken.",
    ]
    assert lines[4] == "Changed: nothing since the previous run."  # beta is not *newly* broken
    assert "    - beta — broken (HTTP 404) in 3 runs in a row, since 2026-11-25 — http-404: HTTP 404" in lines
    report = json.loads((tmp_path / "reports" / "health.json").read_text())
    assert report["changes"] == [
        {"id": g, "title": t, "todo": "", "count": 0, "items": []}
        for g, t in (
            ("newly-broken", "Newly broken"),
            ("newly-failing", "Started failing (not broken yet)"),
            ("recovered", "Recovered"),
            ("moved", "Moved for good"),
            ("newly-paywalled", "Newly paywalled or behind a sign-in"),
        )
    ]
    assert published != (tmp_path / "exports" / "roadmap.json").read_bytes()  # a new run was recorded


def test_database_lost_and_network_down_changes_no_export(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], server: LoopbackServer
) -> None:
    published = two_nights_then_no_database(capsys, tmp_path)
    server.stop()  # every host now refuses connections: our network, not their links

    with time_machine.travel(NIGHT + timedelta(days=2), tick=True):
        code, out, _ = nightly(capsys)
    assert code == 3
    lines = out.splitlines()
    assert lines[0].startswith("roadmap nightly: inconclusive: the network looks down: 3 of 3 hosts failed")
    assert "Checked: 3 of 3 due resources (run #1, inconclusive)." in lines
    # Seeded from the export: the streak and its start survive; the evidence was not published.
    assert "    - beta — broken (HTTP 404) in 2 runs in a row, since 2026-11-25" in lines
    assert {p: p.read_bytes() for p in (tmp_path / "exports").iterdir()} == published
    report = json.loads((tmp_path / "reports" / "health.json").read_text())
    assert report["inconclusive"] is True
    assert report["states"] == {"broken": 1, "ok": 2}


def test_offline_machine_real_catalogue_ends_inconclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No internet: no name resolves. Inconclusive, reports and exports written, nothing broken."""
    shutil.copytree(REPO / "catalogue", tmp_path / "catalogue")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)

    def no_names(*args: object, **kw: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_names)
    code, out, err = roadmap(capsys, "nightly")
    assert (code, err) == (3, "")
    lines = out.splitlines()
    assert re.fullmatch(
        r"roadmap nightly: inconclusive: the network looks down: (\d+) of \1 hosts failed .*", lines[0]
    )
    assert lines[-2:] == [REPORTS, "Exports: exports/README.md (updated), exports/roadmap.json (updated)"]
    report = json.loads((tmp_path / "reports" / "health.json").read_text())
    assert report["inconclusive"] is True
    assert "broken" not in report["states"] and "failing" not in report["states"]
    assert "inconclusive" in (tmp_path / "reports" / "health.md").read_text().lower()
    export = json.loads((tmp_path / "exports" / "roadmap.json").read_text())
    assert all(r["health"] is None or r["health"]["status"] != "broken" for r in export["resources"])


def test_an_invalid_catalogue_runs_nothing(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (three / "resources" / "alpha.yaml").write_text("id: alpha\n")
    code, out, err = nightly(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("roadmap: error: catalogue/resources/alpha.yaml:")
    assert not (tmp_path / "roadmap.db").exists()
    assert not (tmp_path / "exports").exists() and not (tmp_path / "reports").exists()


def test_a_second_run_is_refused_while_one_holds_the_database(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], server: LoopbackServer
) -> None:
    with run_lock(f"sqlite:///{tmp_path}/roadmap.db", command="roadmap nightly (nightly)") as holder:
        code, out, err = nightly(capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"roadmap: error: {tmp_path}/roadmap.db is in use by another run (pid {os.getpid()}, roadmap nightly "
        f"(nightly), since {holder.since}); wait for it to finish or stop that process "
        f"(lock file: {tmp_path}/roadmap.db.lock)\n"
    )
    assert sum(server.stats.hits.values()) == 0


def test_json_summary(three: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(NIGHT, tick=True):
        code, out, _ = nightly(capsys, "--format", "json")
    document = json.loads(out)
    assert code == document["exit_code"] == 0
    assert document["steps_done"] == ["validate", "migrate", "sync", "check", "report", "export"]
    assert document["run"]["outcome"] == "complete"
    assert document["run"]["counts"] == {"broken": 1, "ok": 2}
    assert document["failing"] == ["beta"]
    assert document["needs_human"] == []
    assert document["reports"][0].endswith("reports/health.md")
    # One run document everywhere: the summary's run is the health report's latest run, plus a message.
    health = json.loads(Path(document["reports"][0]).with_suffix(".json").read_text(encoding="utf-8"))
    assert document["run"] == {**health["latest_run"], "message": document["run"]["message"]}


def test_check_is_refused_while_a_nightly_run_holds_the_database(
    three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], server: LoopbackServer
) -> None:
    with run_lock(f"sqlite:///{tmp_path}/roadmap.db", command="roadmap nightly (scheduled)") as holder:
        code, out, err = roadmap(capsys, "check", "--allow-private-addresses")
    assert (code, out) == (2, "")
    assert err == (
        f"roadmap: error: {tmp_path}/roadmap.db is in use by another run (pid {os.getpid()}, roadmap nightly "
        f"(scheduled), since {holder.since}); wait for it to finish or stop that process "
        f"(lock file: {tmp_path}/roadmap.db.lock)\n"
    )
    assert sum(server.stats.hits.values()) == 0
    code, _, _ = roadmap(capsys, "check", "--allow-private-addresses")  # released: it runs
    assert code == 1


PENDING_HEADLINE = "roadmap nightly: problems found: 1 resource needs a human"
PENDING_LINES = [
    "Needs a human (1 resource):",
    "  Verify a pending URL — Find the canonical URL, check it in a browser, then replace `awaiting_url` with"
    " `url`.",
    "    - pending — awaiting a verified URL: No canonical URL has been verified yet.",
]


@pytest.mark.parametrize(
    ("severity", "code", "headline", "needs_human"),
    [
        # A warning-level item still needs a human: exit 1, so the workflow keeps the one issue open.
        ("warning", 1, PENDING_HEADLINE, PENDING_LINES),
        ("error", 1, PENDING_HEADLINE + ", 1 quality error", PENDING_LINES),
        # The list turned the rule off: nothing is listed or counted.
        ("off", 0, "roadmap nightly: healthy", ["Needs a human: nothing."]),
    ],
    ids=["warning-counts", "error", "rule-off"],
)
def test_a_pending_url_needs_a_human_unless_its_rule_is_off(
    server: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    severity: str,
    code: int,
    headline: str,
    needs_human: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    catalogue = write_catalogue(tmp_path, {"alpha": serve_ok(server, "alpha"), "pending": "PENDING"})
    pending = catalogue / "resources" / "pending.yaml"
    pending.write_text(
        pending.read_text().replace("url: PENDING", "awaiting_url: No canonical URL has been verified yet.")
    )
    config = catalogue / "config.yaml"
    text, n = re.subn(
        r"(?m)^(  awaiting-url:.*\n    severity:) warning", rf"\1 {severity}", config.read_text()
    )
    assert n == 1
    config.write_text(text)
    with time_machine.travel(NIGHT, tick=True):
        got, out, err = nightly(capsys)
    assert (got, err) == (code, "")
    lines = out.splitlines()
    assert lines[0] == headline
    start = next(i for i, line in enumerate(lines) if line.startswith("Needs a human"))
    assert lines[start : start + len(needs_human)] == needs_human
    health = (tmp_path / "reports" / "health.md").read_text()
    assert ("Verify a pending URL" in health) is (code == 1)
