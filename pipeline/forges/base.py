"""What every forge shares: the interface, matching a web URL to a repository, REST with ETags.

Forge.matches(url) -> RepoRef | None         pure: is this the page of a repository on this forge?
await Forge.lookup(refs, session) -> {RepoRef: Finding}   every ref answered, gone or not asked
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

import httpx

from pipeline.config import ForgeConfig
from pipeline.forges.api import Refused, Reply, call
from pipeline.forges.limits import Gate
from pipeline.forges.model import Answer, Finding, RepoRef, gone, not_asked

SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")
GONE_STATUSES = frozenset({404, 410, 451})  # the API says: no such repository (deleted, private, blocked)


@dataclass
class Session:
    """What one forge's lookup may use during a run."""

    client: httpx.AsyncClient
    gate: Gate
    token: str | None  # never logged, stored or put into evidence
    known: Mapping[str, Finding] = field(default_factory=dict)  # listed URL -> the last answer (ETag)


class Forge(Protocol):
    name: str
    settings: ForgeConfig

    def matches(self, url: str) -> RepoRef | None: ...

    async def lookup(self, refs: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]: ...


def parse_time(value: Any) -> datetime | None:
    """An API timestamp (ISO 8601) as naive UTC; None when absent or not a timestamp."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def repo_segments(url: str, hosts: tuple[str, ...]) -> list[str] | None:
    """The path segments of a repository's home page on one of hosts; None for anything else."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.query or parts.fragment or parts.username:
        return None
    netloc = f"{host}:{port}" if port else host
    if netloc not in hosts and netloc.removeprefix("www.") not in hosts:
        return None
    segments = parts.path.strip("/").split("/")
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][: -len(".git")]
    if len(segments) < 2 or not all(SEGMENT.match(s) and s not in (".", "..") for s in segments):
        return None
    return segments


def auth_headers(token: str | None, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"} if token else {}


def api_message(body: Any) -> str | None:
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return body["message"][:300]
    return None


@dataclass(frozen=True)
class RestFields:
    """Where a REST API puts what we read, by field name."""

    full_name: str
    web_url: str
    archived: str
    pushed_at: str
    stars: str


def from_rest(ref: RepoRef, reply: Reply, fields: RestFields, label: str) -> Finding:
    body = reply.body
    if not isinstance(body, Mapping):
        return not_asked(ref, f"malformed answer: {label} answered HTTP {reply.status} without a JSON object")
    return repo_finding(
        ref,
        body,
        fields,
        label=label,
        lacking=f"{label}'s answer lacks {fields.full_name}/{fields.archived}",
        http_status=reply.status,
        etag=reply.etag,
    )


def repo_finding(
    ref: RepoRef,
    repo: Mapping[str, Any],
    fields: RestFields,
    *,
    label: str,
    lacking: str,
    http_status: int,
    etag: str | None = None,
    last_release_at: datetime | None = None,
) -> Finding:
    """The Finding for a repository an API described in `repo` (REST body or GraphQL node) under the names
    in `fields`; not asked (malformed answer: `lacking`) without a full name, a web URL and an archived
    flag."""
    full_name, web_url, archived = (
        repo.get(fields.full_name),
        repo.get(fields.web_url),
        repo.get(fields.archived),
    )
    if not isinstance(full_name, str) or not isinstance(web_url, str) or not isinstance(archived, bool):
        return not_asked(ref, f"malformed answer: {lacking}")
    stars = repo.get(fields.stars)
    return Finding(
        ref,
        Answer.EXISTS,
        f"{label}: {full_name}" + (" (archived)" if archived else ""),
        full_name=full_name,
        canonical_url=web_url,
        archived=archived,
        pushed_at=parse_time(repo.get(fields.pushed_at)),
        last_release_at=last_release_at,
        stars=stars if isinstance(stars, int) and not isinstance(stars, bool) else None,
        http_status=http_status,
        etag=etag,
    )


async def rest_lookup(
    refs: Sequence[RepoRef],
    session: Session,
    *,
    url_of: Any,  # RepoRef -> API URL
    fields: RestFields,
    label: str,
    auth_scheme: str = "Bearer",
    concurrency: int = 1,
) -> dict[RepoRef, Finding]:
    """One conditional GET per repository, `concurrency` at a time (GitHub asks for one at a time), in
    the order given. Once the forge is unreachable or a limit outlasts the budget, the rest are not asked:
    they would fare the same."""
    findings: dict[RepoRef, Finding] = {}
    headers = {"Accept": "application/json", **auth_headers(session.token, auth_scheme)}
    queue = list(reversed(refs))
    stopped: list[str] = []

    async def worker() -> None:
        while queue and not stopped:
            ref = queue.pop()
            known = session.known.get(ref.url)
            conditional = dict(headers)
            if known is not None and known.etag and known.answer is Answer.EXISTS:
                conditional["If-None-Match"] = known.etag
            reply = await call(session.client, session.gate, "GET", url_of(ref), headers=conditional)
            if isinstance(reply, Refused):
                findings[ref] = not_asked(ref, reply.reason)
                if reply.unreachable or reply.reason.startswith("rate limit"):
                    stopped.append(reply.reason)
                continue
            findings[ref] = rest_finding(ref, reply, known, fields, label)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(refs))))))
    for ref in refs:
        if ref not in findings:  # only a worker that stopped early leaves a repository unasked
            findings[ref] = not_asked(ref, stopped[0])
    return findings


def rest_finding(
    ref: RepoRef, reply: Reply, known: Finding | None, fields: RestFields, label: str
) -> Finding:
    if reply.status == 304:
        if known is None:
            return not_asked(ref, f"malformed answer: {label} answered 304 to an unconditional request")
        return replace(known, ref=ref, unchanged=True, http_status=304)
    if 200 <= reply.status < 300:
        return from_rest(ref, reply, fields, label)
    message = api_message(reply.body)
    if reply.status in GONE_STATUSES and message is not None:
        return gone(ref, f"{label} answered HTTP {reply.status} for {ref.full_name}: {message}", reply.status)
    if reply.status in GONE_STATUSES:
        return not_asked(
            ref, f"malformed answer: {label} answered HTTP {reply.status} without its JSON error"
        )
    return not_asked(ref, f"{label} answered HTTP {reply.status}" + (f": {message}" if message else ""))


@dataclass
class RestForge:
    """A forge asked per repository over REST: what differs between forges is which URL paths are
    repositories (`owner_and_name`), where the API answers (`api_url`) and the names in its answer."""

    name: str
    settings: ForgeConfig
    rest_fields: ClassVar[RestFields]
    label: ClassVar[str]
    auth_scheme: ClassVar[str] = "Bearer"

    def owner_and_name(self, segments: list[str]) -> tuple[str, str] | None:
        raise NotImplementedError

    def api_url(self, ref: RepoRef) -> str:
        raise NotImplementedError

    def matches(self, url: str) -> RepoRef | None:
        segments = repo_segments(url, self.settings.hosts)
        parts = self.owner_and_name(segments) if segments is not None else None
        return RepoRef(self.name, *parts, url) if parts is not None else None

    async def lookup(self, refs: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]:
        return await rest_lookup(
            refs,
            session,
            url_of=self.api_url,
            fields=self.rest_fields,
            concurrency=self.settings.concurrency,
            label=f"{self.label} ({self.name})",
            auth_scheme=self.auth_scheme,
        )
