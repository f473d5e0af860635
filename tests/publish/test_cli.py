"""`roadmap export`, `roadmap report` and `roadmap fix redirects`: exit codes and the exact text a user sees.

Each test works on a copy of the real catalogue in tmp_path, with its database beside it (the default)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.status import Status
from pipeline.store.engine import open_store
from pipeline.store.sync import sync_catalogue
from pipeline.validate import load_valid_catalogue
from tests.cli import roadmap
from tests.factory import T0, days, outcome, record_run
from tests.publish.contract import validate

MOVED = "immersive-math"
BROKEN = "seeing-theory"


@pytest.fixture
def repo(tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A list repository: catalogue/ copied from ours; commands run from its top."""
    shutil.copytree(repo_root / "catalogue", tmp_path / "catalogue")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.delenv("ROADMAP_CATALOGUE", raising=False)
    return tmp_path


def checked(repo: Path, runs: list[dict[str, Status | str]]) -> None:
    """Sync the catalogue and record one nightly run per entry (one day apart, the last on T0)."""
    catalogue = load_valid_catalogue(repo / "catalogue")
    engine = open_store(None, repo / "catalogue")
    sync_catalogue(engine, catalogue, now=T0 - days(60))
    for n, results in enumerate(runs):
        record_run(engine, catalogue, T0 - days(len(runs) - 1 - n), results)
    engine.dispose()


def all_ok(repo: Path, **overrides: Status | str) -> dict[str, Status | str]:
    catalogue = load_valid_catalogue(repo / "catalogue")
    return {r.id: overrides.get(r.id, "ok") for r in catalogue.resources if r.url}


def test_export_writes_then_finds_nothing_to_change(capsys, repo: Path) -> None:
    checked(repo, [all_ok(repo)])
    assert roadmap(capsys, "export") == (0, "wrote exports/README.md\nwrote exports/roadmap.json\n", "")
    first = (repo / "exports" / "roadmap.json").read_bytes()
    validate(json.loads(first))
    assert json.loads(first)["generated_at"] == "2026-11-20T03:00:00Z"
    assert roadmap(capsys, "export") == (
        0,
        "unchanged exports/README.md\nunchanged exports/roadmap.json\n",
        "",
    )
    assert (repo / "exports" / "roadmap.json").read_bytes() == first
    assert roadmap(capsys, "export", "--check") == (
        0,
        "exports are up to date: exports/README.md, exports/roadmap.json\n",
        "",
    )


def test_export_check_fails_when_out_of_date(capsys, repo: Path) -> None:
    checked(repo, [all_ok(repo)])
    roadmap(capsys, "export")
    checked_again = all_ok(repo, **{BROKEN: "timeout"})
    engine = open_store(None, repo / "catalogue")
    record_run(engine, load_valid_catalogue(repo / "catalogue"), T0 + days(1), checked_again)
    engine.dispose()
    assert roadmap(capsys, "export", "--check") == (
        1,
        "exports/README.md: out of date — run `roadmap export` and commit the result\n"
        "exports/roadmap.json: out of date — run `roadmap export` and commit the result\n",
        "",
    )
    roadmap(capsys, "export")
    assert "⚠️ link failing since 2026-11-21" in (repo / "exports" / "README.md").read_text()
    validate(json.loads((repo / "exports" / "roadmap.json").read_text()))


def test_export_check_without_a_database_uses_the_published_health(capsys, repo: Path) -> None:
    """A fresh clone in CI has no database: the committed export's health stands, nothing is stale."""
    checked(repo, [all_ok(repo, **{MOVED: "redirected"})])
    roadmap(capsys, "export")
    (repo / "roadmap.db").unlink()
    assert roadmap(capsys, "export", "--check")[0] == 0
    # A contributor's edit to the catalogue does make the export stale (here only the JSON: the README
    # shows no positions, and boxcar2d stays last in its section).
    path = repo / "catalogue" / "resources" / "boxcar2d.yaml"
    path.write_text(path.read_text().replace("position: ", "position: 1"), encoding="utf-8")
    assert roadmap(capsys, "export", "--check") == (
        1,
        "exports/roadmap.json: out of date — run `roadmap export` and commit the result\n",
        "",
    )


