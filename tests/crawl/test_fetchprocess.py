"""The fetcher in a second process (pipeline.crawl.fetchprocess): a real child process against a real
loopback server, its answers equal to the in-process Fetcher's, cancellation, its end, its death; and
`roadmap check` through it from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pipeline.config import CheckConfig, Config
from pipeline.crawl import fetchprocess
from pipeline.crawl.facts import Fetched
from pipeline.crawl.fetch import NOMINAL_EXCHANGE_S, Fetcher
from pipeline.crawl.fetchprocess import FetchProcess
from pipeline.crawl.html import read as html_read
from pipeline.crawl.readers import READ_AWAY_BYTES, reader_count
from pipeline.crawl.remote import RemoteFetcher
from pipeline.errors import FetchProcessError
from tests.cli import roadmap
from tests.conftest import REPO
from tests.crawl.helpers import alive, children, html
from tests.crawl.server import LoopbackServer, redirect, reply, slow

URL = re.compile(r"(?m)^url: .*$")
CONFIG = Config(check=CheckConfig(host_delay_ms=0, retries=0, connect_timeout_s=2, read_timeout_s=5))


def _served(server: LoopbackServer) -> list[str]:
    server.route("/page", reply(200, html("Linear algebra notes", "<p>vectors " * 200)))
    server.route("/old", redirect(server.url("/page")))
    server.route("/gone", reply(404, html("Not found", "<p>no such page")))
    server.route("/refresh", reply(200, '<meta http-equiv="refresh" content="0; url=/page"><p>moved'))
    later = '<meta http-equiv="Refresh" content="600; url=/page"><title>Read first</title><p>a page to read'
    server.route("/later", reply(200, later))
    return [server.url(path) for path in ("/page", "/old", "/gone", "/refresh", "/missing#part", "/later")]


def _facts(fetched):  # what a verdict is made of: everything but the time it took
    response = fetched.response
    return (
        fetched.url,
        fetched.hops,
        fetched.failure,
        None
        if response is None
        else (response.url, response.status, dict(response.headers).get("content-type"), response.body),
    )


@contextlib.asynccontextmanager
async def child_fetcher(process: FetchProcess | None = None) -> AsyncIterator[RemoteFetcher]:
    """A RemoteFetcher on a real child (a new one unless given); afterwards its pipes are closed and the
    child ended."""
    process = process or FetchProcess.spawn()
    remote = RemoteFetcher(CONFIG, process, allow_private=True)
    try:
        yield remote
    finally:
        await remote.aclose()
        process.close()


def test_a_fetch_in_the_child_gives_what_one_in_process_gives() -> None:
    with LoopbackServer(ips=("127.0.0.2",)) as server:
        urls = [*_served(server), "http://127.0.0.2:9/refused"]  # port 9: nothing listens there

        async def both() -> tuple[list, list, float]:
            local = Fetcher(CONFIG, allow_private=True)
            async with local:
                expected = [await local.fetch(url) for url in urls]
            async with child_fetcher() as remote:
                async with remote:
                    got = await asyncio.gather(*(remote.fetch(url) for url in urls))
                async with remote:  # entered again (the repairs after the crawl): the same child
                    got_again = await remote.fetch(urls[0])
            assert remote.process.popen.returncode == 0  # it ended by itself once its pipes closed
            assert _facts(got_again) == _facts(expected[0])
            return expected, list(got), remote.exchange_s

        expected, got, exchange_s = asyncio.run(asyncio.wait_for(both(), 60))
    assert [_facts(f) for f in got] == [_facts(f) for f in expected]
    assert got[1].hops[0].status == 301 and got[2].response.status == 404
    assert got[6].failure is not None and got[6].failure.network
    # A page that cannot hold a meta refresh was not parsed in the child: the parent parses what it judges.
    assert not {"facts", "markup"} & set(vars(got[0].response))
    assert got[0].response.facts.title == "Linear algebra notes"
    # One the child had to parse (a refresh too late to follow) brings its facts, not its markup again.
    later = got[5].response
    assert later.url.endswith("/later") and "facts" in vars(later) and "markup" not in vars(later)
    assert later.facts.title == "Read first" and later.facts.meta_refresh == (600.0, "/page")
    assert exchange_s != NOMINAL_EXCHANGE_S  # the child's own measure of an exchange, for the scheduler


def test_a_long_page_comes_from_the_child_with_its_facts_worked_out_by_a_reader() -> None:
    long = html("Notes at length", '<p id="svd">' + "Singular values and what they measure. " * 1200)
    assert len(long) > READ_AWAY_BYTES
    with LoopbackServer(ips=("127.0.0.2",)) as server:
        server.route("/long", reply(200, long))
        server.route("/short", reply(200, html("Short notes", "<p>vectors")))

        async def run() -> list[Fetched]:
            async with child_fetcher() as remote, remote:
                fetched = [await remote.fetch(server.url(path)) for path in ("/long", "/short")]
                readers = children(remote.process.popen.pid)
                assert len(readers) == reader_count(), readers  # started with the first long page
            # The child waited for its readers before it ended: none of them outlives it.
            assert remote.process.popen.returncode == 0 and not any(alive(pid) for pid in readers)
            return fetched

        long_page, short_page = (fetched.response for fetched in asyncio.run(asyncio.wait_for(run(), 60)))
    assert long_page is not None and short_page is not None
    assert "facts" in vars(long_page) and "markup" not in vars(long_page)  # not parsed here
    assert long_page.facts == html_read(long_page.body or b"", long_page.header("content-type"))
    assert long_page.facts.title == "Notes at length" and "svd" in long_page.facts.anchors
    assert "facts" not in vars(short_page)  # cheaper to parse here than to send away and back


def test_a_cancelled_fetch_is_dropped_and_the_child_goes_on() -> None:
    with LoopbackServer(ips=("127.0.0.2",)) as server:
        server.route("/slow", slow(30, reply(200, html("Late", "<p>late"))))
        server.route("/page", reply(200, html("Soon", "<p>soon")))

        async def run() -> str:
            async with child_fetcher() as remote, remote:
                waiting = asyncio.create_task(remote.fetch(server.url("/slow")))
                while server.hits("/slow") == 0:  # bounded by the wait_for below
                    await asyncio.sleep(0.01)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                fetched = await remote.fetch(server.url("/page"))
                assert not remote._waiting  # nothing left behind for the cancelled one
            return fetched.response.page[1].title

        assert asyncio.run(asyncio.wait_for(run(), 20)) == "Soon"


def test_a_child_that_dies_ends_the_fetches_with_a_clear_error() -> None:
    async def run() -> None:
        async with child_fetcher() as remote:
            async with remote:
                remote.process.popen.kill()
                with pytest.raises(FetchProcessError) as ended:
                    await remote.fetch("http://127.0.0.2:9/")
            assert str(ended.value) == "the run's fetch process ended unexpectedly (killed by SIGKILL)"
            with pytest.raises(FetchProcessError):  # and so does every later one, at once
                await remote.fetch("http://127.0.0.2:9/")

    asyncio.run(asyncio.wait_for(run(), 20))


def test_a_child_that_cannot_start_says_how_to_do_without_it() -> None:
    async def run() -> None:
        broken = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.exit(1)"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        async with child_fetcher(FetchProcess(broken)) as remote:
            with pytest.raises(FetchProcessError) as failed:
                await remote.__aenter__()
        assert str(failed.value) == (
            "the run's fetch process did not start (exit status 1); "
            "`check: fetch_process_from: 0` in config.yaml fetches in one process"
        )

    asyncio.run(asyncio.wait_for(run(), 20))


def test_a_command_starts_the_child_before_importing_asyncio() -> None:
    """Everything `roadmap check` imports before it starts the child is light: asyncio alone took 60 ms
    that the child, and so the run's first request, waited for."""
    code = (
        "import sys, pipeline.cli.check, pipeline.crawl.fetchprocess;"
        "import pipeline.catalogue.layout, pipeline.config;"
        "print(sorted(m for m in ('asyncio', 'pipeline.crawl.remote', 'httpx') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60, check=True
    )
    assert found.stdout.strip() == "[]"


