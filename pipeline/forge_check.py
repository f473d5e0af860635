"""The check run's forge step: ask the forges about repository links, record what they said, and hand
back a verdict for every link they answered (those need no page fetch).

    repository_links(config, resources) -> listed URL -> owners, for URLs a forge may answer (held)
    await answer_repository_links(engine, config, links) -> ForgeStep

An orchestrator (it reads and writes the store and calls pipeline.forges), called at one place in the
check run, beside the crawl: the crawler holds the repository URLs until this answers and fetches every
other URL meanwhile. Links the forges could not be asked about are not in `outcomes`: the crawler fetches
them then. The store is imported where it is used, so the check's crawl can start without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from pipeline.catalogue.textlinks import secondary_links
from pipeline.clock import utcnow
from pipeline.config import Config
from pipeline.forges import Answer, Finding, ForgeRun, RepoRef, ask_forges, outcome_for
from pipeline.forges.limits import Clock
from pipeline.forges.lookup import forges_of, match
from pipeline.model import Resource
from pipeline.status import Outcome

if TYPE_CHECKING:  # the store is imported where it is used: the check run's crawl starts without it
    from sqlalchemy import Engine

    from pipeline.store.forges import RepoFacts


@dataclass(frozen=True)
class ForgeStep:
    by_resource: dict[str, Outcome] = field(default_factory=dict)  # resource id -> verdict from the API
    run: ForgeRun = field(default_factory=ForgeRun)
    # listed URL -> verdict from the API, for the resources' secondary links ("Source Code") as well
    by_url: dict[str, Outcome] = field(default_factory=dict)


@cache
def _same_fields() -> tuple[str, ...]:
    """What a Finding and the stored RepoFacts both hold, under the same name and with the same meaning, so
    it is copied as it is either way (a field added to both travels with no change here). `answer` is an
    enum on one side and its value on the other; the rest of RepoFacts is converted in _facts."""
    from pipeline.store.forges import RepoFacts

    return tuple(sorted({f.name for f in fields(Finding)} & {f.name for f in fields(RepoFacts)} - {"answer"}))


def _same(source: Finding | RepoFacts) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _same_fields()}


def _finding(facts: RepoFacts) -> Finding:
    owner, _, name = facts.full_name.rpartition("/")
    return Finding(RepoRef(facts.forge, owner, name, facts.url), Answer(facts.answer), **_same(facts))


def _facts(finding: Finding) -> RepoFacts:
    from pipeline.store.forges import RepoFacts

    return RepoFacts(
        url=finding.ref.url,
        forge=finding.ref.forge,
        answer=finding.answer.value,
        **{
            **_same(finding),
            "full_name": finding.full_name or finding.ref.full_name,
            "evidence": finding.evidence[:2000],
            "answered_at": utcnow(),
            "http_status": 200 if finding.unchanged else finding.http_status,
        },
    )


async def answer_repository_links(
    engine: Engine,
    config: Config,
    links: Mapping[str, list[str]],
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
) -> ForgeStep:
    """Ask about the repository links (repository_links: listed URL -> the resources whose own URL it is),
    record the answers, and return a verdict for each resource whose repository was answered, and for
    each answered URL (a resource's own or one of its secondary links, e.g. "Source Code")."""
    if not links:
        return ForgeStep()
    from pipeline.store.forges import load_repo_facts, save_repo_facts

    known = {url: _finding(facts) for url, facts in load_repo_facts(engine).items()}
    run = await ask_forges(links, config, known=known, clock=clock, transport=transport, environ=environ)
    save_repo_facts(engine, [_facts(f) for f in run.findings.values() if f.answered])
    outcomes, by_answered_url = {}, {}
    for url, finding in run.findings.items():
        outcome = outcome_for(finding)
        if outcome is not None:
            outcomes.update(dict.fromkeys(links[url], outcome))
            by_answered_url[url] = outcome
    return ForgeStep(outcomes, run, by_answered_url)


def repository_links(config: Config, resources: Iterable[Resource]) -> dict[str, list[str]]:
    """The listed URLs some enabled forge may answer for -> the resources whose own URL it is. None with
    a fragment: the crawler checks the anchor. The crawl holds these URLs until the forges answer."""
    if not any(f.enabled for f in config.forges.values()):
        return {}
    by_url: dict[str, list[str]] = {}
    for resource in resources:
        for i, url in enumerate((resource.url, *(link.target for link in secondary_links(resource)))):
            if url is not None and "#" not in url:
                owners = by_url.setdefault(url, [])
                if i == 0:
                    owners.append(resource.id)
    return {url: by_url[url] for url in match(by_url, forges_of(config))}
