"""How the crawl core shares the run between hosts: workers per host, the global cap, who starts first."""

from __future__ import annotations

import asyncio
import threading
from collections import deque

import httpx
import pytest

from pipeline.config import CheckConfig, Config, DomainRule
from pipeline.crawl import runner, signals
from pipeline.crawl.classify import rehearse
from pipeline.crawl.fetch import NOMINAL_EXCHANGE_S, Fetcher
from pipeline.crawl.runner import Crawl, _Hosts, _Job
from pipeline.status import Status
from tests.crawl.helpers import TEST_CHECK, html
from tests.factory import resource

CONFIG = Config(check=TEST_CHECK)


def run(
    config: Config,
    sizes: dict[str, int],
    exchange_s: float = NOMINAL_EXCHANGE_S,
    fetcher_class: type[Fetcher] = Fetcher,
) -> tuple[list[str], int, int]:
    """Drive the hosts' scheduler with workers that take one loop turn per job: (hosts in order of first
    job, peak workers alive, jobs done). exchange_s: the fetcher's estimate of an exchange's duration."""
    order: list[str] = []
    alive = peak = done = 0

    async def work(host: str, queue: deque[_Job]) -> None:
        nonlocal alive, peak, done
        alive += 1
        peak = max(peak, alive)
        try:
            while queue:
                queue.popleft()
                if host not in order:
                    order.append(host)
                done += 1
                await asyncio.sleep(0)
        finally:
            alive -= 1

    async def main() -> None:
        fetcher = fetcher_class(config)  # never entered: only its estimates are read
        fetcher.exchange_s = exchange_s
        hosts = _Hosts(fetcher, work, asyncio.Event(), asyncio.Event())
        for host, n in sizes.items():
            for i in range(n):
                hosts.offer(host, _Job(f"https://{host}/{i}"))
        hosts.close()
        await asyncio.wait_for(hosts.run(), 10)

    asyncio.run(main())
    return order, peak, done


def test_hosts_with_the_longest_politeness_bound_start_first() -> None:
    config = Config(check=CheckConfig(concurrency=4, per_host=2, host_delay_ms=50))
    order, peak, done = run(config, {"small.org": 3, "huge.org": 80, "mid.org": 10, "tiny.org": 1})
    assert order[:2] == ["huge.org", "mid.org"]
    assert peak == 4 and done == 94  # two hosts' 2 workers fill the cap of 4


def test_a_slow_rule_counts_in_the_bound() -> None:
    # 10 URLs 5 s apart (50 s) outweigh 40 URLs at the default 0.25 s (10 s).
    config = Config(
        check=CheckConfig(concurrency=2, per_host=2, host_delay_ms=250),
        domains={"slow.org": DomainRule(host_delay_ms=5000)},
    )
    order, _, _ = run(config, {"fast.org": 40, "slow.org": 10})
    assert order == ["slow.org", "fast.org"]


@pytest.mark.parametrize(
    ("cap", "hosts", "expected_hosts_at_once"),
    [
        pytest.param(128, 20, 20, id="cap-above-hosts-x-per-host:-every-host-at-once"),
        pytest.param(8, 20, 4, id="cap-below:-as-many-hosts-as-their-slots-fit"),
        pytest.param(1, 3, 1, id="cap-below-one-host's-limit:-one-host-one-slot"),
    ],
)
def test_hosts_are_taken_on_while_their_slots_fit_under_the_cap(
    cap: int, hosts: int, expected_hosts_at_once: int
) -> None:
    # A gap (50 ms) shorter than an exchange (100 ms): each worker keeps a request in flight.
    config = Config(check=CheckConfig(concurrency=cap, per_host=2, host_delay_ms=50))
    _, peak, done = run(config, {f"h{i}.org": 5 for i in range(hosts)})
    slots = min(2, cap)
    assert peak == expected_hosts_at_once * slots
    assert done == 5 * hosts


