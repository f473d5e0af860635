"""The crawl core: planned resources in, a `Checked` (resource, its verdict, its links' verdicts) out as
each finishes. No database: the check run (pipeline.checkrun) records what it yields; the benchmark
drives it directly.

    Crawl(resources, config, fetcher, stop=..., controls=...).results() -> async iterator of Checked

Each distinct URL is fetched once and judged for every resource that lists it, as its own URL or as one
of its secondary links. pipeline.crawl.watch tells "the network is down" from "these links died".

Scheduling: URLs are grouped by host; a bounded number of hosts are worked on at once, each by at most
its per-host limit of workers, so the tasks alive stay flat however long the list is, and a host with
hundreds of URLs never starves the others of the global slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from pipeline.config import Config, HostLimits
from pipeline.crawl.classify import Clues, classify
from pipeline.crawl.cost import for_resource
from pipeline.crawl.facts import Failure, Fetched, Probe
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.probe import probe_can_matter, probe_from, probe_origin, wants_probe
from pipeline.crawl.watch import NetworkWatch
from pipeline.model import Resource
from pipeline.status import Evidence, LinkVerdict, Outcome, Status

# ---------------------------------------------------------------------------------------------------
# The crawl core: URLs in, outcomes out. No database; the benchmark drives it directly.


def split_fragment(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")), parts.fragment


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


Use = tuple[str, str | None]  # how a URL is listed: (#fragment or "", the resource's declared cost)


@dataclass
class Crawler:
    """Fetch each distinct URL once, probe hosts for soft 404s when needed, classify per use."""

    config: Config
    fetcher: Fetcher
    probes: dict[str, asyncio.Future[Probe]] = field(default_factory=dict)
    probe_token: str = field(default_factory=lambda: secrets.token_hex(6))

    async def probe(self, url: str) -> Probe:
        """What the host of url serves for a path that cannot exist; once per host and run."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        future = self.probes.get(origin)
        if future is None:
            future = self.probes[origin] = asyncio.get_running_loop().create_future()
            try:
                fetched = await self.fetcher.fetch(
                    f"{origin}/roadmap-linkcheck-{self.probe_token}-no-such-page"
                )
                future.set_result(probe_from(fetched))
            except BaseException:
                future.set_result(Probe(url=origin, status=None))
                raise
        return await asyncio.shield(future)

    async def verdicts(self, url: str, uses: Iterable[Use]) -> tuple[Fetched, dict[Use, Outcome]]:
        """Fetch url (no fragment) once; a verdict for each use (fragment, declared cost) keyed by use."""
        uses = list(uses)
        fetched = await self.fetcher.fetch(url, anchors=any(fragment for fragment, _ in uses))
        return fetched, await self.judge(url, fetched, uses)

    async def judge(self, url: str, fetched: Fetched, uses: list[Use]) -> dict[Use, Outcome]:
        """A verdict for each use (fragment, declared cost) of what fetching url produced, keyed by use."""
        host = host_of(fetched.final_url)
        rule = self.config.domain_rule(host) if host else None
        results: dict[Use, Outcome] = {}
        probe: Probe | None = None
        for fragment, cost in uses:
            if (fragment, cost) in results:
                continue
            context = Clues(fragment=fragment, rule=rule)
            outcome = classify(fetched, context)
            if wants_probe(fetched, outcome):
                probe = probe or await self.probe(probe_origin(fetched))
                if probe_can_matter(probe):  # else the same verdict again: spare the second classify
                    outcome = classify(fetched, Clues(fragment=fragment, rule=rule, probe=probe))
            results[fragment, cost] = for_resource(_with_url(outcome, url, fragment), cost)
        return results


def _with_url(outcome: Outcome, url: str, fragment: str) -> Outcome:
    """The outcome names the URL as listed, fragment included."""
    from dataclasses import replace

    return replace(outcome, url=f"{url}#{fragment}" if fragment else url)


# ---------------------------------------------------------------------------------------------------
# The crawl of planned resources: an async iterator of (resource, outcome). Its caller records them.


@dataclass(frozen=True)
class _Use:
    resource: Resource
    fragment: str
    link: int | None = None  # None: the resource's own URL; else the index of one of its links


