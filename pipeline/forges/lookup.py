"""Ask the forges about every repository link of a run, at once per forge.

    await ask_forges(urls, config, known=...) -> ForgeRun     (findings by listed URL, and what it cost)

Producers yield, callers record: this module neither reads nor writes the store. The caller passes the
answers it kept from earlier runs (`known`, for ETags) and records the new ones.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx

from pipeline.config import Config, ForgeConfig
from pipeline.forges.base import Forge, Session
from pipeline.forges.gitea import Gitea
from pipeline.forges.github import GitHub
from pipeline.forges.gitlab import GitLab
from pipeline.forges.limits import Clock, Gate, SystemClock
from pipeline.forges.model import Finding, RepoRef, not_asked

KINDS: Mapping[str, type] = {"github": GitHub, "gitlab": GitLab, "gitea": Gitea}


@dataclass(frozen=True)
class ForgeCost:
    forge: str
    repositories: int  # asked about
    requests: int  # HTTP requests sent
    not_modified: int  # of them answered 304
    points: int  # GraphQL cost the API reported
    waited_s: float  # time spent waiting for rate limits
    not_asked: int  # repositories left unasked (rate limit, unreachable, malformed answer)


@dataclass(frozen=True)
class ForgeRun:
    findings: dict[str, Finding] = field(default_factory=dict)  # listed URL -> finding
    costs: tuple[ForgeCost, ...] = ()

    def summary(self) -> str:
        answered = sum(1 for f in self.findings.values() if f.answered)
        unasked = len(self.findings) - answered
        if not self.findings:
            return ""
        requests = sum(c.requests for c in self.costs)
        text = f"forge APIs answered for {answered} of {len(self.findings)} repository links"
        text += f" ({requests} requests"
        points = sum(c.points for c in self.costs)
        text += f", {points} GraphQL points)" if points else ")"
        if unasked:
            text += f"; {unasked} not asked, fetched as pages instead"
        return text


def _scrubbed(finding: Finding, token: str) -> Finding:
    text = (finding.evidence, finding.full_name, finding.canonical_url, finding.etag)
    if not any(token in t for t in text if t):
        return finding
    evidence, full_name, canonical_url, etag = (t.replace(token, "[token]") if t else t for t in text)
    return replace(finding, evidence=evidence, full_name=full_name, canonical_url=canonical_url, etag=etag)


def forges_of(config: Config) -> list[Forge]:
    return [KINDS[s.kind](name, s) for name, s in config.forges.items() if s.enabled and s.kind in KINDS]


def match(urls: Iterable[str], forges: list[Forge]) -> dict[str, RepoRef]:
    """Listed URL -> the repository it is the home page of, for URLs some forge answers for."""
    matched: dict[str, RepoRef] = {}
    # A forge whose host names (all without a port) are none of them in the URL cannot match it: a
    # substring test spares a urlsplit per forge and URL on the many URLs of other hosts.
    screens = [
        tuple(h.lower() for h in forge.settings.hosts)
        if forge.settings.hosts and not any(":" in h for h in forge.settings.hosts)
        else None
        for forge in forges
    ]
    for url in urls:
        lowered = url.lower()
        for forge, hosts in zip(forges, screens, strict=True):
            if hosts is not None and not any(h in lowered for h in hosts):
                continue
            ref = forge.matches(url)
            if ref is not None:
                matched[url] = ref
                break
    return matched


def token_for(settings: ForgeConfig, environ: Mapping[str, str]) -> str | None:
    """The forge's token from the environment; None (unauthenticated) when unset or empty."""
    if not settings.token_env:
        return None
    return (environ.get(settings.token_env) or "").strip() or None


async def ask_forges(
    urls: Iterable[str],
    config: Config,
    *,
    known: Mapping[str, Finding] | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
) -> ForgeRun:
    """A finding for every URL some enabled forge answers for; the others are not in the result."""
    forges = forges_of(config)
    matched = match(urls, forges)
    if not matched:
        return ForgeRun()
    clock = clock or SystemClock()
    environ = os.environ if environ is None else environ
    check = config.check
    async with httpx.AsyncClient(
        transport=transport,
        follow_redirects=True,  # GitHub's REST answers a renamed repository with a redirect to its id
        timeout=httpx.Timeout(check.read_timeout_s, connect=check.connect_timeout_s),
        headers={"User-Agent": check.user_agent},
        trust_env=False,
    ) as client:

        def rotation(ref: RepoRef) -> tuple[datetime, RepoRef]:
            # Never asked first, then the longest unasked: a limit that stops a run early (60 requests an
            # hour without a token) leaves different repositories unasked each night, not the same ones.
            last = (known or {}).get(ref.url)
            return (last.answered_at if last is not None and last.answered_at else datetime.min), ref

        async def one(forge: Forge) -> tuple[dict[RepoRef, Finding], ForgeCost]:
            refs = sorted({ref for ref in matched.values() if ref.forge == forge.name}, key=rotation)
            gate = Gate(clock, forge.settings.max_wait_s)
            session = Session(client, gate, token_for(forge.settings, environ), known or {})
            findings = await forge.lookup(refs, session) if refs else {}
            for ref in refs:  # a forge that forgot one still answers for it
                findings.setdefault(ref, not_asked(ref, "malformed answer: the forge's answer left it out"))
            if session.token:  # an API that echoes the credentials must not put them into evidence
                findings = {ref: _scrubbed(f, session.token) for ref, f in findings.items()}
            cost = ForgeCost(
                forge.name,
                len(refs),
                gate.requests,
                gate.not_modified,
                gate.points,
                round(gate.waited_s, 3),
                sum(1 for f in findings.values() if not f.answered),
            )
            return findings, cost

        results = await asyncio.gather(*(one(forge) for forge in forges))
    by_ref: dict[RepoRef, Finding] = {}
    for findings, _ in results:
        by_ref.update(findings)
    return ForgeRun(
        {url: by_ref[ref] for url, ref in matched.items()},
        tuple(cost for _, cost in results if cost.repositories),
    )