@pytest.mark.parametrize(
    ("exchange_s", "expected_hosts_at_once"),
    [
        # 2 workers 250 ms apart with 100 ms exchanges keep 0.4 requests in flight: 20 hosts fill the cap
        # of 8 (4 without the gap taken into account).
        pytest.param(0.1, 20, id="exchanges-shorter-than-the-gap:-hosts-beyond-cap/per_host"),
        # 250 ms exchanges: each host keeps one request in flight, 8 hosts fill the cap.
        pytest.param(0.25, 8, id="exchanges-as-long-as-the-gap:-fewer-hosts"),
        # 1 s exchanges: both workers of a host are in flight all the time, as without a gap.
        pytest.param(1.0, 4, id="exchanges-longer-than-both-workers'-gaps:-cap/per_host"),
        # 20 ms exchanges: 0.08 in flight a host, 100 hosts would fit; the worker bound (8 a slot, 64)
        # takes 32.
        pytest.param(0.02, 32, id="very-short-exchanges:-the-worker-bound"),
    ],
)
def test_workers_waiting_out_their_hosts_gap_leave_room_for_other_hosts(
    exchange_s: float, expected_hosts_at_once: int
) -> None:
    config = Config(check=CheckConfig(concurrency=8, per_host=2, host_delay_ms=250))
    _, peak, done = run(config, {f"h{i}.org": 5 for i in range(40)}, exchange_s)
    assert peak == expected_hosts_at_once * 2
    assert done == 5 * 40


@pytest.mark.parametrize(
    ("probe_status", "classified", "expected"),
    [
        pytest.param(404, 1, "ok", id="honest-404-host:-one-classify"),
        pytest.param(200, 2, "soft_404", id="host-serves-made-up-paths:-classified-again-with-the-probe"),
    ],
)
def test_a_page_is_classified_again_only_when_the_probe_can_change_the_verdict(
    monkeypatch: pytest.MonkeyPatch, probe_status: int, classified: int, expected: str
) -> None:
    import httpx
    import respx

    from pipeline.crawl import runner
    from pipeline.crawl.fetch import Fetcher

    page = "<html><head><title>Welcome</title></head><body><p>" + "Home of the example site. " * 20
    calls: list[object] = []
    original = runner.classify
    monkeypatch.setattr(runner, "classify", lambda *a, **k: calls.append(a) or original(*a, **k))
    config = Config(check=CheckConfig(host_delay_ms=0))

    async def main() -> str:
        async with Fetcher(config, httpx.MockTransport(router.handler)) as fetcher:
            _, verdicts = await runner.Crawler(config, fetcher).verdicts(
                "https://x.example/deep/page", [("", "free")]
            )
        return next(iter(verdicts.values())).status.value

    with respx.mock() as router:
        router.get(url__regex=r"no-such-page").mock(return_value=httpx.Response(probe_status, html=page))
        router.get("https://x.example/deep/page").mock(return_value=httpx.Response(200, html=page))
        assert asyncio.run(main()) == expected
    assert len(calls) == classified


def test_a_host_whose_queue_fills_again_after_its_workers_left_gets_new_ones() -> None:
    """Resources still arriving: a host's URLs may come after its first ones were all done."""
    config = Config(check=CheckConfig(concurrency=8, per_host=2))
    done: list[str] = []

    async def main() -> None:
        async def work(host: str, queue: deque[_Job]) -> None:
            while queue:
                done.append(queue.popleft().url)
                await asyncio.sleep(0)

        hosts = _Hosts(Fetcher(config), work, asyncio.Event(), asyncio.Event())
        running = asyncio.create_task(hosts.run())
        hosts.offer("a.org", _Job("https://a.org/1"))
        while len(done) < 1:
            await asyncio.sleep(0)
        for _ in range(3):
            await asyncio.sleep(0)  # its worker leaves: the queue is empty
        assert hosts.workers["a.org"] == 0
        hosts.offer("a.org", _Job("https://a.org/2"))
        hosts.offer("a.org", _Job("https://a.org/3"))
        hosts.close()
        await asyncio.wait_for(running, 10)

    asyncio.run(main())
    assert done == ["https://a.org/1", "https://a.org/2", "https://a.org/3"]


