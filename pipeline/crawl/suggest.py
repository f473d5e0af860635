"""A repair for a dead link, found and checked like any link (issue 14 §2). No database: the check run
records what this returns.

Candidates, in the order maintainers repair by hand (first that checks out wins):
  1. twin     the same address over the other scheme (https <-> http);
  2. slash    the same path with or without a trailing slash, or with or without `index.html`;
  3. archive  the newest Wayback Machine snapshot taken before the link died (the availability API,
              `repair.wayback_api` in config.yaml; empty: no archive suggestions).
Every candidate is fetched and judged by the crawler itself (the same Fetcher with its safety rules and
politeness, the same classify and soft-404 probe); only one judged `ok` is offered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.runner import Crawler, split_fragment
from pipeline.status import Status, Suggestion

WAYBACK_TIME = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class DeadLink:
    """A resource whose link failed, and since when (the archive snapshot must predate it)."""

    resource_id: str
    url: str
    died_at: datetime  # the first failing check of the streak (naive UTC, as stored)
    cost: str | None = None
    network_failure: str | None = None  # the failure's kind when the host did not answer at all (dns, ...)
    api_answered: bool = False  # a forge's API said the repository is gone: only an archived copy can help


def twin(url: str) -> str | None:
    """The same address over the other scheme."""
    parts = urlsplit(url)
    other = {"https": "http", "http": "https"}.get(parts.scheme)
    return urlunsplit(parts._replace(scheme=other)) if other else None


def slash_variants(url: str) -> list[str]:
    """The same path with or without a trailing slash, with or without `index.html` (most likely first)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    variants: list[str] = []
    if path.endswith("/index.html"):
        variants += [path[: -len("index.html")], path[: -len("/index.html")]]
    elif path.endswith("/"):
        if path != "/":
            variants.append(path.rstrip("/"))
        variants.append(path + "index.html")
    else:
        variants += [path + "/", path + "/index.html"]
    return [urlunsplit(parts._replace(path=p)) for p in variants if p and p != path]


def candidates(url: str, network_failure: str | None = None) -> list[tuple[str, str]]:
    """(kind, url) to try before the archive, in order; url without its fragment.

    A host that did not answer at all cannot serve another path: no slash variants then; and a name
    that does not resolve has no twin either (the twin is the same name on the other scheme's port).
    """
    if network_failure in ("dns", "dns_temporary"):
        return []
    found = [("twin", t)] if (t := twin(url)) else []
    if network_failure is None:
        found += [("slash", v) for v in slash_variants(url)]
    return found


def wayback_query(api: str, url: str, before: datetime) -> str:
    return f"{api}?{urlencode({'url': url, 'timestamp': before.strftime(WAYBACK_TIME)})}"


def snapshot_from(body: bytes | None, before: datetime) -> tuple[str, str] | str:
    """(snapshot url, timestamp) from an availability API answer, or why there is none to offer."""
    try:
        closest = json.loads(body or b"")["archived_snapshots"]["closest"]
        url, stamp = str(closest["url"]), str(closest["timestamp"])
        taken = datetime.strptime(stamp, WAYBACK_TIME)
    except (ValueError, KeyError, TypeError):
        return "the archive has no snapshot"
    if not closest.get("available", True) or str(closest.get("status", "200")) != "200":
        return "the archive's closest snapshot is not a working page"
    if taken > before.replace(tzinfo=None):
        return f"the archive's closest snapshot ({taken:%Y-%m-%d}) is newer than the link's death"
    return url, stamp


class Suggester:
    """Finds and checks repairs with the run's own Fetcher (use inside `async with fetcher`)."""

    def __init__(self, config: Config, fetcher: Fetcher) -> None:
        self.config, self.fetcher = config, fetcher
        self.crawler = Crawler(config, fetcher)
        # scheme://host:port -> whether the first candidate there got any HTTP answer. The others on that
        # origin wait for it: a host that drops the other scheme's packets costs one connect timeout a
        # run, not one per dead link (they all try the same twin origin at once).
        self.origins: dict[str, asyncio.Future[bool]] = {}

    async def works(self, url: str, fragment: str, cost: str | None) -> tuple[str, str] | None:
        """(the URL to offer, the evidence) when url works as a catalogue link would (judged ok), or when
        it moved for good to a page that does (the move's target is offered); None otherwise, and at
        once when an earlier candidate on the same origin got no answer at all."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        gate = self.origins.get(origin)
        if gate is not None and not await asyncio.shield(gate):
            return None
        if gate is None:  # the first candidate on its origin: the others wait for its answer
            gate = self.origins[origin] = asyncio.get_running_loop().create_future()
        answered = True  # an error or a cancellation does not close the origin
        try:
            _, verdicts = await self.crawler.verdicts(url, [(fragment, cost)])
            outcome = verdicts[fragment, cost]
            answered = not outcome.network_failure
        finally:
            if not gate.done():
                gate.set_result(answered)
        code = f" (HTTP {outcome.http_status})" if outcome.http_status else ""
        if outcome.status is Status.OK:
            return _joined(url, fragment), f"checked: ok{code}"
        if outcome.status is Status.REDIRECTED and outcome.final_url:
            return outcome.final_url, f"checked: ok{code} after a permanent redirect from {url}"
        return None

    async def archived(self, link: DeadLink, url: str) -> tuple[str, str] | None:
        api = self.config.repair.wayback_api
        if not api:
            return None
        answer = await self.fetcher.fetch(wayback_query(api, url, link.died_at))
        response = answer.response
        if response is None or response.status != 200:
            return None
        found = snapshot_from(response.body, link.died_at)
        return found if isinstance(found, tuple) else None

    async def suggest(self, link: DeadLink) -> Suggestion | None:
        url, fragment = split_fragment(link.url)
        for kind, candidate in [] if link.api_answered else candidates(url, link.network_failure):
            if found := await self.works(candidate, fragment, link.cost):
                return Suggestion(kind, *found)
        snapshot = await self.archived(link, url)
        if snapshot is not None:
            snapshot_url, stamp = snapshot
            if found := await self.works(snapshot_url, fragment, link.cost):
                offered, detail = found
                taken = datetime.strptime(stamp, WAYBACK_TIME)
                died = f"{link.died_at:%Y-%m-%d}"
                detail = f"snapshot of {taken:%Y-%m-%d}, before the link failed ({died}); {detail}"
                return Suggestion("archive", offered, detail, snapshot_at=stamp)
        return None


def _joined(url: str, fragment: str) -> str:
    return f"{url}#{fragment}" if fragment else url


async def suggest_repairs(
    links: Iterable[DeadLink], config: Config, fetcher: Fetcher
) -> dict[str, Suggestion]:
    """A checked repair for each dead link that has one, keyed by resource id (dead links without one are
    left out). Opens the fetcher for the duration."""
    links = list(links)
    if not links:
        return {}
    async with fetcher:
        suggester = Suggester(config, fetcher)
        found = await asyncio.gather(*(suggester.suggest(link) for link in links))
    return {link.resource_id: s for link, s in zip(links, found, strict=True) if s is not None}
