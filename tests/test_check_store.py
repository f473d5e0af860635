"""`roadmap check` opens the store in a thread while the crawl starts: the run is recorded as before, and a
store it cannot take stops it with the store's one-line error, recording nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pipeline import checkrun
from pipeline.checkrun import CheckJob, check
from pipeline.errors import CatalogueError
from pipeline.lock import run_lock
from pipeline.validate import run as validate_run
from tests.cli import roadmap
from tests.crawl.helpers import html
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import query, serve_ok, server, write_catalogue

__all__ = ["server"]  # the fixture


def test_the_run_is_recorded_and_begins_when_its_crawl_does(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir = write_catalogue(
        tmp_path, {"alpha": serve_ok(server, "alpha"), "beta": serve_ok(server, "beta")}
    )
    database = tmp_path / "r.db"
    args = ("check", "--catalogue", str(catalogue_dir), "--database", f"sqlite:///{database}")
    code, out, err = roadmap(capsys, *args, "--allow-private-addresses")
    assert code == 0, err
    assert "checked 2 resources: 2 ok" in out
    [(run_id, started, outcome, checked)] = query(
        database, "SELECT id, started_at, outcome, checked FROM check_run"
    )
    assert (outcome, checked) == ("complete", 2)
    times = query(database, "SELECT checked_at FROM check_result WHERE run_id = ?", run_id)
    assert len(times) == 2 and all(at >= started for (at,) in times)  # no result before its run began


def test_a_store_held_by_another_run_stops_the_check_and_records_nothing(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir = write_catalogue(tmp_path, {"alpha": serve_ok(server, "alpha")})
    database = tmp_path / "r.db"
    url = f"sqlite:///{database}"
    with run_lock(url, command="roadmap nightly"):
        code, out, err = roadmap(capsys, "check", "--catalogue", str(catalogue_dir), "--database", url)
    assert code == 2
    assert (
        err.startswith("roadmap: error: ") and "in use by another run" in err and len(err.splitlines()) == 1
    )
    assert out == ""
    assert not database.exists()  # not even created: the lock is taken before the store is opened


def test_the_program_exits_with_its_commands_status(tmp_path: Path) -> None:
    """`python -m pipeline` (and the `roadmap` script) leave at once after the command: same status and
    output as main()."""
    ok = subprocess.run(
        [sys.executable, "-m", "pipeline", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (ok.returncode, ok.stdout.strip()) == (0, "roadmap, version 0.1.0")
    missing = tmp_path / "nowhere"
    bad = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", "--catalogue", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr


# --- the crawl starts while the catalogue is validated ------------------------------------------------


def fine_page(request: httpx.Request) -> httpx.Response:
    if "roadmap-linkcheck" in request.url.path:
        return httpx.Response(404)
    return httpx.Response(200, html=html(f"Notes on {request.url.path}"))


def counting_files(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Validation takes a turn with the crawl after every file; the count of resources built so far."""
    built = [0]
    original = validate_run.build_resource

    def build(*args: object) -> object:
        built[0] += 1
        return original(*args)

    monkeypatch.setattr(validate_run, "build_resource", build)
    monkeypatch.setattr(checkrun, "LOAD_SLICE_S", 0.0)
    return built


def test_the_first_requests_go_out_before_the_catalogue_is_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {f"r-{i:02}": f"https://h{i % 4}.example/r-{i:02}" for i in range(12)}
    catalogue_dir = write_catalogue(tmp_path, urls)
    built = counting_files(monkeypatch)
    at_first_request: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        at_first_request.append(built[0])
        return fine_page(request)

    job = CheckJob(catalogue_dir, f"sqlite:///{tmp_path / 'r.db'}")
    report = check(job, transport=httpx.MockTransport(handler))
    assert at_first_request[0] < len(urls)  # files were still being validated
    assert report.run.conclusion == "complete" and report.run.checked == len(urls)
    assert list(report.outcomes) == sorted(urls)  # in catalogue order, as before


def test_an_invalid_file_stops_the_crawl_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {f"r-{i:02}": f"https://h{i % 4}.example/r-{i:02}" for i in range(12)}
    catalogue_dir = write_catalogue(tmp_path, urls)
    broken = catalogue_dir / "resources" / "r-05.yaml"
    broken.write_text(broken.read_text().replace("position: 60", "position: sixty"))
    counting_files(monkeypatch)
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        return fine_page(request)

    database = tmp_path / "r.db"
    with pytest.raises(CatalogueError, match=r"r-05\.yaml"):
        check(CheckJob(catalogue_dir, f"sqlite:///{database}"), transport=httpx.MockTransport(handler))
    assert not database.exists()  # the store is opened only for a valid catalogue
    assert not {f"/r-{i:02}" for i in range(6, 12)} & set(requested)  # nothing after the bad file


def test_a_stop_while_files_are_validated_keeps_the_run_and_the_whole_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {f"r-{i:02}": f"https://h{i % 4}.example/r-{i:02}" for i in range(12)}
    catalogue_dir = write_catalogue(tmp_path, urls)
    built = counting_files(monkeypatch)
    stopped_at: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not stopped_at:
            stopped_at.append(built[0])
            os.kill(os.getpid(), signal.SIGINT)  # a person presses Ctrl-C
        return fine_page(request)

    database = tmp_path / "r.db"
    report = check(CheckJob(catalogue_dir, f"sqlite:///{database}"), transport=httpx.MockTransport(handler))
    assert stopped_at[0] < len(urls)
    assert report.interrupted and report.run.conclusion == "interrupted"
    assert query(database, "SELECT count(*) FROM resource") == [(len(urls),)]  # synced all the same