def test_the_judgement_rehearses_while_the_first_requests_are_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first answers find the judgement's patterns compiled: the crawl compiles them while its requests
    are out, not when the first answer is judged, and in a thread, so that the event loop goes on (each
    answer back meanwhile sends its host's next request)."""
    signals.pattern.cache_clear()
    compiled_before_answer: list[bool] = []
    rehearsed_in: list[threading.Thread] = []

    def rehearsing() -> None:
        rehearsed_in.append(threading.current_thread())
        rehearse()

    monkeypatch.setattr(runner, "rehearse", rehearsing)

    async def answer(request: httpx.Request) -> httpx.Response:
        deadline = asyncio.get_running_loop().time() + 10  # bounded: a rehearsal that never runs fails
        while not signals.pattern.cache_info().currsize and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.001)
        compiled_before_answer.append(bool(signals.pattern.cache_info().currsize))
        status = 404 if "roadmap-linkcheck" in request.url.path else 200
        return httpx.Response(status, html=html(f"Notes on {request.url.path}"))

    async def main() -> list[Status]:
        fetcher = Fetcher(CONFIG, transport=httpx.MockTransport(answer))
        resources = [resource(f"r{i}", url=f"https://host-{i % 3}.example/notes/{i}") for i in range(6)]
        return [checked.outcome.status async for checked in Crawl(resources, CONFIG, fetcher).results()]

    assert asyncio.run(asyncio.wait_for(main(), 20)) == [Status.OK] * 6
    assert compiled_before_answer and all(compiled_before_answer)
    assert len(rehearsed_in) == 1 and rehearsed_in[0] is not threading.main_thread()


def test_the_crawl_says_it_is_under_way_once_its_first_requests_are_out() -> None:
    """`underway` (the moment `roadmap check` opens its store) comes after every host's first request was
    sent and before any answer is back: the work that can wait never delays the first requests."""
    sent: list[str] = []
    at_underway: list[tuple[int, int]] = []
    answered = 0
    release = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal answered
        sent.append(request.url.host)
        await release.wait()  # held until the crawl is under way (bounded: wait_for below)
        answered += 1
        status = 404 if "roadmap-linkcheck" in request.url.path else 200
        return httpx.Response(status, html=html(f"Notes on {request.url.path}"))

    def underway() -> None:
        at_underway.append((len(set(sent)), answered))
        release.set()

    async def main() -> list[Status]:
        fetcher = Fetcher(CONFIG, transport=httpx.MockTransport(answer))
        resources = [resource(f"r{i}", url=f"https://host-{i % 3}.example/notes/{i}") for i in range(6)]
        crawl = Crawl(resources, CONFIG, fetcher, underway=underway)
        return [checked.outcome.status async for checked in crawl.results()]

    assert asyncio.run(asyncio.wait_for(main(), 10)) == [Status.OK] * 6
    assert at_underway == [(3, 0)]  # once, the three hosts asked, nothing answered yet


def test_a_fetcher_that_holds_requests_itself_gets_spare_workers_that_count_no_more_load() -> None:
    # A fetch process (depth 2) gets two workers per request a host may have in flight; the spare ones
    # wait in it, so they add no load: the same hosts fit under the cap at once as with depth 1.
    config = Config(check=CheckConfig(concurrency=4, per_host=2, host_delay_ms=0))
    sizes = {"a.org": 30, "b.org": 30, "c.org": 30}
    order, peak, done = run(config, sizes)
    assert peak == 4 and done == 90  # two hosts x 2 workers fill the cap of 4

    class Deep(Fetcher):
        depth = 2

    order, peak, done = run(config, sizes, fetcher_class=Deep)
    assert peak == 8 and done == 90  # the same two hosts, each with 4 workers: 2 in flight, 2 waiting
    assert sorted(order[:2]) == ["a.org", "b.org"]
