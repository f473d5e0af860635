"""check_catalogue end to end with a real store: network-down runs change no health, interrupted runs keep
what they finished, skipped and deduplicated resources are recorded."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import Engine, func, select

from pipeline.checkrun import RUN_GC_THRESHOLDS, CheckRequest, check_catalogue, run_check
from pipeline.config import Config, RepairConfig
from pipeline.crawl.fetch import Fetcher
from pipeline.errors import UsageError
from pipeline.model import Catalogue
from pipeline.status import Status
from pipeline.store.health import health_summaries
from pipeline.store.models import CheckResult
from pipeline.store.sync import sync_catalogue
from tests.crawl.helpers import TEST_CHECK, html
from tests.factory import catalogue, resource

PAGE = html("A fine page")


def build(urls: dict[str, str | None]) -> Catalogue:
    resources = [
        resource(rid, position=10 * (i + 1), url=url, awaiting_url=None if url else "no verified link yet")
        for i, (rid, url) in enumerate(urls.items())
    ]
    return replace(catalogue(resources), config=Config(check=TEST_CHECK))


def healthy(request: httpx.Request) -> httpx.Response:
    if "roadmap-linkcheck" in request.url.path:  # the soft-404 probe: an honest host says 404
        return httpx.Response(404)
    return httpx.Response(200, html=PAGE)


def no_names(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known") from socket.gaierror(
        socket.EAI_NONAME, "Name or service not known"
    )


def check(engine: Engine, cat: Catalogue, handler, **request: object):
    sync_catalogue(engine, cat)
    transport = httpx.MockTransport(handler)
    return asyncio.run(check_catalogue(engine, cat, CheckRequest(**request), transport=transport))


HOSTS = {f"res-{i}": f"https://host{i}.example/page/{i}" for i in range(5)}


def test_network_down_is_inconclusive_and_changes_no_health(engine: Engine) -> None:
    cat = build(HOSTS)
    first = check(engine, cat, healthy)
    assert not first.inconclusive and first.run.conclusion == "complete"
    before = health_summaries(engine)
    assert all(s.status is Status.OK for s in before.values())

    down = check(engine, cat, no_names)
    assert down.inconclusive and down.run.conclusion == "inconclusive"
    assert down.message.startswith("the network looks down:")
    assert "no resource's health was changed" in down.message
    after = health_summaries(engine)
    assert {rid: (s.status, s.consecutive_failures) for rid, s in after.items()} == {
        rid: (Status.OK, 0) for rid in HOSTS
    }


def test_network_down_on_the_first_ever_run_leaves_resources_unchecked(engine: Engine) -> None:
    report = check(engine, build(HOSTS), no_names)
    assert report.inconclusive
    assert all(s.status is None for s in health_summaries(engine).values())


def test_once_the_network_is_down_the_pages_left_on_failed_hosts_get_their_failure_untried(
    engine: Engine,
) -> None:
    # Six hosts with two pages each, one request at a time per host and a gap between two: every host's
    # first page fails at once, and the outage is certain before any second page is due. Those are not
    # fetched (each try would wait out the outage again) but get their host's failure, so the run states
    # every resource of every host it tried, however the fetches were timed (hosts never tried stay
    # unchecked).
    urls = {f"{kind}-{i}": f"https://host{i}.example/{kind}" for i in range(6) for kind in ("a", "b")}
    asked: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return no_names(request)

    cat = replace(build(urls), config=Config(check=replace(TEST_CHECK, per_host=1, host_delay_ms=200)))
    report = check(engine, cat, down)
    assert report.inconclusive and not report.interrupted
    hosts = {url.split("/")[2] for url in asked}
    assert len(hosts) >= 3 and set(report.outcomes) == {
        rid for rid, url in urls.items() if url.split("/")[2] in hosts
    }
    assert all(o.network_failure and o.error_class == "dns" for o in report.outcomes.values())
    untried = {rid for rid, o in report.outcomes.items() if "not tried again" in (o.error_detail or "")}
    assert untried and all(
        rid.startswith("b-") for rid in untried
    )  # a fetch already waiting its turn goes on
    assert not any(urls[rid] in asked for rid in untried)


def test_a_few_dead_names_among_live_hosts_are_broken_not_inconclusive(engine: Engine) -> None:
    def mostly_fine(request: httpx.Request) -> httpx.Response:
        return no_names(request) if request.url.host == "host0.example" else healthy(request)

    report = check(engine, build(HOSTS), mostly_fine)
    assert not report.inconclusive and report.run.conclusion == "complete"
    assert report.outcomes["res-0"].status is Status.BROKEN
    assert report.outcomes["res-0"].error_class == "dns"
    assert report.outcomes["res-1"].status is Status.OK


def test_a_small_run_with_the_network_down_asks_control_hosts_and_is_inconclusive(engine: Engine) -> None:
    cat = build(HOSTS)
    check(engine, cat, healthy)
    asked: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        return no_names(request)

    report = check(engine, cat, down, resource_ids=("res-0",))
    assert report.inconclusive and report.run.conclusion == "inconclusive"
    assert report.message == (
        "the network looks down: 1 of 1 hosts failed before any HTTP answer (1 name not found), and so did "
        "3 other hosts of the catalogue asked as a control; no resource's health was changed"
    )
    assert asked == ["host0.example", "host1.example", "host2.example", "host3.example"]
    assert health_summaries(engine)["res-0"].status is Status.OK


def test_a_small_run_with_one_dead_name_is_broken_when_the_control_hosts_answer(engine: Engine) -> None:
    def only_host0_dead(request: httpx.Request) -> httpx.Response:
        return no_names(request) if request.url.host == "host0.example" else healthy(request)

    report = check(engine, build(HOSTS), only_host0_dead, resource_ids=("res-0",))
    assert not report.inconclusive and report.run.conclusion == "complete"
    assert report.outcomes["res-0"].status is Status.BROKEN
    assert list(report.outcomes) == ["res-0"]  # the control hosts are asked, not recorded


def test_a_host_that_stays_unreachable_costs_one_retry_round_not_one_per_url(engine: Engine) -> None:
    calls: list[str] = []
    sleeps: list[float] = []

    def refused(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ConnectError("[Errno 111] Connection refused") from ConnectionRefusedError(111, "refused")

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(0)

    cat = build({f"res-{i}": f"https://one-host.example/page/{i}" for i in range(8)})
    # The crawl's retries only: no archive lookups for the repair suggestions that follow the crawl.
    cat = replace(cat, config=replace(cat.config, repair=RepairConfig(wayback_api="")))
    sync_catalogue(engine, cat)
    fetcher = Fetcher(cat.config, transport=httpx.MockTransport(refused), sleep=fake_sleep)
    report = asyncio.run(check_catalogue(engine, cat, CheckRequest(), fetcher=fetcher))
    assert {o.status for o in report.outcomes.values()} == {Status.BROKEN}
    # A refused host's repair: only the twin, and only once: its origin never answers (crawl/suggest.py).
    twins = [c for c in calls if c.startswith("http://")]
    assert len(twins) == 1 and twins[0] in {f"http://one-host.example/page/{i}" for i in range(8)}
    calls = [c for c in calls if c.startswith("https://")]
    # At most the URLs in flight when the host first stayed down (per_host) back off through every retry;
    # every later URL of the host is tried once. Without that: 8 x (1 + retries) attempts.
    retries, per_host = cat.config.check.retries, cat.config.check.per_host
    assert len(calls) <= per_host * (1 + retries) + (8 - per_host)
    assert len(sleeps) <= per_host * retries


def test_awaiting_url_is_recorded_as_skipped(engine: Engine) -> None:
    report = check(engine, build({"has-url": "https://a.example/x", "no-url": None}), healthy)
    skipped = report.outcomes["no-url"]
    assert skipped.status is Status.SKIPPED and skipped.evidence[0].rule == "awaiting-url"
    assert report.run.checked == 2


def test_same_url_in_two_resources_is_one_request(engine: Engine) -> None:
    seen: list[str] = []

    def counting(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return healthy(request)

    report = check(engine, build({"one": "https://a.example/x", "two": "https://a.example/x"}), counting)
    assert seen.count("https://a.example/x") == 1
    assert report.outcomes["one"] == report.outcomes["two"]


def test_unknown_resource_id_is_a_usage_error(engine: Engine) -> None:
    with pytest.raises(UsageError, match="no resource with id 'nope'"):
        check(engine, build({"one": "https://a.example/x"}), healthy, resource_ids=("nope",))


def test_only_failing_rechecks_just_the_failures(engine: Engine) -> None:
    cat = build({"fine": "https://a.example/ok", "dead": "https://a.example/gone"})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if request.url.path == "/gone" else healthy(request)

    check(engine, cat, handler)
    again = check(engine, cat, handler, only_failing=True)
    assert list(again.outcomes) == ["dead"]
    assert again.outcomes["dead"].status is Status.BROKEN


def test_interrupted_run_keeps_what_it_finished(engine: Engine) -> None:
    urls = {f"r-{i}": f"https://slow{i % 2}.example/{i}" for i in range(12)}
    cat = build(urls)
    sync_catalogue(engine, cat)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return healthy(request)

    async def main():
        stop = asyncio.Event()
        done: list[str] = []

        def progress(rid: str, outcome) -> None:
            done.append(rid)
            if len(done) == 3:
                stop.set()  # what SIGINT/SIGTERM do in run_check

        report = await check_catalogue(
            engine, cat, CheckRequest(), transport=httpx.MockTransport(slow), progress=progress, stop=stop
        )
        return report, done

    report, _ = asyncio.run(main())
    assert report.interrupted and report.run.conclusion == "interrupted"
    assert 3 <= len(report.outcomes) < 12
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(CheckResult)).scalar_one()
    assert stored == len(report.outcomes) == report.run.checked
    summaries = health_summaries(engine)
    assert sum(1 for s in summaries.values() if s.status is Status.OK) == len(report.outcomes)


def test_run_check_is_the_sync_entry_point(engine: Engine) -> None:
    cat = build({"one": "https://a.example/x"})
    sync_catalogue(engine, cat)
    report = run_check(engine, cat, CheckRequest(), transport=httpx.MockTransport(healthy))
    assert report.outcomes["one"].status is Status.OK and report.run.conclusion == "complete"


def test_run_check_hides_the_catalogue_from_the_garbage_collector_for_the_run_only(engine: Engine) -> None:
    import gc

    cat = build({"one": "https://a.example/x", "two": "https://a.example/y"})
    sync_catalogue(engine, cat)
    frozen_during: list[int] = []
    thresholds_during: list[tuple[int, int, int]] = []

    def progress(rid: str, outcome) -> None:
        frozen_during.append(gc.get_freeze_count())
        thresholds_during.append(gc.get_threshold())

    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    run_check(engine, cat, CheckRequest(), transport=httpx.MockTransport(healthy), progress=progress)
    assert len(frozen_during) == 2 and min(frozen_during) > 0  # the catalogue was frozen while crawling
    assert set(thresholds_during) == {RUN_GC_THRESHOLDS}  # and what the run builds is collected rarely
    assert gc.get_freeze_count() == 0  # and handed back: a long-running scheduler collects it later
    assert gc.get_threshold() == before


def test_sigterm_during_run_check_concludes_interrupted(engine: Engine) -> None:
    import os
    import signal

    urls = {f"r-{i}": f"https://slow{i % 2}.example/{i}" for i in range(10)}
    cat = build(urls)
    sync_catalogue(engine, cat)
    calls = {"n": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # what `kill` or a CI cancel sends
        await asyncio.sleep(0.05)
        return healthy(request)

    report = run_check(engine, cat, CheckRequest(), transport=httpx.MockTransport(handler))
    assert report.interrupted and report.run.conclusion == "interrupted"
    assert len(report.outcomes) < 10 and report.run.checked == len(report.outcomes)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back


def test_a_503_counts_toward_broken_after_like_other_transient_failures(engine: Engine) -> None:
    """Issue 10 §3: a maintenance 503 is a failure for the run (failing), broken only after
    check.broken_after runs in a row, exactly like a gateway that timed out."""
    from pipeline.quality.state import State, health_state

    cat = build({"maintenance": "https://down.example/notes", "gateway": "https://slow.example/notes"})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.example":
            return httpx.Response(504, html="<title>Gateway Timeout</title>")  # another transient failure
        if request.url.host == "down.example":
            return httpx.Response(503, html="<title>Down for maintenance</title>")
        return httpx.Response(404)  # anything a repair suggestion may ask (an archive): nothing

    states = []
    for _ in range(2):
        check(engine, cat, handler)
        summaries = health_summaries(engine)
        states.append({r.id: health_state(r, summaries[r.id], broken_after=2) for r in cat.resources})
    assert health_summaries(engine)["maintenance"].status is Status.SERVER_ERROR
    assert states == [
        {"maintenance": State.FAILING, "gateway": State.FAILING},
        {"maintenance": State.BROKEN, "gateway": State.BROKEN},
    ]


def test_a_temporary_failure_gets_no_repair_search_until_it_is_broken(engine: Engine) -> None:
    """A 503 or a timeout may pass by itself: the run looks for a repair (twin, slash, archive) only once
    the failing streak reaches check.broken_after, while a 404 is searched for at once."""
    cat = build({"maintenance": "https://down.example/notes", "gone": "https://gone.example/notes"})
    asked: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked[-1].append(f"{request.url.scheme}://{request.url.host}{request.url.path}")
        if request.url.host == "down.example":
            return httpx.Response(503, html="<title>Down for maintenance</title>")
        return httpx.Response(404)

    for _ in range(2):
        asked.append([])
        check(engine, cat, handler)
    first, second = asked
    assert "http://gone.example/notes" in first  # a 404: its twin is tried on the first night
    assert not any(url.startswith("http://down.example") for url in first)
    assert "http://down.example/notes" in second  # broken after two nights: now a repair is looked for


def test_a_run_stopped_while_the_forges_have_not_answered_is_concluded_interrupted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {
        "repo": "https://github.com/example/project",
        **{f"r-{i}": f"https://a.example/{i}" for i in range(4)},
    }
    cat = build(urls)
    sync_catalogue(engine, cat)

    async def never_answers(*_args: object, **_kw: object) -> object:
        await asyncio.Event().wait()  # a forge API that keeps the repository link waiting

    monkeypatch.setattr("pipeline.checkrun.answer_repository_links", never_answers)

    async def main():
        stop = asyncio.Event()
        done: list[str] = []

        def progress(rid: str, outcome) -> None:
            done.append(rid)
            if len(done) == 4:  # every page fetched; the repository link still waits for its forge
                stop.set()

        return await check_catalogue(
            engine, cat, CheckRequest(), transport=httpx.MockTransport(healthy), progress=progress, stop=stop
        )

    report = asyncio.run(asyncio.wait_for(main(), 10))
    assert report.interrupted and report.run.conclusion == "interrupted"
    assert sorted(report.outcomes) == [f"r-{i}" for i in range(4)]


def test_a_stop_drops_the_pages_still_waiting_for_their_host_s_probe(engine: Engine) -> None:
    urls = {"quick-0": "https://quick.example/0", "quick-1": "https://quick.example/1"}
    urls.update({"stuck-0": "https://stuck.example/0", "stuck-1": "https://stuck.example/1"})
    cat = build(urls)
    sync_catalogue(engine, cat)

    async def handler(request: httpx.Request) -> httpx.Response:
        if "roadmap-linkcheck" in request.url.path and request.url.host == "stuck.example":
            await asyncio.Event().wait()  # this host's soft-404 probe never answers
        return healthy(request)

    async def main():
        stop = asyncio.Event()

        def progress(rid: str, outcome) -> None:
            if rid.startswith("quick"):
                stop.set()  # what SIGINT/SIGTERM do in run_check

        return await check_catalogue(
            engine, cat, CheckRequest(), transport=httpx.MockTransport(handler), progress=progress, stop=stop
        )

    report = asyncio.run(asyncio.wait_for(main(), 10))
    assert report.interrupted and report.run.conclusion == "interrupted"
    # The stuck host's pages were fetched but are still waiting for its probe: dropped, not waited for.
    assert not any(rid.startswith("stuck") for rid in report.outcomes)
