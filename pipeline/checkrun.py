"""One check run: plan the resources from the catalogue and their health, drive the crawl core, record
what it yields in batches, and conclude the run in the store (complete, interrupted or inconclusive).

    check(CheckJob) -> CheckReport                          `roadmap check`: load, lock, open, sync, check
    run_check(engine, catalogue, request) -> CheckReport    one run on an open store (sync; stops on signals)
    check_catalogue(...)                                    the same, async
    locked_store(url, catalogue_dir, command)               the run lock, the store open and up to date, and
                                                            runs a killed process left "running" aborted

The crawler (pipeline.crawl) never touches the store: it yields (resource, outcome) and this module
records them, RECORD_BATCH at a time or every RECORD_SECONDS, one transaction each, so a killed run keeps
what it finished and the database stays consistent; a thread of the Recorder's writes them, so the event
loop (every host's next request) never waits for the SQL.

The crawl does not wait for the catalogue's validation or the store. `roadmap check` crawls each resource
as soon as its file is validated (validation and crawl take turns on the event loop; an error in any file
stops the crawl, and nothing is recorded). The run lock is taken first (held by another run: nothing is
fetched). Once the crawl's first requests are out, a thread waits for the validated catalogue, then
imports the store's modules and opens the store (migrations, sync); the run's results wait in the
recorder until it is ready; repository links the forges' APIs may answer wait for that answer (it needs
the store's cached facts) while every other host is crawled. So the store's modules (SQLAlchemy) are
imported where they are used, not here: that thread imports them (see StoreOpening). A store that cannot
be opened (a bad URL, a failed migration) stops the crawl at once and its error is the run's; nothing is
recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, aclosing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from pipeline.catalogue.textlinks import ListLink, list_links
from pipeline.clock import utcnow
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.fetchprocess import FetchProcess
from pipeline.crawl.fetchprocess import wanted as fetch_process_wanted
from pipeline.crawl.remote import RemoteFetcher
from pipeline.crawl.runner import Crawl, host_of, split_fragment
from pipeline.crawl.suggest import DeadLink, suggest_repairs
from pipeline.errors import UsageError
from pipeline.forge_check import ForgeStep, answer_repository_links, repository_links
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource
from pipeline.quality.state import NOT_FREE_STATUSES, is_broken
from pipeline.signals import stop_on_signals
from pipeline.status import FAILURES, TEMPORARY_STATUSES, LinkVerdict, Outcome, Status, counts_text, tally
from pipeline.validate import CatalogueLoading, load_valid_catalogue
from pipeline.wording import plural

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipeline.config import RecheckConfig
    from pipeline.store.health import RunInfo

Progress = Callable[[str, Outcome], None]

CONTROL_HOSTS = 3  # other hosts of the catalogue asked when too few hosts were tried to judge the network
RECORD_BATCH = 200  # results per transaction at most
RECORD_SECONDS = 1.0  # and no result waits longer than this to be recorded
LOAD_SLICE_S = 0.002  # validation of a catalogue being crawled runs this long between two turns of the loop
# The garbage collector's thresholds while a run crawls (Python's are 700, 10, 10): a young collection
# every 10,000 allocations, a full one a hundred times rarer than the default. Cycles are still freed.
RUN_GC_THRESHOLDS = (10_000, 20, 100)
FREEZE_EVERY = 1_000  # resources validated during a run between two freezes of what they built (_arriving)


@dataclass(frozen=True)
class CheckRequest:
    resource_ids: tuple[str, ...] | None = None  # None: every resource
    only_failing: bool = False  # only resources failing in their latest result, own link or secondary ones
    allow_private_addresses: bool = False  # tests; never in production
    trigger: str = "manual"
    # Also the links of the list's own text (its introduction, the sections' prose): every run that is
    # not about chosen resources (`roadmap check ID...` sets it False); with only_failing, the failing ones.
    list_links: bool = True


@dataclass(frozen=True)
class ListLinkVerdict:
    """The verdict on a link of the list's own text (catalogue.textlinks.list_links)."""

    link: ListLink
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        where = {"title": self.link.title, "section": self.link.section, "resource": self.link.resource}
        return {**where, **self.outcome.to_json()}