@dataclass(frozen=True)
class _Job:
    url: str  # without fragment: the fetch key
    uses: tuple[_Use, ...]

    def listed(self) -> list[Use]:
        return [(use.fragment, use.resource.cost) for use in self.uses]


class Checked(NamedTuple):
    """One resource, judged: its own URL's verdict and those of its secondary links (in list order)."""

    resource: Resource
    outcome: Outcome
    links: tuple[LinkVerdict, ...] = ()


def skipped(resource: Resource) -> Outcome:
    """The verdict for a resource without a URL yet."""
    return Outcome(
        url="",
        status=Status.SKIPPED,
        evidence=(
            Evidence("awaiting-url", f"no URL yet: {resource.awaiting_url or 'awaiting a verified URL'}"),
        ),
    )


def checkable_links(resource: Resource) -> list[int]:
    """Which secondary links the crawler checks (their indexes): web addresses, not in-page or relative
    links."""
    return [
        i for i, link in enumerate(resource.links) if link.target.lower().startswith(("http://", "https://"))
    ]


class _Pending:
    """Verdicts of one resource arriving URL by URL; whole once its URL and every link are judged."""

    __slots__ = ("links", "outcome", "resource", "waiting")

    def __init__(self, resource: Resource, outcome: Outcome | None) -> None:
        self.resource, self.outcome = resource, outcome
        self.links: dict[int, LinkVerdict] = {}
        self.waiting = 0  # URLs still to judge: its own (unless known) and its secondary links to fetch

    def checked(self) -> Checked:
        assert self.outcome is not None
        return Checked(self.resource, self.outcome, tuple(self.links[i] for i in sorted(self.links)))


