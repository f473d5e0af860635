"""`roadmap check` takes the run lock, starts its crawl, and opens the store in a thread once the first
requests are out: the run is recorded as before, and a store it cannot take stops it with the store's
one-line error, recording nothing."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pipeline import checkrun
from pipeline.checkrun import CheckJob, CheckReport, check
from pipeline.errors import CatalogueError
from pipeline.lock import run_lock
from pipeline.validate import run as validate_run
from tests.cli import roadmap
from tests.conftest import REPO
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


URLS = {f"r-{i:02}": f"https://h{i % 4}.example/r-{i:02}" for i in range(12)}  # 4 hosts


def check_noting(tmp_path: Path, note: Callable[[httpx.Request], object]) -> CheckReport:
    """`roadmap check` of the catalogue in tmp_path into tmp_path/r.db; note(request) on every request."""

    def handler(request: httpx.Request) -> httpx.Response:
        note(request)
        return fine_page(request)

    job = CheckJob(tmp_path / "catalogue", f"sqlite:///{tmp_path / 'r.db'}")
    return check(job, transport=httpx.MockTransport(handler))


def test_the_first_requests_go_out_before_the_catalogue_is_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalogue(tmp_path, URLS)
    built = counting_files(monkeypatch)
    at_request: list[int] = []
    report = check_noting(tmp_path, lambda _request: at_request.append(built[0]))
    assert at_request[0] < len(URLS)  # files were still being validated
    assert report.run.conclusion == "complete" and report.run.checked == len(URLS)
    assert list(report.outcomes) == sorted(URLS)  # in catalogue order, as before


def test_what_validation_builds_during_a_run_is_frozen_as_it_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue lives as long as the run: as the files are validated (beside the crawl) their objects
    join those frozen out of the collector's sight at the run's start, and all are unfrozen after it."""
    write_catalogue(tmp_path, URLS)
    counting_files(monkeypatch)
    monkeypatch.setattr(checkrun, "FREEZE_EVERY", 4)
    frozen: list[int] = []  # objects frozen, at each request
    report = check_noting(tmp_path, lambda _request: frozen.append(gc.get_freeze_count()))
    assert report.run.conclusion == "complete" and report.run.checked == len(URLS)
    # Only a freeze adds to the frozen objects (freed ones leave them): more were frozen as files were read.
    assert max(frozen) > frozen[0]
    assert gc.get_freeze_count() == 0


def test_the_store_is_opened_once_the_first_requests_are_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its thread's work (imports, migrations, sync) would compete with the crawl's start for the
    interpreter: it waits until every host's first request is out."""
    write_catalogue(tmp_path, URLS)
    hosts_asked: list[str] = []
    at_first_request: list[tuple[bool, bool]] = []
    events: list[str] = []
    opened_store, begin = checkrun._opened_store, checkrun.StoreOpening.begin
    store_opening = threading.Event()

    def opening(*args: object) -> object:
        events.append(f"store opened, {len(hosts_asked)} hosts asked")
        store_opening.set()
        return opened_store(*args)  # type: ignore[arg-type]

    def beginning(self: checkrun.StoreOpening) -> None:
        events.append(f"begin, {len(hosts_asked)} hosts asked")
        begin(self)

    monkeypatch.setattr(checkrun, "_opened_store", opening)
    monkeypatch.setattr(checkrun.StoreOpening, "begin", beginning)

    def note(request: httpx.Request) -> None:
        if request.url.host not in hosts_asked:
            if not hosts_asked:  # the store's thread gets its chance: an ungated one opens the store now
                store_opening.wait(timeout=0.3)
            hosts_asked.append(request.url.host)
            at_first_request.append(((tmp_path / "r.db.lock").exists(), (tmp_path / "r.db").exists()))

    report = check_noting(tmp_path, note)
    # At each of the four hosts' first requests: the lock was taken, the database not created yet.
    assert at_first_request == [(True, False)] * 4
    assert events[:2] == ["begin, 4 hosts asked", "store opened, 4 hosts asked"]
    assert report.run.conclusion == "complete" and report.run.checked == len(URLS)


def test_the_stores_modules_are_imported_once_every_file_is_validated(tmp_path: Path) -> None:
    """Their import (a second of CPU holding the interpreter's lock) made validating the files beside it
    several times slower, and the crawl waits for them: the store's thread waits for the validated
    catalogue first. A fresh interpreter, where SQLAlchemy is not imported yet; whether it is when the
    last file is found valid is printed."""
    write_catalogue(tmp_path, {f"r-{i:03}": f"https://h{i}.example/r-{i:03}" for i in range(120)})
    code = (
        "import sys, httpx\n"
        "from pathlib import Path\n"
        "from pipeline.validate import load\n"
        "from pipeline.checkrun import CheckJob, check\n"
        "valid = load._valid\n"
        "def noted(*args):\n"
        "    print('store imported when valid:', 'sqlalchemy' in sys.modules)\n"
        "    return valid(*args)\n"
        "from tests.test_check_store import fine_page\n"
        "load._valid = noted\n"
        "job = CheckJob(Path(sys.argv[1]) / 'catalogue', f'sqlite:///{sys.argv[1]}/r.db')\n"
        "report = check(job, transport=httpx.MockTransport(fine_page))\n"
        "print(report.run.conclusion, report.run.checked)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["store imported when valid: False", "complete 120"]


def test_an_invalid_file_stops_the_crawl_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = write_catalogue(tmp_path, URLS) / "resources" / "r-05.yaml"
    broken.write_text(broken.read_text().replace("position: 60", "position: sixty"))
    counting_files(monkeypatch)
    requested: list[str] = []
    with pytest.raises(CatalogueError, match=r"r-05\.yaml"):
        check_noting(tmp_path, lambda request: requested.append(request.url.path))
    assert not (tmp_path / "r.db").exists()  # the store is opened only for a valid catalogue
    assert not {f"/r-{i:02}" for i in range(6, 12)} & set(requested)  # nothing after the bad file


def test_a_stop_while_files_are_validated_keeps_the_run_and_the_whole_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalogue(tmp_path, URLS)
    built = counting_files(monkeypatch)
    stopped_at: list[int] = []

    def press_ctrl_c(_request: httpx.Request) -> None:
        if not stopped_at:
            stopped_at.append(built[0])
            os.kill(os.getpid(), signal.SIGINT)  # a person presses Ctrl-C

    report = check_noting(tmp_path, press_ctrl_c)
    assert stopped_at[0] < len(URLS)
    assert report.interrupted and report.run.conclusion == "interrupted"
    assert query(tmp_path / "r.db", "SELECT count(*) FROM resource") == [(len(URLS),)]  # synced all the same
