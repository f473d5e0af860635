"""Unit tests of the fetch layer's HTTP logic with respx (no server): the host gap, retries, Retry-After,
and where per-host limits come from. Time is a fake clock that only moves when the code sleeps or a
mocked request "takes" its latency."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from pipeline.config import CheckConfig, Config, DomainRule, HostLimits
from pipeline.crawl.fetch import Fetcher

HOST = "https://maths.example.org"


class FakeClock:
    """A monotonic clock that advances only by the sleeps and latencies it is told about."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def page(clock: FakeClock, starts: list[float], latency: float, status: int = 200, **headers: str):
    """A respx side effect: note the start time, take `latency` of fake time, answer."""

    def answer(request: httpx.Request) -> httpx.Response:
        starts.append(clock.now)
        clock.now += latency
        return httpx.Response(status, headers={"content-type": "text/html", **headers}, html="<p>ok</p>")

    return answer


def fetch_all(
    config: Config, clock: FakeClock, urls: list[str], router: respx.MockRouter
) -> tuple[list, Fetcher]:
    async def main() -> tuple[list, Fetcher]:
        transport = httpx.MockTransport(router.handler)  # the router answers in place of the wire
        async with Fetcher(config, transport, clock=clock, sleep=clock.sleep, rng=lambda: 0.5) as fetcher:
            results = [await fetcher.fetch(url) for url in urls]  # one after another: gaps show plainly
            return results, fetcher

    return asyncio.run(main())


def check(**kw: object) -> Config:
    return Config(check=CheckConfig(**{"retries": 2, "backoff_base_s": 1.0, **kw}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gap_ms", "latency", "expected_starts"),
    [
        pytest.param(250, 0.1, [0.0, 0.25, 0.5], id="fast-answers-wait-for-the-gap"),
        pytest.param(250, 0.4, [0.0, 0.4, 0.8], id="slow-answers-no-extra-wait-start-to-start"),
        pytest.param(0, 0.1, [0.0, 0.1, 0.2], id="no-gap"),
    ],
)
def test_the_host_gap_is_measured_start_to_start(
    gap_ms: int, latency: float, expected_starts: list[float]
) -> None:
    clock, starts = FakeClock(), []
    with respx.mock(assert_all_called=True) as router:
        router.get(url__startswith=HOST).mock(side_effect=page(clock, starts, latency))
        fetch_all(check(host_delay_ms=gap_ms, per_host=1), clock, [f"{HOST}/p/{i}" for i in range(3)], router)
    assert [round(s - starts[0], 6) for s in starts] == expected_starts


def test_the_exchange_estimate_follows_the_exchanges_timed() -> None:
    """How long a request holds its global slot (the scheduler sizes the hosts at work by it)."""
    clock, starts = FakeClock(), []
    latencies = iter([0.3, 0.1, 0.2])

    def answer(request: httpx.Request) -> httpx.Response:
        return page(clock, starts, next(latencies))(request)

    with respx.mock() as router:
        router.get(url__startswith=HOST).mock(side_effect=answer)
        _, fetcher = fetch_all(check(host_delay_ms=0), clock, [f"{HOST}/p/{i}" for i in range(3)], router)
    assert fetcher.exchange_s == pytest.approx(0.2)  # the mean so far; the nominal 0.1 s is forgotten


def test_the_open_files_limit_is_raised_for_a_run_over_many_hosts() -> None:
    resource = pytest.importorskip("resource")
    from pipeline.crawl.fetch import _allow_open_files

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1024:
        pytest.skip("this machine's hard limit is below the test's figures")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        assert _allow_open_files(1000) == 1000
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (1000, hard)
        assert _allow_open_files(500) == 1000  # never lowered
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 1000
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_transient_answers_are_retried_with_growing_backoff() -> None:
    clock = FakeClock()
    with respx.mock() as router:
        router.get(f"{HOST}/flaky").mock(
            side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, html="<p>fine</p>")]
        )
        (result,), _ = fetch_all(check(host_delay_ms=0), clock, [f"{HOST}/flaky"], router)
    assert result.response.status == 200
    assert clock.sleeps == [1.0, 2.0]  # backoff_base_s x 2^attempt x (0.5 + rng 0.5)


def test_a_final_answer_is_not_retried() -> None:
    clock = FakeClock()
    with respx.mock() as router:
        route = router.get(f"{HOST}/gone").mock(return_value=httpx.Response(404))
        (result,), _ = fetch_all(check(host_delay_ms=0), clock, [f"{HOST}/gone"], router)
    assert result.response.status == 404 and route.call_count == 1 and clock.sleeps == []


def test_retry_after_is_honoured_and_slows_the_whole_host() -> None:
    clock, starts = FakeClock(), []
    with respx.mock() as router:
        router.get(f"{HOST}/busy").mock(
            side_effect=[httpx.Response(429, headers={"retry-after": "3"}), page(clock, starts, 0.1)]
        )
        router.get(f"{HOST}/next").mock(side_effect=page(clock, starts, 0.1))
        (busy, after), fetcher = fetch_all(
            check(host_delay_ms=0), clock, [f"{HOST}/busy", f"{HOST}/next"], router
        )
    assert busy.response.status == 200 and after.response.status == 200
    state = fetcher.hosts["maths.example.org"]
    assert state.slowdowns == 1 and state.delay_s == 1.0  # a wider gap for the rest of the run
    assert round(starts[1] - starts[0], 6) == 1.0


