"""The crawl core on resources that arrive in batches (a catalogue still being validated): each batch is
crawled as it comes, each URL is still fetched once, and an error while they arrive ends the crawl."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import httpx
import pytest

from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.runner import Crawl
from pipeline.model import Link, Resource
from pipeline.status import Status
from tests.crawl.helpers import TEST_CHECK, html
from tests.factory import resource

CONFIG = Config(check=TEST_CHECK)


def page(request: httpx.Request) -> httpx.Response:
    if "roadmap-linkcheck" in request.url.path:
        return httpx.Response(404)
    return httpx.Response(200, html=html(f"Notes on {request.url.path}"))


async def batches(
    *parts: Sequence[Resource], between: asyncio.Event | None = None
) -> AsyncIterator[list[Resource]]:
    """The parts one after the other; before each later part, wait for `between` when given."""
    for n, part in enumerate(parts):
        if n and between is not None:
            await between.wait()
            between.clear()
        yield list(part)


def crawl(
    arriving: AsyncIterator[list[Resource]],
    handler: httpx.MockTransport | None = None,
    on_result: object = None,
) -> list[tuple[str, Status, tuple[Status, ...]]]:
    async def main() -> list[tuple[str, Status, tuple[Status, ...]]]:
        fetcher = Fetcher(CONFIG, transport=handler or httpx.MockTransport(page))
        got = []
        async for checked in Crawl(arriving, CONFIG, fetcher).results():
            got.append(
                (checked.resource.id, checked.outcome.status, tuple(v.outcome.status for v in checked.links))
            )
            if callable(on_result):
                on_result(checked.resource.id)
        return got

    return asyncio.run(asyncio.wait_for(main(), 10))


def test_each_batch_is_crawled_as_it_arrives() -> None:
    first = [resource(f"a-{i}", url=f"https://one.example/{i}") for i in range(3)]
    second = [resource(f"b-{i}", url=f"https://two.example/{i}") for i in range(2)]
    more = asyncio.Event()
    order: list[str] = []

    def on_result(rid: str) -> None:
        order.append(rid)
        if len(order) == 3:
            more.set()  # the second batch arrives only once the first is judged

    got = crawl(batches(first, second, between=more), on_result=on_result)
    assert sorted(order[:3]) == ["a-0", "a-1", "a-2"] and sorted(order[3:]) == ["b-0", "b-1"]
    assert all(status is Status.OK for _, status, _ in got)


def test_a_url_listed_again_in_a_later_batch_is_not_fetched_again() -> None:
    fetched: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        fetched[request.url.path] += 1
        return page(request)

    shared = "https://one.example/shared"
    first = [resource("a", url=shared)]
    # Listed again once judged (as another entry's secondary link), and while in flight (same batch).
    second = [
        resource("b", url="https://one.example/b", links=(Link("Source", shared),)),
        resource("c", url="https://one.example/c", links=(Link("Mirror", "https://one.example/b"),)),
    ]
    more = asyncio.Event()
    got = crawl(
        batches(first, second, between=more), httpx.MockTransport(handler), on_result=lambda _rid: more.set()
    )
    assert sorted(got) == [
        ("a", Status.OK, ()),
        ("b", Status.OK, (Status.OK,)),
        ("c", Status.OK, (Status.OK,)),
    ]
    assert fetched["/shared"] == 1 and fetched["/b"] == 1


def test_a_judged_url_listed_with_a_new_fragment_is_fetched_for_it() -> None:
    """Its anchor was not looked for the first time: the page is read again for it."""
    fetched: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        fetched[request.url.path] += 1
        if "roadmap-linkcheck" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(200, html=html("Chapter one", body='<h2 id="intro">Intro</h2>'))

    more = asyncio.Event()
    first = [resource("a", url="https://one.example/book")]
    second = [
        resource("b", url="https://one.example/book#intro"),
        resource("c", url="https://one.example/book#gone"),
    ]
    got = crawl(
        batches(first, second, between=more), httpx.MockTransport(handler), on_result=lambda _r: more.set()
    )
    statuses = {rid: status for rid, status, _ in got}
    assert statuses["a"] is Status.OK and statuses["b"] is Status.OK
    assert statuses["c"] is not Status.OK  # the missing anchor is found, not the first verdict reused
    assert fetched["/book"] == 2  # once for the page, once for both fragments (joined in one job)


def test_an_error_while_resources_arrive_ends_the_crawl_with_it() -> None:
    async def failing() -> AsyncIterator[list[Resource]]:
        yield [resource("a", url="https://one.example/a")]
        raise ValueError("resources/b.yaml: not a valid resource")

    with pytest.raises(ValueError, match=r"resources/b\.yaml"):
        crawl(failing())


def test_hosts_that_first_appear_in_a_later_batch_respect_the_cap() -> None:
    """Every host's workers still fit under the global cap, whenever its URLs arrive."""
    config = replace(CONFIG, check=replace(TEST_CHECK, concurrency=2, per_host=2))
    in_flight = peak = 0

    async def main() -> int:
        nonlocal in_flight, peak

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1
            return page(request)

        parts = [
            [resource(f"r-{h}-{i}", url=f"https://h{h}.example/{i}") for i in range(3)] for h in range(4)
        ]
        fetcher = Fetcher(config, transport=httpx.MockTransport(handler))
        return len([c async for c in Crawl(batches(*parts), config, fetcher).results()])

    assert asyncio.run(asyncio.wait_for(main(), 10)) == 12
    assert peak <= 2