@dataclass
class Crawl:
    """Fetch and judge the planned resources; iterate over `results()` for a `Checked` per resource as
    each finishes (each distinct URL is fetched once, whichever resources and links list it). Afterwards
    `watch` says whether the network looked down.

    held: listed URLs (without a fragment) another source may judge without a fetch, a forge's API:
    they wait for `answers()` (listed URL -> verdict) while every other URL is crawled; those it does
    not answer are fetched then, the others take its verdict for every resource and link listing them.
    stop: set it (a signal) to end early; finished outcomes are still yielded, in-flight fetches dropped
    (a resource whose own URL was judged is yielded with the links judged so far).
    controls: other URLs of the catalogue (hosts to exclude -> URLs) asked, recording nothing, when a
    small run cannot tell a dead host from a dead network on its own.
    """

    resources: list[Resource]
    config: Config
    fetcher: Fetcher
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    controls: Callable[[set[str]], Awaitable[list[str]]] = lambda _exclude: _nothing()
    held: Collection[str] = frozenset()
    answers: Callable[[], Awaitable[Mapping[str, Outcome]]] = lambda: _answers_none()
    watch: NetworkWatch | None = None

    async def results(self) -> AsyncIterator[Checked]:
        finished: asyncio.Queue[Checked | None] = asyncio.Queue()
        producer = asyncio.create_task(self._produce(finished.put_nowait))
        try:
            while (item := await finished.get()) is not None:
                yield item
            await producer  # a bug or a fetch-layer error ends the crawl here
        finally:
            if not producer.done():
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer

    async def _produce(self, deliver: Callable[[Checked | None], None]) -> None:
        try:
            await self._crawl(deliver)
        finally:
            deliver(None)

    def _plan(
        self, deliver: Callable[[Checked], None]
    ) -> tuple[dict[str, deque[_Job]], dict[str, list[_Use]], dict[str, _Pending]]:
        """The jobs by host, the held URLs' uses, and the resources waiting for them (those with nothing to
        fetch go at once)."""
        jobs: dict[str, list[_Use]] = {}
        held: dict[str, list[_Use]] = {}
        pending: dict[str, _Pending] = {}
        for resource in self.resources:
            entry = _Pending(resource, skipped(resource) if resource.url is None else None)
            fetch: list[tuple[str, int | None]] = [] if resource.url is None else [(str(resource.url), None)]
            fetch += [(resource.links[i].target, i) for i in checkable_links(resource)]
            entry.waiting = len(fetch)
            if entry.waiting == 0:
                deliver(entry.checked())
                continue
            pending[resource.id] = entry
            for listed, index in fetch:
                url, fragment = split_fragment(listed)
                waiting = held if listed in self.held else jobs
                waiting.setdefault(url, []).append(_Use(resource, fragment, index))
        return _by_host(jobs), held, pending

    async def _answers(self) -> Mapping[str, Outcome] | None:
        """The verdicts for held URLs once they are known; None if the run is stopped first."""
        answers = asyncio.ensure_future(self.answers())
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({answers, stopped}, return_when=asyncio.FIRST_COMPLETED)
            return answers.result() if answers.done() else None
        finally:
            stopped.cancel()
            answers.cancel()

    async def _crawl(self, deliver: Callable[[Checked], None]) -> None:
        config, fetcher, stop = self.config, self.fetcher, self.stop
        by_host, held, pending = self._plan(deliver)

        def judged(use: _Use, outcome: Outcome) -> None:
            entry = pending[use.resource.id]
            if use.link is None:
                entry.outcome = outcome
            else:
                entry.links[use.link] = LinkVerdict(use.resource.links[use.link].title, outcome)
            entry.waiting -= 1
            if entry.waiting == 0:
                del pending[use.resource.id]
                deliver(entry.checked())

        hosts = set(by_host) | {host_of(url) for url in held}
        watch = self.watch = NetworkWatch(planned_hosts=len(hosts), ratio=config.check.inconclusive_ratio)
        give_up = asyncio.Event()  # set when the network is certainly down, or on stop
        parts = [by_host]  # the jobs by host: the crawl's, then those of held URLs left unanswered
        judging: set[asyncio.Task[None]] = set()  # pages fetched, being judged
        errors: list[BaseException] = []
        async with fetcher:
            crawler = Crawler(config, fetcher)

            def settle(job: _Job, verdicts: dict[Use, Outcome]) -> None:
                for use in job.uses:
                    judged(use, verdicts[use.fragment, use.resource.cost])

            async def judge(job: _Job, fetched: Fetched) -> None:
                settle(job, await crawler.judge(job.url, fetched, job.listed()))

            async def one(host: str, job: _Job) -> None:
                fetched = await fetcher.fetch(job.url, anchors=any(use.fragment for use in job.uses))
                watch.note(host, fetched)
                if watch.doomed():
                    give_up.set()
                # Judged in a task of its own, so the host's next request goes out first: reading a page,
                # or waiting for the host's soft-404 probe, never holds up the next fetch.
                task = asyncio.create_task(judge(job, fetched))
                judging.add(task)
                task.add_done_callback(judged_page)

            def judged_page(task: asyncio.Task[None]) -> None:
                judging.discard(task)
                if not task.cancelled() and (error := task.exception()) is not None:
                    errors.append(error)  # a bug of ours: the crawl ends and raises it
                    give_up.set()

            async def work(host: str, queue: deque[_Job]) -> None:
                while queue and not give_up.is_set():
                    await one(host, queue.popleft())

            async def answered_later() -> None:
                answers = await self._answers() if held else None
                if answers is None:
                    return
                later: dict[str, list[_Use]] = {}
                for url, uses in held.items():
                    if (answer := answers.get(url)) is None:
                        later[url] = uses
                    else:
                        for use in uses:
                            judged(use, answer)
                parts.append(_by_host(later))
                if give_up.is_set() and not stop.is_set():
                    # The network went down while they waited: each of their hosts is tried once, as every
                    # host of the crawl was, so that an outage's run states every resource it can.
                    await asyncio.gather(*(one(host, queue.popleft()) for host, queue in parts[-1].items()))
                else:
                    await _run_hosts(parts[-1], config, work, stop, give_up)

            try:
                await _all(_run_hosts(by_host, config, work, stop, give_up), answered_later())
                stopped = asyncio.ensure_future(stop.wait())
                try:  # pages still being judged (one may wait for its host's probe), unless stopped
                    while judging and not stop.is_set():
                        await asyncio.wait({*judging, stopped}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopped.cancel()
                if errors:
                    raise errors[0]
                if not stop.is_set():
                    # The network is certainly down: the URLs left on hosts that already failed below HTTP
                    # get that failure without another try (one would only wait out the outage again), so
                    # an outage's run states every resource it can, however the fetches were timed.
                    for host, queue in ((h, q) for part in parts for h, q in part.items()):
                        while (kind := watch.failed.get(host)) is not None and queue:
                            job = queue.popleft()
                            why = f"not tried again: {host} failed ({kind}) and the network looks down"
                            fetched = Fetched(job.url, failure=Failure(kind, why, network=True))
                            settle(job, await crawler.judge(job.url, fetched, job.listed()))
            finally:
                for task in judging:
                    task.cancel()  # stopped, or a bug: their pages are dropped like the fetches in flight
                # Stopped or given up: a resource whose own URL was judged goes with the links judged so far.
                for entry in list(pending.values()):
                    if entry.outcome is not None:
                        deliver(entry.checked())
                pending.clear()
            if watch.needs_controls() and not stop.is_set():
                # A small run (a few due resources, --resource) cannot tell a dead host from a dead
                # network on its own: ask a few other hosts of the catalogue, recording nothing.
                controls = await self.controls(hosts)
                fetched_controls = await asyncio.gather(*(fetcher.fetch(url) for url in controls))
                for url, fetched in zip(controls, fetched_controls, strict=True):
                    watch.note_control(host_of(url), fetched)


async def _nothing() -> list[str]:
    return []


async def _answers_none() -> Mapping[str, Outcome]:
    return {}


def _by_host(jobs: dict[str, list[_Use]]) -> dict[str, deque[_Job]]:
    by_host: dict[str, deque[_Job]] = {}
    for url, uses in jobs.items():
        by_host.setdefault(host_of(url), deque()).append(_Job(url, tuple(uses)))
    return by_host


async def _all(*steps: Awaitable[None]) -> None:
    """Run the steps concurrently; the first error cancels the others and is raised as it is."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _run_hosts(
    by_host: dict[str, deque[_Job]],
    config: Config,
    work: Callable[[str, deque[_Job]], object],
    stop: asyncio.Event,
    give_up: asyncio.Event,
) -> None:
    """Work through the hosts until done, stopped, or given up.

    Each active host gets its per-host limit of workers, and hosts are taken on while their workers fit
    under the global cap, so the cap is never what paces a run that has room. The hosts with the longest
    politeness bound (URLs x their gap or latency share) start first: on a skewed list the busiest host
    sets the end of the run and the others finish in its shadow.
    """
    limits = {host: config.host_limits(host) for host in by_host}
    pending = deque(sorted(by_host.items(), key=lambda item: -len(item[1]) * _pace_s(limits[item[0]])))
    cap = max(1, config.check.concurrency)
    tasks: set[asyncio.Task[object]] = set()
    workers_by_host: dict[str, int] = {}
    slots_by_host: dict[str, int] = {}  # the host's share of the cap while it is worked on
    slots = 0

    def launch() -> None:
        nonlocal slots
        while pending and not give_up.is_set():
            host, queue = pending[0]
            n = min(limits[host].per_host, len(queue), cap)
            if slots and slots + n > cap:
                return
            pending.popleft()
            if n == 0:
                continue
            slots_by_host[host] = n
            slots += n
            workers_by_host[host] = n
            for _ in range(n):
                task = asyncio.create_task(work(host, queue))  # type: ignore[arg-type]
                task.add_done_callback(lambda _t, h=host: _finished(h))
                tasks.add(task)

    def _finished(host: str) -> None:
        nonlocal slots
        workers_by_host[host] -= 1
        if workers_by_host[host] == 0:
            del workers_by_host[host]
            slots -= slots_by_host.pop(host)

    async def watch_stop() -> None:
        await stop.wait()
        give_up.set()

    watcher = asyncio.create_task(watch_stop())
    try:
        launch()
        while tasks:
            done, _ = await asyncio.wait(tasks | {watcher}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {watcher}:
                tasks.discard(task)
                task.result()  # a bug or a store error ends the run here
            if stop.is_set():
                for task in tasks:
                    task.cancel()  # in-flight fetches of an interrupted run are dropped, not waited for
                await asyncio.gather(*tasks, return_exceptions=True)
                tasks.clear()
                break
            launch()
    finally:
        watcher.cancel()
        for task in tasks:
            task.cancel()


def _pace_s(limits: HostLimits) -> float:
    """Seconds per URL a host is held to by politeness alone (its gap; a nominal 0.1 s latency share)."""
    return max(limits.gap_s, 0.1 / limits.per_host)
