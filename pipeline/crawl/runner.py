"""One check run: plan the resources, fetch each distinct URL once, classify, record results as they
arrive, tell network-down from link rot, and conclude the run in the store.

    check_catalogue(engine, catalogue, request) -> CheckReport    (async; run_check is the sync wrapper)

Scheduling: URLs are grouped by host; a bounded number of hosts are worked on at once, each by at most
its per-host limit of workers, so the tasks alive stay flat however long the list is, and a host with
hundreds of URLs never starves the others of the global slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import Engine

from pipeline.config import Config
from pipeline.crawl.classify import Clues, classify
from pipeline.crawl.cost import for_resource
from pipeline.crawl.facts import Fetched, Probe
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.probe import probe_from, probe_origin, wants_probe
from pipeline.errors import UsageError
from pipeline.model import Catalogue, Resource
from pipeline.status import Evidence, Outcome, Status
from pipeline.store.health import RunInfo, health_summaries
from pipeline.store.runs import abandon_stale_runs, finish_run, record_result, start_run

Progress = Callable[[str, Outcome], None]

NETWORK_DOWN_MIN_HOSTS = 3  # fewer failing hosts than this never void a run on their own
CONTROL_HOSTS = 3  # other hosts of the catalogue asked when too few hosts were tried to judge the network
# Failures that are about our side of the network, whoever the host is.
LOCAL_NETWORK_KINDS = frozenset({"dns_temporary", "unreachable"})


@dataclass(frozen=True)
class CheckRequest:
    resource_ids: tuple[str, ...] | None = None  # None: every resource
    only_failing: bool = False  # only resources whose latest conclusive result is a failure
    allow_private_addresses: bool = False  # tests; never in production
    trigger: str = "manual"


@dataclass(frozen=True)
class CheckReport:
    run: RunInfo
    outcomes: dict[str, Outcome]  # resource id -> verdict, in catalogue order
    inconclusive: bool  # the network looked down: no health was changed
    interrupted: bool  # stopped before the end (signal): the run is partial
    message: str


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


@dataclass
class NetworkWatch:
    """Counts hosts that failed below HTTP, to tell "the network is down" from "these links died"."""

    planned_hosts: int
    ratio: float
    answered: set[str] = field(default_factory=set)  # hosts that gave any HTTP answer
    failed: dict[str, str] = field(default_factory=dict)  # host -> kind, while no answer came from it
    refused_hosts: set[str] = field(default_factory=set)  # skipped/unsafe: not attempted
    controls: dict[str, bool] = field(default_factory=dict)  # control host -> answered at HTTP level

    def needs_controls(self) -> bool:
        """Every host tried failed below HTTP, but too few of them to say the network is down."""
        return bool(self.failed) and not self.answered and not self.looks_down()

    def note_control(self, host: str, fetched: Fetched) -> None:
        failure = fetched.failure
        self.controls[host] = not (fetched.response is None and failure is not None and failure.network)

    def note(self, host: str, fetched: Fetched) -> None:
        failure = fetched.failure
        if fetched.response is not None:
            self.answered.add(host)
            self.failed.pop(host, None)
        elif failure is not None and failure.network:
            if host not in self.answered:
                self.failed[host] = failure.kind
        elif failure is not None and failure.kind in ("unsafe_address", "domain_skip", "unsupported_scheme"):
            self.refused_hosts.add(host)
        else:
            self.answered.add(host)  # reached the host (timeouts after connecting, TLS, protocol)
            self.failed.pop(host, None)

    @property
    def attempted(self) -> int:
        return len(self.answered | set(self.failed))

    def looks_down(self) -> bool:
        failed, attempted = len(self.failed), self.attempted
        if attempted and failed == attempted and all(k in LOCAL_NETWORK_KINDS for k in self.failed.values()):
            return True  # nothing answered and the failures are about our own connectivity
        if attempted and failed == attempted and self.controls and not any(self.controls.values()):
            return True  # the hosts of a small run and the control hosts all failed alike
        return failed >= NETWORK_DOWN_MIN_HOSTS and failed >= self.ratio * attempted

    def doomed(self) -> bool:
        """Down whatever the hosts not tried yet would say: finishing would only take longer."""
        failed = len(self.failed)
        return (
            failed >= NETWORK_DOWN_MIN_HOSTS
            and failed >= self.ratio * self.planned_hosts
            and not self.answered
        )

    def message(self) -> str:
        kinds = Counter(self.failed.values())
        how = ", ".join(_kind_words(kind, n) for kind, n in kinds.most_common())
        controls = (
            f", and so did {len(self.controls)} other host{'s' if len(self.controls) != 1 else ''} "
            "of the catalogue asked as a control"
            if self.controls
            else ""
        )
        return (
            f"the network looks down: {len(self.failed)} of {self.attempted} hosts failed before any HTTP "
            f"answer ({how}){controls}; no resource's health was changed"
        )


_KIND_WORDS = {  # kind -> (one, several)
    "dns": ("name not found", "names not found"),
    "dns_temporary": ("name lookup failed", "name lookups failed"),
    "connect": ("connection refused", "connections refused"),
    "unreachable": ("unreachable", "unreachable"),
    "connect_timeout": ("connect time-out", "connect time-outs"),
}


def _kind_words(kind: str, count: int) -> str:
    one, several = _KIND_WORDS.get(kind, (kind, kind))
    return f"{count} {one if count == 1 else several}"


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

    async def verdicts(
        self, url: str, uses: Iterable[tuple[str, str | None]]
    ) -> tuple[Fetched, dict[str, Outcome]]:
        """Fetch url (no fragment) once; a verdict for each use (fragment, declared cost) keyed by use."""
        fetched = await self.fetcher.fetch(url)
        host = host_of(fetched.final_url)
        rule = self.config.domain_rule(host) if host else None
        results: dict[str, Outcome] = {}
        probe: Probe | None = None
        for fragment, cost in uses:
            key = f"{fragment}\x00{cost}"
            if key in results:
                continue
            context = Clues(fragment=fragment, rule=rule)
            outcome = classify(fetched, context)
            if wants_probe(fetched, outcome):
                probe = probe or await self.probe(probe_origin(fetched))
                outcome = classify(fetched, Clues(fragment=fragment, rule=rule, probe=probe))
            results[key] = for_resource(_with_url(outcome, url, fragment), cost)
        return fetched, results


def _with_url(outcome: Outcome, url: str, fragment: str) -> Outcome:
    """The outcome names the URL as listed, fragment included."""
    from dataclasses import replace

    return replace(outcome, url=f"{url}#{fragment}" if fragment else url)


# ---------------------------------------------------------------------------------------------------
# The run.


@dataclass(frozen=True)
class _Job:
    url: str  # without fragment: the fetch key
    uses: tuple[tuple[Resource, str], ...]  # (resource, fragment)


def _plan(catalogue: Catalogue, request: CheckRequest, engine: Engine) -> list[Resource]:
    resources = list(catalogue.resources)
    if request.resource_ids is not None:
        known = {r.id for r in resources}
        unknown = [rid for rid in request.resource_ids if rid not in known]
        if unknown:
            raise UsageError(f"no resource with id {', '.join(repr(u) for u in unknown)} in the catalogue")
        wanted = set(request.resource_ids)
        resources = [r for r in resources if r.id in wanted]
    if request.only_failing:
        summaries = health_summaries(engine)
        resources = [
            r
            for r in resources
            if (s := summaries.get(r.id)) is not None
            and (s.consecutive_failures > 0 or (s.status is not None and not s.status.is_healthy))
        ]
    return resources


def _control_urls(catalogue: Catalogue, engine: Engine, exclude: set[str]) -> list[str]:
    """One URL on each of up to CONTROL_HOSTS other hosts, the ones last seen healthy first."""
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


def _skipped(resource: Resource) -> Outcome:
    return Outcome(
        url="",
        status=Status.SKIPPED,
        evidence=(
            Evidence("awaiting-url", f"no URL yet: {resource.awaiting_url or 'awaiting a verified URL'}"),
        ),
    )


def _summary(outcomes: dict[str, Outcome]) -> str:
    counts = Counter(o.status.value for o in outcomes.values())
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"checked {len(outcomes)} resource{'s' if len(outcomes) != 1 else ''}: {parts or 'nothing to do'}"


async def check_catalogue(
    engine: Engine,
    catalogue: Catalogue,
    request: CheckRequest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    fetcher: Fetcher | None = None,
) -> CheckReport:
    """Check the planned resources and conclude the run (complete, partial or inconclusive)."""
    config = catalogue.config
    resources = _plan(catalogue, request, engine)
    abandon_stale_runs(engine)
    run_id = start_run(engine, request.trigger, len(resources))
    outcomes: dict[str, Outcome] = {}
    stop = stop or asyncio.Event()

    def deliver(resource: Resource, outcome: Outcome) -> None:
        record_result(engine, run_id, resource.id, outcome)
        outcomes[resource.id] = outcome
        if progress is not None:
            progress(resource.id, outcome)

    try:
        jobs: dict[str, list[tuple[Resource, str]]] = {}
        for resource in resources:
            if resource.url is None:
                deliver(resource, _skipped(resource))
                continue
            url, fragment = split_fragment(resource.url)
            jobs.setdefault(url, []).append((resource, fragment))
        by_host: dict[str, deque[_Job]] = {}
        for url, uses in jobs.items():
            by_host.setdefault(host_of(url), deque()).append(_Job(url, tuple(uses)))

        watch = NetworkWatch(planned_hosts=len(by_host), ratio=config.check.inconclusive_ratio)
        fetcher = fetcher or Fetcher(
            config, transport=transport, allow_private=request.allow_private_addresses
        )
        give_up = asyncio.Event()  # set when the network is certainly down, or on stop
        async with fetcher:
            crawler = Crawler(config, fetcher)

            async def work(host: str, queue: deque[_Job]) -> None:
                while queue and not give_up.is_set():
                    job = queue.popleft()
                    fetched, verdicts = await crawler.verdicts(
                        job.url, [(fragment, resource.cost) for resource, fragment in job.uses]
                    )
                    watch.note(host, fetched)
                    for resource, fragment in job.uses:
                        deliver(resource, verdicts[f"{fragment}\x00{resource.cost}"])
                    if watch.doomed():
                        give_up.set()

            await _run_hosts(by_host, config, work, stop, give_up)
            if watch.needs_controls() and not stop.is_set():
                # A small run (a few due resources, --resource) cannot tell a dead host from a dead
                # network on its own: ask a few other hosts of the catalogue, recording nothing.
                controls = _control_urls(catalogue, engine, exclude=set(by_host))
                fetched_controls = await asyncio.gather(*(fetcher.fetch(url) for url in controls))
                for url, fetched in zip(controls, fetched_controls, strict=True):
                    watch.note_control(host_of(url), fetched)
        interrupted = stop.is_set() and len(outcomes) < len(resources)
        if watch.looks_down():
            run = finish_run(engine, run_id, "inconclusive", config, note=watch.message())
            message = watch.message()
            if len(outcomes) < len(resources) and not interrupted:
                message += f" (stopped after {len(outcomes)} of {len(resources)} resources)"
            return CheckReport(run, outcomes, inconclusive=True, interrupted=interrupted, message=message)
        if interrupted:
            note = f"interrupted after {len(outcomes)} of {len(resources)} resources"
            run = finish_run(engine, run_id, "partial", config, note=note)
            return CheckReport(run, outcomes, False, True, f"{note}; {_summary(outcomes)}")
        run = finish_run(engine, run_id, "complete", config)
        ordered = {r.id: outcomes[r.id] for r in resources if r.id in outcomes}
        return CheckReport(run, ordered, False, False, _summary(ordered))
    except BaseException as error:
        with contextlib.suppress(Exception):
            finish_run(
                engine, run_id, "partial" if outcomes else "aborted", config, note=f"stopped: {error!r}"
            )
        raise


async def _run_hosts(
    by_host: dict[str, deque[_Job]],
    config: Config,
    work: Callable[[str, deque[_Job]], object],
    stop: asyncio.Event,
    give_up: asyncio.Event,
) -> None:
    """Work through the hosts, a bounded number at a time, until done, stopped, or given up."""
    pending = deque(by_host.items())
    active_limit = max(1, 2 * config.check.concurrency)
    tasks: set[asyncio.Task[object]] = set()

    def per_host(host: str) -> int:
        rule = config.domain_rule(host)
        return max(1, (rule.per_host if rule and rule.per_host else None) or config.check.per_host)

    hosts_active: dict[str, int] = {}

    def launch() -> None:
        while pending and len(hosts_active) < active_limit and not give_up.is_set():
            host, queue = pending.popleft()
            n = min(per_host(host), len(queue))
            hosts_active[host] = n
            for _ in range(n):
                task = asyncio.create_task(work(host, queue))  # type: ignore[arg-type]
                task.add_done_callback(lambda _t, h=host: _finished(h))
                tasks.add(task)

    def _finished(host: str) -> None:
        hosts_active[host] -= 1
        if hosts_active[host] == 0:
            del hosts_active[host]

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


def run_check(engine: Engine, catalogue: Catalogue, request: CheckRequest, **kw: object) -> CheckReport:
    """Synchronous entry point: SIGINT/SIGTERM stop the run gracefully (it is concluded "partial")."""

    async def main() -> CheckReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread, or a platform without loop signal handlers
        try:
            return await check_catalogue(engine, catalogue, request, stop=stop, **kw)  # type: ignore[arg-type]
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