def test_a_folder_named_pipeline_where_the_run_starts_is_not_imported_by_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "__init__.py").write_text("raise ImportError('not the roadmap package')\n")
    monkeypatch.chdir(tmp_path)

    async def run() -> Fetched:
        async with child_fetcher() as remote, remote:
            return await remote.fetch("http://127.0.0.2:9/")  # nothing listens there

    fetched = asyncio.run(asyncio.wait_for(run(), 20))
    assert fetched.failure is not None and fetched.failure.network


def test_a_child_the_system_will_not_start_leaves_the_run_to_fetch_itself(
    served_catalogue: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(fetchprocess.subprocess, "Popen", refused)
    monkeypatch.setattr(fetchprocess, "usable_cores", lambda: 2)
    _fetch_process_from(served_catalogue, 1)
    database = f"sqlite:///{tmp_path}/r.db"
    args = ("--catalogue", str(served_catalogue), "--database", database, "--allow-private-addresses")
    code, out, err = roadmap(capsys, "check", *args)
    assert code == 1, out + err  # the 404, found by the run's own fetcher
    assert re.search(r"(?m)^\S+\s+broken\s+http-404: HTTP 404$", out)


def test_no_child_where_python_cannot_name_its_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "")
    assert FetchProcess.started() is None


def test_wanted_only_for_a_large_run_on_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(check=CheckConfig(fetch_process_from=500))
    monkeypatch.setattr(fetchprocess, "usable_cores", lambda: 2)
    assert fetchprocess.wanted(500, config) and not fetchprocess.wanted(499, config)
    assert not fetchprocess.wanted(10_000, Config(check=CheckConfig(fetch_process_from=0)))
    monkeypatch.setattr(fetchprocess, "usable_cores", lambda: 1)
    assert not fetchprocess.wanted(10_000, config)