@dataclass(frozen=True, repr=False)
class CheckReport:
    run: RunInfo
    outcomes: dict[str, Outcome]  # resource id -> verdict, in catalogue order
    inconclusive: bool  # the network looked down: no health was changed
    interrupted: bool  # stopped before the end (signal): the run is concluded "interrupted"
    message: str
    # resource id -> the verdicts on its secondary links (only resources that have some)
    links: dict[str, tuple[LinkVerdict, ...]] = field(default_factory=dict)
    list_links: tuple[ListLinkVerdict, ...] = ()  # the links of the list's own text, in its order

    def __repr__(self) -> str:
        """Short, whatever the size of the run. asyncio.run() formats the repr of its task, and so of the
        report it returns, when it restores the SIGINT handler (Python 3.11's signal.getsignal builds an
        error message from it): the full repr of 100,000 verdicts was a 50 MB string, the peak memory of
        the run and 0.4 s."""
        return (
            f"CheckReport(run={self.run.id}, {len(self.outcomes)} outcomes, {len(self.links)} with links, "
            f"inconclusive={self.inconclusive}, interrupted={self.interrupted}, message={self.message!r})"
        )


@contextmanager
def locked_store(
    database_url: str | None,
    catalogue_dir: Path,
    command: str,
) -> Iterator[Engine]:
    """Hold the run lock, open the store (migrated), and abort the runs a killed process left "running"
    (safe only now: nobody else can be running). The one way into a run's lifecycle."""
    from pipeline.lock import run_lock
    from pipeline.store.location import resolve_database_url

    url = resolve_database_url(database_url, catalogue_dir)
    with run_lock(url, command=command), _opened_store(url, catalogue_dir) as engine:
        yield engine  # one run at a time: a second check or nightly exits 2


@contextmanager
def _opened_store(url: str, catalogue_dir: Path) -> Iterator[Engine]:
    """The store open and up to date, its stale runs aborted; the caller holds the run lock."""
    from pipeline.store.engine import open_store
    from pipeline.store.runs import abandon_stale_runs

    engine = open_store(url, catalogue_dir)
    try:
        abandon_stale_runs(engine)
        yield engine
    finally:
        engine.dispose()


@dataclass(frozen=True)
class CheckJob:
    """What `roadmap check` asks for."""

    catalogue_dir: Path
    database_url: str | None = None
    request: CheckRequest = field(default_factory=CheckRequest)