def test_a_retry_after_beyond_the_cap_is_the_answer_for_this_run() -> None:
    clock = FakeClock()
    with respx.mock() as router:
        route = router.get(f"{HOST}/later").mock(
            return_value=httpx.Response(503, headers={"retry-after": "3600"})
        )
        (result,), _ = fetch_all(
            check(host_delay_ms=0, retry_after_cap_s=120), clock, [f"{HOST}/later"], router
        )
    assert result.response.status == 503 and route.call_count == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("example.org", HostLimits(per_host=2, gap_s=0.25), id="defaults"),
        pytest.param("kaggle.com", HostLimits(per_host=1, gap_s=0.25), id="rule-lowers-per-host"),
        pytest.param("www.kaggle.com", HostLimits(per_host=1, gap_s=0.25), id="rule-covers-subdomains"),
        pytest.param("arxiv.org", HostLimits(per_host=2, gap_s=3.0), id="rule-widens-the-gap"),
        pytest.param("zero.org", HostLimits(per_host=2, gap_s=0.0), id="rule-gap-zero-is-kept"),
    ],
)
def test_host_limits_have_one_source(host: str, expected: HostLimits) -> None:
    config = Config(
        check=CheckConfig(per_host=2, host_delay_ms=250),
        domains={
            "kaggle.com": DomainRule(per_host=1),
            "arxiv.org": DomainRule(host_delay_ms=3000),
            "zero.org": DomainRule(host_delay_ms=0),
        },
    )
    assert config.host_limits(host) == expected

    async def state() -> tuple[int, float]:
        async with Fetcher(config) as fetcher:
            held = fetcher.host_state(host)
            return held.slots._value, held.delay_s

    assert asyncio.run(state()) == (expected.per_host, expected.gap_s)


class Streamed(httpx.AsyncByteStream):
    """A body read on demand, as a real connection's: the exchange (and its pool's use) ends only when the
    client closes it."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def __aiter__(self):  # type: ignore[override]
        yield self.text.encode()


def answer_with_host(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=Streamed(request.url.host))


class SlowToClose(httpx.MockTransport):
    """A pool whose closing awaits, as a real one's does (wire.Wire closes its sockets): numbered in the
    order made, its number recorded in `closed` once closed."""

    def __init__(self, made: list[int], closed: list[int]) -> None:
        super().__init__(answer_with_host)
        self.number, self.closed = len(made), closed
        made.append(self.number)

    async def aclose(self) -> None:
        await asyncio.sleep(0)  # a turn of the event loop, as closing sockets takes
        self.closed.append(self.number)


def test_one_pool_per_host_and_idle_pools_are_closed_beyond_keep() -> None:
    from pipeline.crawl.pools import PoolPerHost

    made: list[str] = []
    closed: list[int] = []

    class Recording(httpx.MockTransport):
        def __init__(self) -> None:
            self.number = len(made)
            made.append("pool")
            super().__init__(answer_with_host)

        async def aclose(self) -> None:
            closed.append(self.number)

    async def main() -> list[str]:
        pools = PoolPerHost(Recording, keep=2)
        async with httpx.AsyncClient(transport=pools) as client:
            held = await client.send(client.build_request("GET", "https://a.example/"), stream=True)
            answers = []
            for host in ("b.example", "b.example", "c.example", "d.example", "e.example"):
                answers.append((await client.get(f"https://{host}/x")).text)
            still_open = sorted(closed)
            await held.aclose()
        return [*answers, f"made {len(made)}", f"closed before the end {still_open}"]

    assert asyncio.run(main()) == [
        "b.example",
        "b.example",
        "c.example",
        "d.example",
        "e.example",
        "made 5",  # one pool per host, reused for the second request to b.example
        # b, c, d: idle and least recently used as the next host's pool made one more than keep; a is
        # busy, never closed
        "closed before the end [1, 2, 3]",
    ]


def test_idle_pools_closing_while_other_hosts_arrive_are_closed_once() -> None:
    """Closing a real pool awaits (wire.Wire closes its sockets): requests to new hosts that arrive
    meanwhile must not pick the same idle pools to close again (a KeyError ended the crawl of a real
    list with more hosts than `keep` whose names all failed to resolve at once)."""
    from pipeline.crawl.pools import PoolPerHost

    made: list[int] = []
    closed: list[int] = []

    async def main() -> list[str]:
        pools = PoolPerHost(lambda: SlowToClose(made, closed), keep=1)
        async with httpx.AsyncClient(transport=pools) as client:
            held = [
                await client.send(client.build_request("GET", f"https://{h}.example/"), stream=True)
                for h in "ab"
            ]
            await client.get("https://c.example/")  # a and b are busy: nothing closed, three pools open
            for response in held:
                await response.aclose()  # now all three are idle, two beyond keep
            answers = await asyncio.gather(*(client.get(f"https://h{n}.example/") for n in range(2)))
        return [answer.text for answer in answers]

    assert asyncio.run(main()) == ["h0.example", "h1.example"]
    assert sorted(closed) == sorted(set(closed))  # every pool closed once


def test_two_requests_to_a_new_host_while_pools_close_share_one_pool() -> None:
    """Both workers of a host start at once; the first one's closing of idle pools awaits. The second
    must not make a pool of its own (it would replace the first in the map, never to be closed)."""
    from pipeline.crawl.pools import PoolPerHost

    made: list[int] = []
    closed: list[int] = []

    async def main() -> None:
        pools = PoolPerHost(lambda: SlowToClose(made, closed), keep=1)
        async with httpx.AsyncClient(transport=pools) as client:
            for host in ("a.example", "c.example"):
                await client.get(f"https://{host}/")
            # b.example's first request closes c.example's idle pool, and its second arrives meanwhile
            await asyncio.gather(client.get("https://b.example/1"), client.get("https://b.example/2"))

    asyncio.run(main())
    assert made == [0, 1, 2]  # one pool per host: a, c, b
    assert sorted(closed) == [0, 1, 2]  # a's and c's as the next host came, b's at the end: none left open