@pytest.fixture
def served_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The real catalogue, every URL on a loopback server (one 404, one 301), no politeness gap."""
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "1")
    target = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", target)
    config = target / "config.yaml"
    config.write_text(re.sub(r"(?m)^  host_delay_ms: \d+", "  host_delay_ms: 0", config.read_text()))
    with LoopbackServer(ips=("127.0.0.2", "127.0.0.3")) as server:
        files = sorted((target / "resources").glob("*.yaml"))
        for index, path in enumerate(f for f in files if re.search(r"(?m)^url: ", f.read_text())):
            route = {0: "/gone", 1: "/old"}.get(index, f"/ok/{path.stem}")
            server.route(route, reply(200, html(f"Notes about {path.stem}", f"<p>{path.stem} " * 300)))
            ip = server.ips[index % 2]
            path.write_text(re.sub(r"(?m)^url: .*$", f"url: {server.url(route, ip)}", path.read_text()))
        server.route("/gone", reply(404, html("Not found", "<p>gone")))
        server.route("/old", redirect(server.url("/ok/elsewhere")))
        server.route("/ok/elsewhere", reply(200, html("Moved here", "<p>here " * 300)))
        yield target


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[FetchProcess]:
    """Every fetch process started from now on (real ones), on a machine taken to have two cores."""
    started: list[FetchProcess] = []
    real_spawn = FetchProcess.spawn.__func__  # type: ignore[attr-defined]

    def spawn(cls: type[FetchProcess]) -> FetchProcess:
        started.append(real_spawn(cls))
        return started[-1]

    monkeypatch.setattr(FetchProcess, "spawn", classmethod(spawn))
    monkeypatch.setattr(fetchprocess, "usable_cores", lambda: 2)
    return started


def _fetch_process_from(catalogue_dir: Path, value: int) -> None:
    config = catalogue_dir / "config.yaml"
    text = re.sub(r"(?m)^  fetch_process_from: \d+", f"  fetch_process_from: {value}", config.read_text())
    config.write_text(text)


def test_roadmap_check_through_the_child_says_what_it_says_without_it(
    served_catalogue: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spawned: list[FetchProcess]
) -> None:
    outputs = {}
    for value in (1, 0):  # from one resource on; never
        _fetch_process_from(served_catalogue, value)
        database = f"sqlite:///{tmp_path}/run-{value}.db"
        args = ("--catalogue", str(served_catalogue), "--database", database, "--allow-private-addresses")
        code, out, err = roadmap(capsys, "check", *args)
        assert code == 1, out + err  # the 404
        outputs[value] = out
    assert len(spawned) == 1  # the first run alone fetched in a child
    assert spawned[0].popen.returncode == 0  # and it ended with the run
    assert outputs[1] == outputs[0]
    assert re.search(r"(?m)^\S+\s+broken\s+http-404: HTTP 404$", outputs[1])
    assert re.search(r"(?m)^\S+\s+redirected\s+permanent-redirect: HTTP 301 to \S+/ok/elsewhere", outputs[1])


def test_a_prestarted_child_a_small_run_does_not_want_is_ended(
    served_catalogue: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The command starts a child first when the catalogue has many files; the config says "not for this
    # run" (fetch_process_from above its size): the run fetches itself and the child is ended.
    started: list[FetchProcess] = []
    real_prestart = fetchprocess.prestart

    def prestart(catalogue_dir: Path) -> FetchProcess | None:
        started.append(FetchProcess.spawn())
        assert real_prestart(catalogue_dir) is None  # 30-odd files: too few to start one by itself
        return started[-1]

    monkeypatch.setattr(fetchprocess, "prestart", prestart)
    _fetch_process_from(served_catalogue, 100_000)
    database = f"sqlite:///{tmp_path}/r.db"
    args = ("--catalogue", str(served_catalogue), "--database", database, "--allow-private-addresses")
    code, out, _ = roadmap(capsys, "check", *args)
    assert code == 1
    assert started and started[0].popen.returncode is not None  # ended, not left running
    assert re.search(r"(?m)^\S+\s+broken\s+http-404: HTTP 404$", out)


def test_roadmap_nightly_checks_through_the_child_too(
    served_catalogue: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spawned: list[FetchProcess]
) -> None:
    _fetch_process_from(served_catalogue, 1)
    database = f"sqlite:///{tmp_path}/r.db"
    args = ("--catalogue", str(served_catalogue), "--database", database, "--allow-private-addresses")
    code, out, err = roadmap(capsys, "nightly", "--format", "json", *args)
    assert code == 1, out + err  # the 404 and the 301 need a human
    assert len(spawned) == 1 and spawned[0].popen.returncode == 0
    result = json.loads(out)
    assert result["run"]["outcome"] == "complete" and "check" in result["steps_done"]
    assert len(result["failing"]) == 1  # the 404: failing now, broken after a second run


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_a_killed_run_leaves_no_fetch_process_or_page_reader_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    target = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", target)
    _fetch_process_from(target, 1)
    with LoopbackServer(ips=("127.0.0.2", "127.0.0.3")) as server:
        # A URL of its own for each resource: the same one for all is a duplicate, an invalid catalogue
        # whose run ends as soon as validation meets the second (a race with the first request). The
        # first is a long page on a host of its own, answered at once: a page reader starts for it.
        files = sorted(file for file in (target / "resources").glob("*.yaml") if URL.search(file.read_text()))
        long = html("Long", "<p>vectors and the spaces they span " * 1500)
        paths = [f"/slow/{file.stem}" for file in files]
        urls = [server.route("/long", reply(200, long), ip="127.0.0.3")]
        urls += [server.route(path, slow(30, reply(200, html("Late", "<p>late")))) for path in paths[1:]]
        for file, url in zip(files, urls, strict=True):
            file.write_text(URL.sub(f"url: {url}", file.read_text()))
        command = [sys.executable, "-m", "pipeline", "check", "--catalogue", str(target)]
        command += ["--database", f"sqlite:///{tmp_path}/r.db", "--allow-private-addresses"]
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            started: list[int] = []  # the fetch process, then its page readers
            for _ in range(600):  # the long page was read and the slow ones asked: every process at work
                started = children(run.pid)
                started += [reader for child in started for reader in children(child)]
                asked = any(server.hits(path) for path in paths[1:])
                if (len(started) == 1 + reader_count() and asked) or run.poll() is not None:
                    break
                time.sleep(0.05)
            assert run.poll() is None, run.communicate(timeout=10)[1]
            assert len(started) == 1 + reader_count(), started
            run.kill()
            run.wait(10)
            for _ in range(200):  # the fetch process's stdin closed with the run: it ends, its readers too
                if not any(alive(pid) for pid in started):
                    break
                time.sleep(0.05)
            assert not any(alive(pid) for pid in started)
        finally:
            run.kill()
            run.wait(10)
            run.stderr.close()  # type: ignore[union-attr]
