"""The crawl core: planned resources in, a `Checked` (resource, its verdict, its links' verdicts) out as
each finishes. No database: the check run (pipeline.checkrun) records what it yields; the benchmark
drives it directly.

    Crawl(resources, config, fetcher, stop=..., controls=...).results() -> async iterator of Checked

The resources are a list, or batches still arriving (a catalogue being validated): each batch is planned
and crawled as it comes. Each distinct URL is fetched once and judged for every resource that lists it,
as its own URL or as one of its secondary links. pipeline.crawl.watch tells "the network is down" from
"these links died".

Scheduling: URLs are grouped by host; a bounded number of hosts are worked on at once, each by at most
its per-host limit of workers, so the tasks alive stay flat however long the list is, and a host with
hundreds of URLs never starves the others of the global slots. A worker waiting out its host's gap holds
no global slot: hosts are taken on while the requests they are expected to have in flight fit under the
cap (see _Hosts).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import secrets
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from pipeline.catalogue.textlinks import secondary_links
from pipeline.config import Config, HostLimits
from pipeline.crawl.classify import Clues, classify, rehearse
from pipeline.crawl.cost import CITED, for_resource
from pipeline.crawl.facts import Failure, Fetched, Probe
from pipeline.crawl.fetch import NOMINAL_EXCHANGE_S, Fetcher
from pipeline.crawl.probe import probe_can_matter, probe_from, probe_origin, wants_probe
from pipeline.crawl.watch import NetworkWatch
from pipeline.model import Link, Resource
from pipeline.status import Evidence, LinkVerdict, Outcome, Status

REHEARSAL_TURNS = 10  # turns of the event loop the crawl's first requests get before the judgement rehearses

# ---------------------------------------------------------------------------------------------------
# The crawl core: URLs in, outcomes out. No database; the benchmark drives it directly.


def split_fragment(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    fetched = urlunsplit(parts._replace(fragment=""))
    # The catalogue's own string when nothing changed: a copy per resource is held by the crawl's jobs
    # and verdicts for the whole run (9 MB at 100,000 resources).
    return url if fetched == url else fetched, parts.fragment


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
    """The outcome names the URL as listed, fragment included. A final URL equal to url becomes the same
    string: the fetch process sends copies of both, which the run would hold for every resource."""
    from dataclasses import replace

    final = url if outcome.final_url == url else outcome.final_url
    return replace(outcome, url=f"{url}#{fragment}" if fragment else url, final_url=final)


# ---------------------------------------------------------------------------------------------------
# The crawl of planned resources: an async iterator of (resource, outcome). Its caller records them.


@dataclass(frozen=True)
class _Use:
    resource: Resource
    fragment: str
    link: int | None = None  # None: the resource's own URL; else the index of one of its links

    @property
    def cost(self) -> str | None:
        """The cost its verdict is judged for: the resource's own for its URL and its `links` (its demo, its
        source code); none promised for a page its text cites (cost.CITED)."""
        if self.link is not None and self.link >= len(self.resource.links):
            return CITED
        return self.resource.cost


class _Job:
    """One distinct URL to fetch and the uses listing it; uses may still join until it is judged."""

    __slots__ = ("url", "uses")

    def __init__(self, url: str, uses: Iterable[_Use] = ()) -> None:
        self.url = url  # without fragment: the fetch key
        self.uses = list(uses)

    def listed(self) -> list[Use]:
        return [(use.fragment, use.cost) for use in self.uses]


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


def checkable_links(links: tuple[Link, ...]) -> list[int]:
    """Which of a resource's secondary links (catalogue.textlinks.secondary_links) the crawler checks, by
    index: web addresses, not in-page or relative links."""
    return [i for i, link in enumerate(links) if link.target.lower().startswith(("http://", "https://"))]


class _Pending:
    """Verdicts of one resource arriving URL by URL; whole once its URL and every link are judged."""

    __slots__ = ("links", "outcome", "resource", "secondary", "waiting")

    def __init__(self, resource: Resource, outcome: Outcome | None) -> None:
        self.resource, self.outcome = resource, outcome
        self.secondary = secondary_links(resource)  # what a use's link index points into
        self.links: dict[int, LinkVerdict] = {}
        self.waiting = 0  # URLs still to judge: its own (unless known) and its secondary links to fetch

    def checked(self) -> Checked:
        assert self.outcome is not None
        return Checked(self.resource, self.outcome, tuple(self.links[i] for i in sorted(self.links)))


class _Plan:
    """The crawl's work, growing as resources arrive: a job per distinct URL, queued by host (in
    `hosts`); the uses of held URLs waiting for their answers; the resources waiting for verdicts.

    A URL is fetched once, however many resources and links list it and whenever they arrive: a use that
    joins a job not yet judged is judged with it; one that arrives after the judgement takes its verdict
    (kept until every resource has arrived). Only a new way of listing a judged URL (another #fragment or
    declared cost) fetches it again."""

    def __init__(self, hosts: _Hosts, held: Collection[str], deliver: Callable[[Checked], None]) -> None:
        self.hosts, self.held_urls, self.deliver = hosts, held, deliver
        self.arrived = False  # every resource is in the plan (complete())
        self.jobs: dict[str, _Job] = {}  # URL -> its job, until judged
        self.done: dict[str, dict[Use, Outcome]] = {}  # URL -> its verdicts, while resources arrive
        self.held: dict[str, list[_Use]] = {}
        self.answers: Mapping[str, Outcome] | None = None  # the held URLs' verdicts, once known
        self.pending: dict[str, _Pending] = {}
        self.host_names: set[str] = set()  # every host listed, held URLs' included

    def add(self, resources: Iterable[Resource]) -> None:
        for resource in resources:
            entry = _Pending(resource, skipped(resource) if resource.url is None else None)
            fetch: list[tuple[str, int | None]] = [] if resource.url is None else [(str(resource.url), None)]
            fetch += [(entry.secondary[i].target, i) for i in checkable_links(entry.secondary)]
            entry.waiting = len(fetch)
            if entry.waiting == 0:
                self.deliver(entry.checked())
                continue
            self.pending[resource.id] = entry
            for listed, index in fetch:
                url, fragment = split_fragment(listed)
                use = _Use(resource, fragment, index)
                if listed in self.held_urls:
                    self.host_names.add(host_of(url))
                    if self.answers is None:
                        self.held.setdefault(url, []).append(use)
                        continue
                    if (answer := self.answers.get(url)) is not None:
                        self.judged(use, answer)
                        continue
                self.use(url, use)

    def use(self, url: str, use: _Use) -> str | None:
        """Fetch url for this use (its host, whose queue got the job), or judge the use with the job
        already there (None)."""
        if (job := self.jobs.get(url)) is not None:
            job.uses.append(use)
            return None
        verdicts = self.done.get(url)
        if verdicts is not None and (verdict := verdicts.get((use.fragment, use.cost))):
            self.judged(use, verdict)
            return None
        job = self.jobs[url] = _Job(url, [use])
        host = host_of(url)
        self.host_names.add(host)
        self.hosts.offer(host, job)
        return host

    def complete(self) -> None:
        """Every resource has arrived: no use will join a judged URL any more."""
        self.arrived = True
        self.done.clear()

    def answered(self, answers: Mapping[str, Outcome]) -> set[str]:
        """The held URLs' verdicts: the answered ones take theirs, the others are fetched after all (the
        hosts they are queued on)."""
        self.answers = answers
        held, self.held = self.held, {}
        queued: set[str] = set()
        for url, uses in held.items():
            for use in uses:
                if (answer := answers.get(url)) is not None:
                    self.judged(use, answer)
                elif host := self.use(url, use):
                    queued.add(host)
        return queued

    def settle(self, job: _Job, verdicts: dict[Use, Outcome]) -> None:
        self.jobs.pop(job.url, None)
        if not self.arrived:
            self.done[job.url] = verdicts
        for use in job.uses:
            self.judged(use, verdicts[use.fragment, use.cost])

    def judged(self, use: _Use, outcome: Outcome) -> None:
        entry = self.pending[use.resource.id]
        if use.link is None:
            entry.outcome = outcome
        else:
            entry.links[use.link] = LinkVerdict(entry.secondary[use.link].title, outcome)
        entry.waiting -= 1
        if entry.waiting == 0:
            del self.pending[use.resource.id]
            self.deliver(entry.checked())


@dataclass
class Crawl:
    """Fetch and judge the planned resources; iterate over `results()` for a `Checked` per resource as
    each finishes (each distinct URL is fetched once, whichever resources and links list it). Afterwards
    `watch` says whether the network looked down.

    resources: a list, or batches still arriving (a catalogue being validated): each batch is crawled as
    it comes, and the crawl ends once the last is done. An error raised while they arrive ends the crawl
    with that error.
    held: listed URLs (without a fragment) another source may judge without a fetch, a forge's API:
    they wait for `answers()` (listed URL -> verdict) while every other URL is crawled; those it does
    not answer are fetched then, the others take its verdict for every resource and link listing them.
    With batches, held is read as each batch arrives (its caller may add to it before yielding one).
    stop: set it (a signal) to end early; finished outcomes are still yielded, in-flight fetches dropped
    (a resource whose own URL was judged is yielded with the links judged so far).
    controls: other URLs of the catalogue (hosts to exclude -> URLs) asked, recording nothing, when a
    small run cannot tell a dead host from a dead network on its own.
    underway: called once the first requests are out and the judgement is rehearsed (a few turns of the
    loop after the crawl starts, before their answers are back): the moment for work that can wait.
    """

    resources: Sequence[Resource] | AsyncIterable[Sequence[Resource]]
    config: Config
    fetcher: Fetcher
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    controls: Callable[[set[str]], Awaitable[list[str]]] = lambda _exclude: _nothing()
    held: Collection[str] = frozenset()
    answers: Callable[[], Awaitable[Mapping[str, Outcome]]] = lambda: _answers_none()
    underway: Callable[[], None] = lambda: None
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
        give_up = asyncio.Event()  # set when the network is certainly down, or on stop
        judging: set[asyncio.Task[None]] = set()  # pages fetched, being judged
        errors: list[BaseException] = []
        watch = self.watch = NetworkWatch(planned_hosts=0, ratio=config.check.inconclusive_ratio)

        async def work(host: str, queue: deque[_Job]) -> None:
            while queue and not give_up.is_set():
                await one(host, queue.popleft())

        hosts = _Hosts(fetcher, work, stop, give_up)
        plan = _Plan(hosts, self.held, deliver)

        def planned(resources: Iterable[Resource]) -> None:
            plan.add(resources)
            watch.planned_hosts = len(plan.host_names)

        async with fetcher:
            crawler = Crawler(config, fetcher)

            async def judge(job: _Job, fetched: Fetched) -> None:
                await asyncio.shield(rehearsal)  # compiled once, in its thread, not again on the loop
                verdicts = await crawler.judge(job.url, fetched, job.listed())
                while more := [use for use in job.listed() if use not in verdicts]:  # joined meanwhile
                    verdicts.update(await crawler.judge(job.url, fetched, more))
                plan.settle(job, verdicts)

            async def one(host: str, job: _Job) -> None:
                fetched = await fetcher.fetch(job.url, anchors=any(use.fragment for use in job.uses))
                watch.note(host, fetched)
                if plan.arrived and watch.doomed():  # the hosts not tried yet are known
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

            async def arrive() -> None:
                if isinstance(self.resources, Sequence):
                    planned(self.resources)
                else:
                    async for batch in self.resources:
                        planned(batch)
                        if stop.is_set():
                            return
                plan.complete()
                if watch.doomed():
                    give_up.set()

            async def answered_later() -> None:
                answers = await self._answers() if self.held else None
                if answers is None:
                    return
                queued = plan.answered(answers)
                if give_up.is_set() and not stop.is_set():
                    # The network went down while they waited: each of their hosts is tried once, as every
                    # host of the crawl was, so that an outage's run states every resource it can.
                    await asyncio.gather(*(one(host, hosts.queues[host].popleft()) for host in queued))

            async def planning() -> None:
                try:
                    await _all(arrive(), answered_later())
                finally:
                    hosts.close()

            # The judgement's patterns compile while the first requests are out, not when the first
            # answer arrives: that would hold up every host's first answer, and so its next request.
            rehearsal = asyncio.ensure_future(_rehearsed(self.underway))
            try:
                await _all(hosts.run(), planning())
                await rehearsal
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
                    for host, queue in hosts.queues.items():
                        while (kind := watch.failed.get(host)) is not None and queue:
                            job = queue.popleft()
                            why = f"not tried again: {host} failed ({kind}) and the network looks down"
                            fetched = Fetched(job.url, failure=Failure(kind, why, network=True))
                            plan.settle(job, await crawler.judge(job.url, fetched, job.listed()))
            finally:
                rehearsal.cancel()
                for task in judging:
                    task.cancel()  # stopped, or a bug: their pages are dropped like the fetches in flight
                # Stopped or given up: a resource whose own URL was judged goes with the links judged so far.
                for entry in list(plan.pending.values()):
                    if entry.outcome is not None:
                        deliver(entry.checked())
                plan.pending.clear()
            if watch.needs_controls() and not stop.is_set():
                # A small run (a few due resources, --resource) cannot tell a dead host from a dead
                # network on its own: ask a few other hosts of the catalogue, recording nothing.
                controls = await self.controls(plan.host_names)
                fetched_controls = await asyncio.gather(*(fetcher.fetch(url) for url in controls))
                for url, fetched in zip(controls, fetched_controls, strict=True):
                    watch.note_control(host_of(url), fetched)


async def _rehearsed(then: Callable[[], None]) -> None:
    """The judgement rehearsed once the first requests are out (their connects and writes take a few turns
    of the loop) and before their answers are back: 0.04 s off the crawl core's 2,000 URLs on loopback.
    In a thread: compiling the patterns takes 0.05-0.2 s, and on the event loop it held up the first
    answers (and so each host's next request) by as much. Then the crawl is under way: `then()`."""
    for _ in range(REHEARSAL_TURNS):
        await asyncio.sleep(0)
    await asyncio.to_thread(rehearse)
    then()


async def _nothing() -> list[str]:
    return []


async def _answers_none() -> Mapping[str, Outcome]:
    return {}


async def _all(*steps: Awaitable[None]) -> None:
    """Run the steps concurrently; the first error cancels the others and is raised as it is."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Hosts:
    """Work through the hosts' queues as they fill, until closed and done, stopped, or given up.

    Each host gets up to its per-host limit of workers (`work(host, queue)` takes jobs until the queue
    is empty), and hosts are taken on while the requests their workers are expected to have in flight fit
    under the global cap, so the cap is never what paces a run that has room. A worker spends most of its
    time waiting out its host's gap when the gap is longer than an exchange (the default 250 ms against
    ~100 ms): n workers of a host with gap g keep min(n, exchange / g) requests in flight, the exchange
    time being the fetcher's running estimate. Worker tasks stay under the fetcher's `workers_allowed`.
    The hosts with the longest politeness bound (URLs x their gap or latency share) start first: on a skewed
    list the busiest host sets the end of the run and the others finish in its shadow. A host whose queue
    fills again after its workers left gets new ones. A fetcher with a `depth` above 1 (a fetch process's)
    gets that many workers for each request a host may have in flight: the extra ones wait in that fetcher,
    which holds them to the host's limits itself, so a host's next request goes out as its last answer
    arrives there rather than after a round trip through this loop.
    """

    def __init__(
        self,
        fetcher: Fetcher,  # its config's limits (the ones it enforces), exchange time and worker bound
        work: Callable[[str, deque[_Job]], Awaitable[None]],
        stop: asyncio.Event,
        give_up: asyncio.Event,
    ) -> None:
        self.fetcher, self.config = fetcher, fetcher.config
        self.work, self.stop, self.give_up = work, stop, give_up
        self.cap = max(1, self.config.check.concurrency)
        self.load = 0.0  # requests the running workers are expected to keep in flight
        self.queues: dict[str, deque[_Job]] = {}
        self.limits: dict[str, HostLimits] = {}
        self.waiting: list[tuple[float, int, str]] = []  # a heap: (-politeness bound, order, host)
        self.keys: dict[str, float] = {}  # host -> its latest entry's key (older entries are stale)
        self.order = itertools.count()
        self.workers: dict[str, int] = {}
        self.tasks: dict[asyncio.Task[None], tuple[str, float]] = {}  # worker -> its host, its load share
        self.slots = 0
        self.closed = False
        self.changed = asyncio.Event()

    def offer(self, host: str, job: _Job) -> None:
        queue = self.queues.get(host)
        if queue is None:
            queue = self.queues[host] = deque()
            self.limits[host] = self.config.host_limits(host)
        queue.append(job)
        if self.workers.get(host, 0) < self._most_workers(host):
            self._wait(host)

    def _wait(self, host: str) -> None:
        """The host waits for workers, ranked by its politeness bound (its queue x its pace) now."""
        key = self.keys[host] = -len(self.queues[host]) * _pace_s(self.limits[host])
        heapq.heappush(self.waiting, (key, next(self.order), host))
        self.changed.set()

    def close(self) -> None:
        self.closed = True
        self.changed.set()

    def _launch(self) -> None:
        while self.waiting and not self.give_up.is_set():
            key, _, host = self.waiting[0]
            if self.keys.get(host) != key:
                heapq.heappop(self.waiting)  # stale: the host was ranked again since
                continue
            workers = self.workers.get(host, 0)
            n = min(self._most_workers(host) - workers, len(self.queues[host]), self.cap)
            share = self._in_flight(host, workers + n) / (workers + n) if n > 0 else 0.0  # per worker
            # 1e-9: the load is a sum of floats (twenty 0.4s must fit under a cap of 8)
            fits = (
                self.load + n * share <= self.cap + 1e-9
                and self.slots + n <= self.fetcher.workers_allowed * self.fetcher.depth
            )
            if n > 0 and self.slots and not fits:
                return
            heapq.heappop(self.waiting)
            del self.keys[host]
            if n <= 0:
                continue
            self.slots += n
            self.load += n * share
            self.workers[host] = workers + n
            for _ in range(n):
                self.tasks[asyncio.create_task(self.work(host, self.queues[host]))] = (host, share)

    def _most_workers(self, host: str) -> int:
        """A worker per request the host may have in flight, times the fetcher's depth."""
        return self.limits[host].per_host * self.fetcher.depth

    def _in_flight(self, host: str, workers: int) -> float:
        """Requests `workers` workers of a host keep in flight: each one's exchange, unless the host's gap
        spaces them out more (and never more than the host's limit: the others wait in the fetcher)."""
        limits = self.limits[host]
        most = float(min(workers, limits.per_host))
        return min(most, self.fetcher.exchange_s / limits.gap_s) if limits.gap_s > 0 else most

    def _finished(self, host: str, share: float) -> None:
        self.slots -= 1
        self.load -= share
        self.workers[host] -= 1
        if self.queues[host] and not self.give_up.is_set():
            self._wait(host)  # filled again as the worker left

    async def run(self) -> None:
        stopped = asyncio.ensure_future(self.stop.wait())
        try:
            while True:
                self._launch()
                if not self.tasks and (self.closed or self.give_up.is_set()):
                    return
                self.changed.clear()
                changed = asyncio.ensure_future(self.changed.wait())
                try:
                    done, _ = await asyncio.wait(
                        {*self.tasks, stopped, changed}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    changed.cancel()
                for task in done & self.tasks.keys():
                    # Counted out here, before the next launch (not in a done callback, which runs a turn
                    # later: a host still waiting could find no room, and the run end without it).
                    self._finished(*self.tasks.pop(task))
                    task.result()  # a bug or a store error ends the run here
                if self.stop.is_set():
                    self.give_up.set()
                    for task in self.tasks:
                        task.cancel()  # in-flight fetches of an interrupted run are dropped, not waited for
                    await asyncio.gather(*self.tasks, return_exceptions=True)
                    self.tasks.clear()
                    return
        finally:
            stopped.cancel()
            for task in self.tasks:
                task.cancel()


def _pace_s(limits: HostLimits) -> float:
    """Seconds per URL a host is held to by politeness alone (its gap; a nominal 0.1 s latency share)."""
    return max(limits.gap_s, NOMINAL_EXCHANGE_S / limits.per_host)
