"""Progress for `roadmap nightly` on a terminal, stage by stage: validate, migrate, sync, check (with its
bar), report, export. Nothing when not a terminal (CI, a pipe): the other nightly tests assert an empty
stderr through the real entry point."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine
from rich.console import Console

from pipeline.cli.nightly import STAGE_LABELS, terminal_progress
from pipeline.nightly import STAGES, NightlyRequest, run_nightly
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import IPS, NIGHT, serve_gone, serve_ok, write_catalogue


@pytest.fixture
def two(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    return write_catalogue(
        tmp_path, {"alpha": serve_ok(server, "alpha", IPS[0]), "beta": serve_gone(server, "beta", IPS[1])}
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def stage(self, name: str) -> None:
        self.events.append(("stage", name))

    def checking(self, total: int):
        self.events.append(("checking", total))
        return lambda rid, outcome: self.events.append(("checked", rid))


def test_every_stage_is_announced_in_order(two: Path) -> None:
    recorder = Recorder()
    request = NightlyRequest(catalogue_dir=two, allow_private_addresses=True)
    with time_machine.travel(NIGHT, tick=True):
        result = run_nightly(request, progress=recorder)
    assert result.steps_done == STAGES
    stages = [value for kind, value in recorder.events if kind == "stage"]
    assert stages == list(STAGES)
    check = recorder.events.index(("stage", "check"))
    assert recorder.events[check + 1] == ("checking", 2)
    assert sorted(v for k, v in recorder.events if k == "checked") == ["alpha", "beta"]
    assert recorder.events.index(("stage", "report")) > max(
        i for i, (k, _) in enumerate(recorder.events) if k == "checked"
    )


def test_the_terminal_shows_each_stage_and_the_check_bar(two: Path) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    request = NightlyRequest(catalogue_dir=two, allow_private_addresses=True)
    with time_machine.travel(NIGHT, tick=True), terminal_progress(True, console) as progress:
        run_nightly(request, progress=progress)
    text = screen.getvalue()
    for stage in STAGES:
        assert STAGE_LABELS[stage] in text
    assert "2/2" in text  # the check's bar: resources checked of those due
    assert "✓" in text


def test_no_progress_off_a_terminal() -> None:
    with terminal_progress(False) as progress:
        assert progress is None