def test_export_out_dir(capsys, repo: Path) -> None:
    assert roadmap(capsys, "export", "--out", "site") == (
        0,
        "wrote site/README.md\nwrote site/roadmap.json\n",
        "",
    )
    assert json.loads((repo / "site" / "roadmap.json").read_text())["generated_at"] is None
    assert not (repo / "exports").exists()


def test_export_of_an_invalid_catalogue_is_a_usage_error(capsys, repo: Path) -> None:
    (repo / "catalogue" / "resources" / "boxcar2d.yaml").write_text("id: [\n", encoding="utf-8")
    code, out, err = roadmap(capsys, "export")
    assert (code, out) == (2, "")
    assert err.startswith("roadmap: error: ") and "boxcar2d.yaml" in err


def test_report_healthy_list_exits_0(capsys, repo: Path) -> None:
    checked(repo, [all_ok(repo), all_ok(repo, **{BROKEN: "timeout"})])
    code, out, err = roadmap(capsys, "report")
    assert (code, err) == (0, "")
    assert out == (
        "Latest run #2 (nightly, complete), started 2026-11-20T03:00:00Z: 30 of 30 checked.\n"
        "31 resources: 29 ok, 1 failing, 1 pending.\n"
        "Changes: 1 started failing (not broken yet).\n"
        "Needs a human: 1 verify a pending url.\n"
        "Quality: 0 error(s), 1 warning(s).\n"
        "Wrote reports/health.md, reports/quality.md, reports/health.json, reports/index.html, "
        "reports/changes.md, reports/changes.atom.\n"
    )
    assert (repo / "reports" / "index.html").read_text().startswith("<!doctype html>")


def test_report_with_a_broken_link_exits_1(capsys, repo: Path) -> None:
    checked(repo, [all_ok(repo, **{BROKEN: "broken"}), all_ok(repo, **{BROKEN: "broken"})])
    code, out, _ = roadmap(capsys, "report")
    assert code == 1
    assert "Changes: 1 newly broken.\n" in out
    assert (
        "  catalogue/resources/seeing-theory.yaml: dead: broken, HTTP 404 in 2 consecutive runs, "
        "failing since 2026-11-19 (broken after 2) — Find the resource's new URL and update `url`, "
        "or retire the resource by deleting its file.\n"
    ) in out
    code, out, _ = roadmap(capsys, "report", "--format", "json")
    summary = json.loads(out)
    assert (code, summary["states"]["broken"], summary["needs_human"]["fix-url"]) == (1, 1, 1)
    code, out, _ = roadmap(capsys, "report", "--format", "markdown")
    assert out == (repo / "reports" / "health.md").read_text()


def test_fix_redirects(capsys, repo: Path) -> None:
    path = repo / "catalogue" / "resources" / f"{MOVED}.yaml"
    before = path.read_text()
    old = load_valid_catalogue(repo / "catalogue").resource(MOVED).url
    new = "https://immersivemath.com/ila/"
    results = all_ok(repo)
    results[MOVED] = outcome(old, "redirected", final_url=new)
    checked(repo, [results])
    assert roadmap(capsys, "fix", "redirects", "--dry-run") == (
        0,
        f"catalogue/resources/{MOVED}.yaml: would change url {old} -> {new}\n"
        "1 url(s) would change (dry run: no file written)\n",
        "",
    )
    assert path.read_text() == before
    assert roadmap(capsys, "fix", "redirects") == (
        0,
        f"catalogue/resources/{MOVED}.yaml: changed url {old} -> {new}\n1 url(s) changed\n",
        "",
    )
    assert path.read_text() == before.replace(f"url: {old}\n", f"url: {new}\n")
    assert load_valid_catalogue(repo / "catalogue").resource(MOVED).url == new
    # Until the next check the report still says moved: the fix lists it with the reason.
    assert roadmap(capsys, "fix", "redirects") == (
        0,
        f"catalogue/resources/{MOVED}.yaml: skipped {new}: the catalogue already has this URL "
        "(fixed since the last check)\n0 url(s) changed\n",
        "",
    )


@pytest.mark.parametrize("command", [["export"], ["report"], ["fix"], ["fix", "redirects"]])
def test_help_shows_an_example(capsys, command: list[str]) -> None:
    code, out, _ = roadmap(capsys, *command, "--help")
    assert code == 0
    assert re.search(r"Examples?:\n    roadmap ", out)
