"""The check run records what the crawl core yields, in batches; the crawl core runs without a database;
one signal mechanism serves check, nightly and schedule."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import Engine, event, func, select

from pipeline.checkrun import CheckRequest, Recorder, check_catalogue
from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.runner import Crawl
from pipeline.errors import StoreError
from pipeline.model import Catalogue
from pipeline.signals import stop_on_signals
from pipeline.status import Outcome, Status
from pipeline.store.models import CheckResult
from pipeline.store.runs import record_results, start_run
from pipeline.store.sync import sync_catalogue
from tests.crawl.helpers import TEST_CHECK, html
from tests.factory import catalogue, resource


def build(n: int) -> Catalogue:
    resources = [
        resource(f"r-{i:02}", position=10 * (i + 1), url=f"https://host{i % 3}.example/{i}") for i in range(n)
    ]
    return replace(catalogue(resources), config=Config(check=TEST_CHECK))


def healthy(request: httpx.Request) -> httpx.Response:
    if "roadmap-linkcheck" in request.url.path:
        return httpx.Response(404)
    return httpx.Response(200, html=html("A fine page"))


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(CheckResult)).scalar_one()


def test_the_crawl_core_yields_every_outcome_without_a_database() -> None:
    cat = build(7)
    config = cat.config

    async def main() -> list[tuple[str, Status]]:
        fetcher = Fetcher(config, transport=httpx.MockTransport(healthy))
        crawl = Crawl(list(cat.resources), config, fetcher)
        return [(r.id, o.status) async for r, o, _ in crawl.results()]

    got = asyncio.run(main())
    assert sorted(got) == [(f"r-{i:02}", Status.OK) for i in range(7)]


def counting_writes(monkeypatch: pytest.MonkeyPatch, fail: int | None = None) -> list[int]:
    """Results per transaction, in the order written; the write number `fail` (1-based) raises."""
    written: list[int] = []

    def counted(engine_: Engine, run_id: int, results: list, recheck: object = None) -> None:
        written.append(len(results))
        if len(written) == fail:
            raise StoreError("the disk is full")
        record_results(engine_, run_id, results, recheck)

    monkeypatch.setattr("pipeline.store.runs.record_results", counted)
    return written


def test_results_are_recorded_in_batches_of_the_given_size(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = build(7)
    sync_catalogue(engine, cat)
    written = counting_writes(monkeypatch)
    report = asyncio.run(
        check_catalogue(engine, cat, CheckRequest(), transport=httpx.MockTransport(healthy), record_batch=3)
    )
    assert written == [3, 3, 1]  # the third and sixth result each complete a batch; the last one is the rest
    assert stored(engine) == report.run.checked == 7 and report.run.conclusion == "complete"


def test_a_result_that_waited_long_enough_is_flushed_with_the_next(engine: Engine) -> None:
    sync_catalogue(engine, build(3))
    now = [0.0]
    recorder = Recorder(engine, start_run(engine, "manual", 3), batch=100, seconds=1.0, clock=lambda: now[0])
    recorder.add("r-00", Outcome("https://host0.example/0", Status.OK))
    now[0] = 0.5
    recorder.add("r-01", Outcome("https://host1.example/1", Status.OK))
    assert len(recorder.pending) == 2 and stored(engine) == 0  # nothing handed over to the writer yet
    now[0] = 1.0
    recorder.add("r-02", Outcome("https://host2.example/2", Status.OK))
    assert recorder.pending == []
    recorder.flush(wait=True)
    recorder.close()
    assert stored(engine) == 3


def test_results_that_waited_for_the_store_are_written_a_batch_at_a_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_catalogue(engine, build(7))
    recorder = Recorder(batch=3)  # the store is still being opened
    for n in range(7):
        recorder.add(f"r-{n:02}", Outcome(f"https://host{n % 3}.example/{n}", Status.OK))
    assert len(recorder.pending) == 7
    written = counting_writes(monkeypatch)
    recorder.begin(engine, start_run(engine, "manual", 7))
    recorder.flush(wait=True)
    recorder.close()
    assert written == [3, 3, 1] and stored(engine) == 7 and recorder.pending == []


def test_the_results_are_written_in_a_thread_while_the_caller_goes_on(engine: Engine) -> None:
    """A batch's SQL never holds up the event loop (and so every host's next request): add() hands the
    batch over and returns while it is being written."""
    sync_catalogue(engine, build(3))
    recorder = Recorder(engine, start_run(engine, "manual", 3), batch=3)
    inserting, go_on = threading.Event(), threading.Event()
    writers: set[str] = set()

    def held(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CHECK_RESULT"):
            writers.add(threading.current_thread().name)
            inserting.set()
            go_on.wait(10)  # bounded: a write on the caller's thread would wait here, then fail below

    event.listen(engine, "before_cursor_execute", held)
    try:
        for n in range(3):
            recorder.add(f"r-{n:02}", Outcome(f"https://host{n}.example/{n}", Status.OK))
        assert inserting.wait(10) and not go_on.is_set()  # add() returned with the insert under way
        assert stored(engine) == 0  # not committed yet
        go_on.set()
        recorder.flush(wait=True)
    finally:
        go_on.set()
        recorder.close()
        event.remove(engine, "before_cursor_execute", held)
    assert stored(engine) == 3
    assert writers and threading.current_thread().name not in writers


def test_a_failed_write_is_raised_and_no_later_batch_is_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_catalogue(engine, build(6))
    recorder = Recorder(engine, start_run(engine, "manual", 6), batch=2)
    written = counting_writes(monkeypatch, fail=1)
    results = [(f"r-{n:02}", Outcome(f"https://host{n % 3}.example/{n}", Status.OK)) for n in range(4)]
    for result in results[:2]:  # a batch: handed over, and its write fails
        recorder.add(*result)
    with pytest.raises(StoreError, match="the disk is full"):
        recorder.flush(wait=True)
    for result in results[2:]:  # the next batch is handed over, and not written
        recorder.add(*result)
    recorder.flush(wait=True)
    recorder.close()
    assert written == [2] and stored(engine) == 0


def test_nested_stop_blocks_share_one_set_of_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    heard: list[str] = []
    with stop_on_signals() as outer:
        installed = signal.getsignal(signal.SIGTERM)
        with stop_on_signals() as inner, inner.listen(heard.append):
            assert inner is outer and signal.getsignal(signal.SIGTERM) is installed
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is installed  # the inner block reset nothing
        assert (outer.signal, heard) == ("SIGTERM", ["SIGTERM"])
    assert signal.getsignal(signal.SIGTERM) is before


def test_held_urls_wait_for_their_answers_while_every_other_host_is_crawled() -> None:
    cat = build(6)  # r-00 and r-03 on host0, the others on host1 and host2
    answered, unanswered = str(cat.resources[0].url), str(cat.resources[3].url)
    renamed = Outcome(url=answered, status=Status.REDIRECTED)
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return healthy(request)

    async def main() -> list[tuple[str, Status]]:
        release = asyncio.Event()

        async def answers() -> dict[str, Outcome]:
            await release.wait()  # the forges answer only once the rest of the list is judged
            return {answered: renamed}

        fetcher = Fetcher(cat.config, transport=httpx.MockTransport(handler))
        crawl = Crawl(list(cat.resources), cat.config, fetcher, held={answered, unanswered}, answers=answers)
        got = []
        async for checked in crawl.results():
            got.append((checked.resource.id, checked.outcome.status))
            if len(got) == 4:
                release.set()
        return got

    got = asyncio.run(main())
    assert sorted(got[:4]) == [(f"r-{i:02}", Status.OK) for i in (1, 2, 4, 5)]  # none waited for the forges
    assert sorted(got[4:]) == [("r-00", Status.REDIRECTED), ("r-03", Status.OK)]
    assert answered not in fetched and unanswered in fetched  # answered: no fetch; unanswered: fetched after


def test_a_stop_while_held_urls_wait_ends_the_crawl_without_them() -> None:
    cat = build(3)
    held = str(cat.resources[0].url)

    async def main() -> list[str]:
        stop = asyncio.Event()

        async def answers() -> dict[str, Outcome]:
            await asyncio.Event().wait()  # never answers
            return {}

        fetcher = Fetcher(cat.config, transport=httpx.MockTransport(healthy))
        crawl = Crawl(list(cat.resources), cat.config, fetcher, stop=stop, held={held}, answers=answers)
        got = []
        async for checked in crawl.results():
            got.append(checked.resource.id)
            if len(got) == 2:
                stop.set()
        return got

    assert sorted(asyncio.run(asyncio.wait_for(main(), 10))) == ["r-01", "r-02"]


def test_a_host_s_next_page_is_fetched_before_the_last_one_is_judged() -> None:
    """Judging waits for the host's soft-404 probe; the host's next fetch does not wait for the judging."""
    pages = [resource(f"r-{i:02}", position=10 * (i + 1), url=f"https://host0.example/{i}") for i in range(2)]
    cat = replace(catalogue(pages), config=Config(check=replace(TEST_CHECK, per_host=1)))
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append("probe" if "roadmap-linkcheck" in request.url.path else request.url.path)
        return healthy(request)

    async def main() -> list[tuple[str, Status]]:
        fetcher = Fetcher(cat.config, transport=httpx.MockTransport(handler))
        crawl = Crawl(list(cat.resources), cat.config, fetcher)
        return [(r.id, o.status) async for r, o, _ in crawl.results()]

    assert sorted(asyncio.run(main())) == [("r-00", Status.OK), ("r-01", Status.OK)]
    assert asked == ["/0", "/1", "probe"]


def test_a_bug_while_judging_a_page_ends_the_crawl_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    cat = build(4)

    def broken(*_args: object, **_kw: object) -> Outcome:
        raise RuntimeError("a bug in classify")

    monkeypatch.setattr("pipeline.crawl.runner.classify", broken)

    async def main() -> list[str]:
        fetcher = Fetcher(cat.config, transport=httpx.MockTransport(healthy))
        return [r.id async for r, _, _ in Crawl(list(cat.resources), cat.config, fetcher).results()]

    with pytest.raises(RuntimeError, match="a bug in classify"):
        asyncio.run(asyncio.wait_for(main(), 10))


def test_a_report_of_many_verdicts_has_a_short_repr() -> None:
    """asyncio.run() formats its task's repr, and so the returned report's, on the way out (Python 3.11):
    a full repr of every verdict was a string of 50 MB at 100,000 resources."""
    from datetime import datetime

    from pipeline.checkrun import CheckReport
    from pipeline.store.health import RunInfo

    run = RunInfo(7, datetime(2026, 11, 28), None, "manual", "complete", 10_000, 10_000, {"ok": 10_000}, None)
    outcomes = {f"r-{n}": Outcome(f"https://host{n % 50}.example/{n}", Status.OK) for n in range(10_000)}
    report = CheckReport(run, outcomes, False, False, "checked 10,000 resources: 10,000 ok")
    assert repr(report) == (
        "CheckReport(run=7, 10000 outcomes, 0 with links, inconclusive=False, interrupted=False, "
        "message='checked 10,000 resources: 10,000 ok')"
    )