def check(
    job: CheckJob,
    *,
    progress: Callable[[int], AbstractContextManager[Progress | None]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    fetch_process: FetchProcess | None = None,
) -> CheckReport:
    """`roadmap check`: load and validate the catalogue, then check it while a thread takes the lock and
    opens and syncs the store (the crawl does not wait for it; see the module's docstring).

    progress(total) gives a context manager yielding a per-result callback (or None); transport: tests;
    fetch_process: see run_check (the caller ends it if the run never starts).
    """
    request = job.request
    catalogue: Catalogue | CatalogueLoading
    if request.resource_ids is None and not request.only_failing:
        # Every resource: the crawl starts on the first files while the rest is validated.
        catalogue = CatalogueLoading(job.catalogue_dir)
        if catalogue.config is None:
            catalogue.catalogue()  # config.yaml is invalid: its CatalogueError, before anything runs
    else:
        catalogue = load_valid_catalogue(job.catalogue_dir)  # invalid: CatalogueError, nothing else runs
    showing = progress(planned_size(catalogue, request)) if progress is not None else contextlib.nullcontext()
    with _opened_in_background(job, catalogue) as store, showing as advance:
        return run_check(
            store, catalogue, request, progress=advance, transport=transport, fetch_process=fetch_process
        )


def planned_size(catalogue: Catalogue | CatalogueLoading, request: CheckRequest) -> int:
    """How many resources a run checks at most: the ones it names, or every one (a catalogue still
    loading counts its resource files)."""
    if request.resource_ids:
        return len(request.resource_ids)
    return catalogue.size if isinstance(catalogue, CatalogueLoading) else len(catalogue.resources)


class StoreOpening(Future["Engine"]):
    """The store a thread opens once the crawl is under way: a future of its engine, migrated and synced.

    The thread begins only once `begin()` is called: when the crawl's first requests are out, or earlier
    if the run needs the store. It waits for the validated catalogue, then imports the store's modules,
    migrates and syncs. Its work is Python that holds the interpreter's lock: started with the crawl, it
    delayed every host's first answers and second requests (0.1 s of a 2,000-URL run through the CLI, 6
    alternating runs each). Its imports (a second of CPU on a slow core) beside the validation of the
    files, which the crawl takes its URLs from, made that several times slower: bench_crawl.py's 2,000
    files took 2.3-2.7 s, and take 1.1-2.0 s with the imports after them."""

    def __init__(self) -> None:
        super().__init__()
        self.wanted = threading.Event()

    def begin(self) -> None:
        self.wanted.set()


@contextmanager
def _opened_in_background(job: CheckJob, catalogue: Catalogue | CatalogueLoading) -> Iterator[StoreOpening]:
    """The run lock, taken now (held by another run: LockedError, and nothing is fetched), then the store
    migrated and synced by a thread once the run calls `begin()`. A catalogue still loading is waited for
    before the store is opened (an invalid one opens nothing). The lock and the engine are released when
    the block ends (after the thread is done, whatever happened); a run that ended without asking for
    the store opens nothing."""
    from pipeline.lock import run_lock
    from pipeline.store.location import resolve_database_url

    url = resolve_database_url(job.database_url, job.catalogue_dir)
    opened = StoreOpening()

    def open_and_sync() -> None:
        opened.wanted.wait()
        if opened.cancelled():  # the run ended without waiting for it
            return
        try:
            # The catalogue first, then the imports: see StoreOpening (an invalid one imports nothing).
            whole = _whole(catalogue)
            from pipeline.store.sync import sync_catalogue

            engine = stack.enter_context(_opened_store(url, job.catalogue_dir))
            sync_catalogue(engine, whole)
            if opened.set_running_or_notify_cancel():  # False: the run ended without waiting for it
                opened.set_result(engine)
        except BaseException as error:  # the run raises it where it waits for the store
            with contextlib.suppress(InvalidStateError):  # unless it ended without waiting for it
                opened.set_exception(error)

    with ExitStack() as stack:
        stack.enter_context(run_lock(url, command="roadmap check"))  # closed last: after the store
        thread = threading.Thread(target=open_and_sync, name="roadmap-store", daemon=True)
        thread.start()
        try:
            yield opened
        finally:
            opened.begin()  # never left waiting
            thread.join()


def plan(catalogue: Catalogue, request: CheckRequest, engine: Engine | None) -> list[Resource]:
    """The resources this run checks, in catalogue order (the store is read for --only-failing only)."""
    resources = list(catalogue.resources)
    if request.resource_ids is not None:
        known = {r.id for r in resources}
        unknown = [rid for rid in request.resource_ids if rid not in known]
        if unknown:
            raise UsageError(f"no resource with id {', '.join(repr(u) for u in unknown)} in the catalogue")
        wanted = set(request.resource_ids)
        resources = [r for r in resources if r.id in wanted]
    if request.only_failing:
        from pipeline.store.health import health_summaries
        from pipeline.store.links import link_health

        assert engine is not None
        summaries = health_summaries(engine)
        # A resource whose own link works but one of its secondary links failed last time is asked again.
        failing_links = {
            rid for rid, links in link_health(engine, 1).items() if any(h.status.is_failure for h in links)
        }
        resources = [
            r
            for r in resources
            if r.id in failing_links
            or (
                (s := summaries.get(r.id)) is not None
                and (s.consecutive_failures > 0 or (s.status is not None and not s.status.is_healthy))
            )
        ]
    return resources


LIST_LINK_ID = "~list-link-"  # the crawl's id for a link of the list's text (no catalogue id has a "~")


def list_link_plan(catalogue: Catalogue, request: CheckRequest, engine: Engine | None) -> dict[str, ListLink]:
    """The links of the list's own text this run checks, by the id the crawl knows each by (the store is
    read for --only-failing only: then the ones whose latest verdict failed)."""
    if not request.list_links:
        return {}
    links = list_links(catalogue)
    if request.only_failing:
        from pipeline.store.links import list_link_health

        assert engine is not None
        failing = {h.health.url for h in list_link_health(engine, 1) if h.health.status.is_failure}
        links = tuple(link for link in links if link.target in failing)
    return {f"{LIST_LINK_ID}{n}": link for n, link in enumerate(links)}


def _as_resources(planned: dict[str, ListLink]) -> list[Resource]:
    """The links of the list's text as the crawl takes them: entries of their own, with no declared cost
    (a wall on a page the list's text cites is no broken promise)."""
    return [
        Resource(rid, link.title, link.section or "", n, url=link.target)
        for n, (rid, link) in enumerate(planned.items())
    ]


def control_urls(catalogue: Catalogue, engine: Engine, exclude: set[str]) -> list[str]:
    """One URL on each of up to CONTROL_HOSTS other hosts, the ones last seen healthy first."""
    from pipeline.store.health import health_summaries

    summaries = health_summaries(engine)

    def last_seen_healthy(resource: Resource) -> bool:
        summary = summaries.get(resource.id)
        return summary is not None and summary.status is not None and summary.status.is_healthy

    chosen: dict[str, str] = {}
    for resource in sorted(catalogue.resources, key=lambda r: not last_seen_healthy(r)):
        if resource.url is None:
            continue
        url, _ = split_fragment(resource.url)
        host = host_of(url)
        if host and host not in exclude and host not in chosen:
            chosen[host] = url
        if len(chosen) == CONTROL_HOSTS:
            break
    return list(chosen.values())


class Recorder:
    """Results of one run on their way into the store: buffered, written `batch` at a time or once the
    oldest has waited `seconds` (a ticker task flushes while the crawl is quiet). Until the run is in the
    store (`begin`), they wait here. recheck: the run's config.recheck, with which each batch is folded as
    it is written (pipeline.store.runs.record_results), so that concluding the run is quick.

    The writes happen in a thread of their own, in the order they were handed over, one transaction per
    batch: a batch takes 20-40 ms of SQL, and the results that waited for the store take seconds at
    100,000 resources; on the event loop each would hold up every host's next request. A write that
    failed raises its error at the next flush (or add that flushes), and no later batch is written after
    it. close() ends the thread, once what was handed over is written."""

    def __init__(
        self,
        engine: Engine | None = None,
        run_id: int | None = None,
        *,
        batch: int = RECORD_BATCH,
        seconds: float = RECORD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        recheck: RecheckConfig | None = None,
    ) -> None:
        self.engine, self.run_id, self.batch, self.seconds, self.clock = engine, run_id, batch, seconds, clock
        self.recheck = recheck
        self.pending: list[tuple[str, Outcome, datetime, tuple[LinkVerdict, ...]]] = []
        self.oldest = 0.0
        self._writer: ThreadPoolExecutor | None = None  # started by the first write
        self._writes: deque[Future[None]] = deque()  # handed over, not known to be written yet
        self._failed = False  # a write failed: the writer writes nothing more

    def begin(self, engine: Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id

    def add(self, resource_id: str, outcome: Outcome, links: tuple[LinkVerdict, ...] = ()) -> None:
        if not self.pending:
            self.oldest = self.clock()
        self.pending.append((resource_id, outcome, utcnow(), links))
        if len(self.pending) >= self.batch or self.clock() - self.oldest >= self.seconds:
            self.flush()

    def flush(self, *, wait: bool = False) -> None:
        """Hand what is pending to the writer; wait: return once all of it is in the store. Either way,
        the error of a write that failed meanwhile is raised here."""
        while self._writes and (wait or self._writes[0].done()):
            self._writes.popleft().result()
        if self.engine is None or self.run_id is None or not self.pending:
            return  # the store is still being opened, or nothing is pending
        pending, self.pending = self.pending, []
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="roadmap-recorder")
        self._writes.append(self._writer.submit(self._write, self.engine, self.run_id, pending))
        if wait:
            self._writes.popleft().result()

    def _write(self, engine: Engine, run_id: int, pending: list[Any]) -> None:
        """In the writer's thread. What waited for the store (every result so far, when validating a large
        catalogue took long) goes in transactions of `batch` too: one statement for all of them would
        hold its rows twice."""
        from pipeline.store.runs import record_results

        for start in range(0, len(pending), self.batch):
            if self._failed:
                return
            try:
                record_results(engine, run_id, pending[start : start + self.batch], self.recheck)
            except BaseException:
                self._failed = True
                raise

    def close(self) -> None:
        """End the writer's thread, once what was handed over is written (its errors are not raised)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)

    async def tick(self) -> None:
        """Flush what waited long enough, until cancelled."""
        while True:
            await asyncio.sleep(self.seconds)
            if self.pending and self.clock() - self.oldest >= self.seconds:
                self.flush()


def summary(outcomes: dict[str, Outcome], *, complete: bool) -> str:
    counts = tally(((o.status, o.network_failure) for o in outcomes.values()), run_complete=complete)
    return f"checked {plural(len(outcomes), 'resource')}: {counts_text(counts) or 'nothing to do'}"


async def check_catalogue(
    engine: Engine | Future[Engine],
    catalogue: Catalogue | CatalogueLoading,
    request: CheckRequest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    fetcher: Fetcher | RemoteFetcher | None = None,
    record_batch: int = RECORD_BATCH,
    freeze_loaded: bool = False,
) -> CheckReport:
    """Check the planned resources and conclude the run (complete, interrupted or inconclusive).

    engine: the store, open and synced, or a future of it (a thread opening it once the crawl's first
    requests are out, see StoreOpening).
    catalogue: validated, or still loading (every resource is checked: the crawl takes each one as its file
    is validated, and an invalid catalogue ends it with CatalogueError; the store must wait for it).
    fetcher: one of the caller's (tests; a fetch process's RemoteFetcher, which the caller closes).
    freeze_loaded: the caller froze the objects alive when the run began (run_check): a catalogue still
    loading joins them as it is validated (see _arriving)."""
    loading = catalogue if isinstance(catalogue, CatalogueLoading) else None
    config = catalogue.config
    assert config is not None
    began = utcnow()
    begin = engine.begin if isinstance(engine, StoreOpening) else _nothing_to_begin
    store: asyncio.Future[Engine] = (
        asyncio.wrap_future(engine) if isinstance(engine, Future) else _ready(engine)
    )
    if loading is None:
        assert isinstance(catalogue, Catalogue)
        if request.only_failing:
            begin()  # the plan reads the store
        resources = plan(catalogue, request, await store if request.only_failing else None)
        listed = list_link_plan(catalogue, request, await store if request.only_failing else None)
        entries = resources + _as_resources(listed)
        repositories = repository_links(config, entries)  # listed once: the crawl holds them, forges ask
        arriving: list[Resource] | AsyncIterator[list[Resource]] = entries
    else:
        resources, repositories, listed = [], {}, {}

        def last(whole: Catalogue) -> list[Resource]:  # once every file is valid: the list's text
            listed.update(list_link_plan(whole, request, None))
            return _as_resources(listed)

        arriving = _arriving(loading, repositories, last, freeze=freeze_loaded)

    validated = partial(_whole, catalogue)  # once the store is open, a catalogue loading is done

    outcomes: dict[str, Outcome] = {}
    links: dict[str, tuple[LinkVerdict, ...]] = {}
    text_verdicts: dict[str, ListLinkVerdict] = {}  # crawl id -> verdict
    stop = stop or asyncio.Event()
    recorder = Recorder(batch=record_batch, recheck=config.recheck)

    async def start() -> Engine:
        opened = await store
        from pipeline.store.runs import start_run

        planned = len(resources) if loading is None else len(validated().resources)
        recorder.begin(opened, start_run(opened, request.trigger, planned, started_at=began))
        return opened

    async def ask_forges() -> ForgeStep:
        return await answer_repository_links(await started, config, repositories)

    async def answered_urls() -> dict[str, Outcome]:
        return (await asyncio.shield(forges)).by_url  # a crawl that stops waiting leaves the step alone

    started = asyncio.ensure_future(start())
    # A store that cannot be opened ends the crawl at once; the error is raised below, where it is awaited.
    started.add_done_callback(lambda task: task.cancelled() or task.exception() is None or stop.set())
    # Repository links a forge's API answers for need no page fetch: they wait for its answer (it needs the
    # store's cached facts) while the crawler fetches everything else, then only the unanswered ones.
    forges = asyncio.ensure_future(ask_forges())
    try:
        crawl = Crawl(
            arriving,
            config,
            fetcher or Fetcher(config, transport=transport, allow_private=request.allow_private_addresses),
            stop=stop,
            controls=lambda exclude: _control_urls(validated, started, exclude),
            held=repositories,
            answers=answered_urls,
            underway=begin,
        )
        ticker = asyncio.create_task(recorder.tick())
        try:
            async with aclosing(crawl.results()) as results:
                async for resource, outcome, link_verdicts in results:
                    if resource.id in listed:  # a link of the list's text: recorded with the run
                        text_verdicts[resource.id] = ListLinkVerdict(listed[resource.id], outcome)
                        continue
                    recorder.add(resource.id, outcome, link_verdicts)
                    outcomes[resource.id] = outcome
                    if link_verdicts:
                        links[resource.id] = link_verdicts
                    if progress is not None:
                        progress(resource.id, outcome)
        finally:
            ticker.cancel()
        begin()  # a crawl stopped at once never got under way
        if loading is not None:
            # Stopped before every file was validated: the rest is, so that the store can be opened.
            resources = list(loading.catalogue().resources)
        opened = await started
        from pipeline.store.runs import record_list_links, record_suggestions

        if stop.is_set() and not forges.done():
            step = ForgeStep()  # stopped before the forges answered: nothing of theirs to report
        else:
            step = await forges
        recorder.flush(wait=True)
        assert recorder.run_id is not None
        if not stop.is_set() and not (crawl.watch is not None and crawl.watch.looks_down()):
            # A checked repair for each link that failed (not during an outage or after a stop).
            dead = dead_links(
                opened,
                resources,
                outcomes,
                api_answered=set(step.by_resource),
                broken_after=config.check.broken_after,
            )
            record_suggestions(opened, recorder.run_id, await suggest_repairs(dead, config, crawl.fetcher))
        in_order = tuple(text_verdicts[rid] for rid in listed if rid in text_verdicts)
        if request.list_links and not (stop.is_set() and len(in_order) < len(listed)):  # all, or none
            record_list_links(opened, recorder.run_id, [verdict.to_json() for verdict in in_order])
        report = replace(
            _conclude(opened, recorder.run_id, validated(), crawl, resources, outcomes, stop.is_set()),
            links=links,
            list_links=in_order,
        )
        note = step.run.summary()  # an inconclusive run's message is about the network alone
        return (
            replace(report, message=f"{report.message}; {note}")
            if note and not report.inconclusive
            else report
        )
    except BaseException as error:
        if recorder.run_id is not None:
            assert recorder.engine is not None
            with contextlib.suppress(Exception):
                recorder.flush(wait=True)
            with contextlib.suppress(Exception):
                from pipeline.store.runs import finish_run

                conclusion = "interrupted" if outcomes else "aborted"
                finish_run(recorder.engine, recorder.run_id, conclusion, config, note=f"stopped: {error!r}")
        raise
    finally:
        recorder.close()
        if loading is not None:
            loading.abandon()  # not finished: the store's thread stops waiting for it
        for task in (started, forges):
            task.cancel()
        await asyncio.gather(started, forges, return_exceptions=True)


async def _arriving(
    loading: CatalogueLoading,
    repositories: dict[str, list[str]],
    last: Callable[[Catalogue], list[Resource]],
    freeze: bool = False,
) -> AsyncIterator[list[Resource]]:
    """The resources in batches as their files are validated, then the whole catalogue's checks
    (CatalogueError ends the crawl), then what `last` makes of the valid catalogue (the links of the
    list's text). Validation takes turns with the crawl: LOAD_SLICE_S of it, then the event loop's other
    work, so the first requests go out at once and no host's next one waits long. The repository links
    of a batch are added to `repositories` before the crawl sees it.

    freeze (the run froze what was alive at its start): gc.freeze() every FREEZE_EVERY resources and once
    the catalogue is whole. What validation builds lives as long as the run; without
    it, the collector's middle generation walked it again and again while the crawl ran, 0.22 s a time
    (every host's next request waiting) at 100,000 resources. Freezing is a constant-time move of the
    tracked objects. It takes the crawl's objects alive at that moment too: most go by reference counting
    anyway, and a cycle among them that dies later is collected after the run (run_check unfreezes)."""
    assert loading.config is not None
    config = loading.config

    def ready(batch: list[Resource]) -> list[Resource]:
        for url, owners in repository_links(config, batch).items():
            repositories.setdefault(url, []).extend(owners)
        return batch

    batch: list[Resource] = []
    since = time.perf_counter()
    for n, resource in enumerate(loading.resources(), 1):
        batch.append(resource)
        if freeze and n % FREEZE_EVERY == 0:
            gc.freeze()
        if time.perf_counter() - since >= LOAD_SLICE_S:
            yield ready(batch)
            batch = []
            await asyncio.sleep(0)
            since = time.perf_counter()
    yield ready(batch)
    whole = loading.catalogue()
    if freeze:
        gc.freeze()
    tail = last(whole)
    if tail:
        yield ready(tail)


def _whole(catalogue: Catalogue | CatalogueLoading) -> Catalogue:
    """The validated catalogue; one still loading is waited for (CatalogueError if it proves invalid)."""
    return catalogue.done.result() if isinstance(catalogue, CatalogueLoading) else catalogue


def _nothing_to_begin() -> None:
    """An open store: nothing to start."""


def _ready(engine: Engine) -> asyncio.Future[Engine]:
    future = asyncio.get_running_loop().create_future()
    future.set_result(engine)
    return future


async def _control_urls(
    catalogue: Callable[[], Catalogue], store: asyncio.Future[Engine], exclude: set[str]
) -> list[str]:
    return control_urls(catalogue(), await store, exclude)


def dead_links(
    engine: Engine,
    resources: list[Resource],
    outcomes: dict[str, Outcome],
    *,
    api_answered: set[str],
    broken_after: int,
) -> list[DeadLink]:
    """The links this run found failing (a wall on a paid resource is not a dead link), each with the
    start of its failing streak (an archived copy must be older than that) and what its failure rules
    out (api_answered: ids a forge's API answered for, so no page of theirs is fetched)."""
    from pipeline.store.health import health_summaries

    failing = [
        r
        for r in resources
        if r.url is not None
        and (o := outcomes.get(r.id)) is not None
        and o.status in FAILURES
        and o.status not in NOT_FREE_STATUSES
    ]
    if not failing:
        return []
    summaries, now = health_summaries(engine), utcnow()
    links = []
    for resource in failing:
        summary, outcome = summaries.get(resource.id), outcomes[resource.id]
        if outcome.status in TEMPORARY_STATUSES and not _dead_by_streak(summary, broken_after):
            continue  # a 503 or a timeout is not a dead link until it has failed broken_after runs
        since = summary.failing_since if summary is not None else None
        network = outcome.error_class if outcome.network_failure else None
        assert resource.url is not None
        api = resource.id in api_answered
        links.append(DeadLink(resource.id, resource.url, since or now, resource.cost, network, api))
    return links


def _dead_by_streak(summary: HealthSummary | None, broken_after: int) -> bool:
    """This run's failure makes the resource broken: the health applied so far is a failing streak that
    this run extends to broken_after (the run's own results are applied when it concludes)."""
    before = summary.consecutive_failures if summary is not None and summary.failing_since else 0
    return is_broken(Status.TIMEOUT, before + 1, broken_after)


def _conclude(
    engine: Engine,
    run_id: int,
    catalogue: Catalogue,
    crawl: Crawl,
    resources: list[Resource],
    outcomes: dict[str, Outcome],
    stopped: bool,
) -> CheckReport:
    from pipeline.store.runs import finish_run

    config, watch = catalogue.config, crawl.watch
    interrupted = stopped and len(outcomes) < len(resources)
    if watch is not None and watch.looks_down():
        run = finish_run(engine, run_id, "inconclusive", config, note=watch.message())
        message = watch.message()
        if len(outcomes) < len(resources) and not interrupted:
            message += f" (stopped after {len(outcomes)} of {len(resources)} resources)"
        return CheckReport(run, outcomes, inconclusive=True, interrupted=interrupted, message=message)
    if interrupted:
        note = f"interrupted after {len(outcomes)} of {len(resources)} resources"
        run = finish_run(engine, run_id, "interrupted", config, note=note)
        return CheckReport(run, outcomes, False, True, f"{note}; {summary(outcomes, complete=False)}")
    run = finish_run(engine, run_id, "complete", config)
    ordered = {r.id: outcomes[r.id] for r in resources if r.id in outcomes}
    return CheckReport(run, ordered, False, False, summary(ordered, complete=True))


def run_check(
    engine: Engine | Future[Engine],
    catalogue: Catalogue | CatalogueLoading,
    request: CheckRequest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    fetch_process: FetchProcess | None = None,
) -> CheckReport:
    """Synchronous entry point: SIGINT/SIGTERM stop the run gracefully (it is concluded "interrupted").

    fetch_process: a child prestarted for the run (pipeline.crawl.fetchprocess.prestart): the run fetches
    through it if it is large enough for the config's `fetch_process_from`, or ends it; either way it is
    ended when the run is. Without one, a large run starts its own.

    The objects alive now (modules, the catalogue) live as long as the run: they are frozen out of the
    garbage collector's sight for its duration, so its full collections do not walk the whole catalogue
    again and again while the crawl runs (0.4 s of GC at 2,000 resources, growing with the catalogue);
    a catalogue still loading joins them as its files are validated (check_catalogue's freeze_loaded).
    What the run itself builds up (its verdicts) is collected less often too (RUN_GC_THRESHOLDS): each
    full collection stops every host's next request, 15-90 ms apiece at 20,000 resources (0.5 s a run).
    """
    config = catalogue.config
    assert config is not None
    # A large run fetches in a second process, on a second core (prestarted: its imports overlapped ours).
    process = fetch_process
    if transport is None and fetch_process_wanted(planned_size(catalogue, request), config):
        process = process or FetchProcess.started()
    elif process is not None:
        process.discard()
        process = None
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        return _run_check(engine, catalogue, request, transport=transport, progress=progress, process=process)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # a long-running process (roadmap schedule) collects them again afterwards
        if process is not None:
            process.close()


def _run_check(
    engine: Engine | Future[Engine],
    catalogue: Catalogue | CatalogueLoading,
    request: CheckRequest,
    *,
    transport: httpx.AsyncBaseTransport | None,
    progress: Progress | None,
    process: FetchProcess | None,
) -> CheckReport:
    async def main() -> CheckReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        config = catalogue.config
        assert config is not None
        allow_private = request.allow_private_addresses
        fetcher = None if process is None else RemoteFetcher(config, process, allow_private=allow_private)
        try:
            with stop_on_signals() as signals, signals.listen(lambda _: loop.call_soon_threadsafe(stop.set)):
                return await check_catalogue(
                    engine,
                    catalogue,
                    request,
                    stop=stop,
                    transport=transport,
                    progress=progress,
                    fetcher=fetcher,
                    freeze_loaded=True,  # frozen in run_check
                )
        finally:
            if fetcher is not None:
                await fetcher.aclose()

    return asyncio.run(main())
