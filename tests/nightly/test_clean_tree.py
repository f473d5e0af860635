"""Issue 10 §5: a nightly that changed nothing leaves the git tree clean; a real change is still written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from tests.cli import roadmap
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import IPS, serve_gone, serve_ok, write_catalogue

NIGHT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def outputs(root: Path) -> dict[str, bytes]:
    """What the nightly job commits, as `git status --porcelain` would compare it: every byte."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for folder in ("exports", "reports")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def nightly(capsys: pytest.CaptureFixture[str], day: int) -> list[str]:
    with time_machine.travel(NIGHT + timedelta(days=day), tick=True):
        code, out, err = roadmap(capsys, "nightly", "--allow-private-addresses", "--all")
    assert err == "" and code in (0, 1), out
    return out.splitlines()


def test_a_night_that_changed_nothing_writes_nothing(
    server: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    urls = {rid: serve_ok(server, rid, ip) for rid, ip in zip(("alpha", "beta", "gamma"), IPS, strict=True)}
    catalogue = write_catalogue(tmp_path, urls)
    nightly(capsys, 0)
    nightly(capsys, 1)  # the first run with a previous run: health.md names it from now on
    committed = outputs(tmp_path)
    assert len(committed) == 8  # 2 exports; health.md, .json, quality.md, index.html, changes.md, .atom

    # Two more nights, every link checked again, the clock a day later each time: nothing changed.
    for day in (2, 3):
        lines = nightly(capsys, day)
        assert "Exports: exports/README.md (unchanged), exports/roadmap.json (unchanged)" in lines
        assert outputs(tmp_path) == committed
    # The kept files are not stale for `export --check` either (a stamp alone is not a change).
    with time_machine.travel(NIGHT + timedelta(days=3, hours=1), tick=True):
        assert roadmap(capsys, "export", "--check", "--catalogue", str(catalogue))[0] == 0

    # A real change is written, stamps and all.
    serve_gone(server, "beta", IPS[1])
    lines = nightly(capsys, 4)
    assert "Exports: exports/README.md (updated), exports/roadmap.json (updated)" in lines
    now = outputs(tmp_path)
    assert {name for name in now if now[name] != committed[name]} == {
        "exports/README.md",
        "exports/roadmap.json",
        "reports/health.json",
        "reports/health.md",
        "reports/index.html",
    }
    assert b'"generated_at": "2026-11-29T03:' in now["exports/roadmap.json"]
