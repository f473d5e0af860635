"""GitHub: GraphQL with a token (up to 100 repositories a query, about one point each query), REST with
conditional requests without one (GraphQL needs a token; 60 requests an hour unauthenticated).

A repository the query names but GitHub cannot resolve comes back as null with a NOT_FOUND error on its
alias: deleted, or private to us. A renamed or transferred one answers under its new nameWithOwner.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from pipeline.forges.api import Refused, call
from pipeline.forges.base import (
    RestFields,
    RestForge,
    Session,
    api_message,
    auth_headers,
    parse_time,
    repo_finding,
    rest_lookup,
)
from pipeline.forges.model import Finding, RepoRef, gone, not_asked

# First path segments of github.com pages that are not owners: /orgs/x, /topics/y are no repositories.
RESERVED_OWNERS = frozenset(
    {
        "about", "apps", "collections", "customer-stories", "enterprise", "events", "explore", "features",
        "issues", "login", "marketplace", "new", "notifications", "orgs", "organizations", "pricing",
        "pulls", "search", "security", "settings", "site", "sponsors", "topics", "trending", "users",
    }
)  # fmt: skip

FIELDS = "nameWithOwner url isArchived pushedAt stargazerCount latestRelease { publishedAt }"
REST_FIELDS = RestFields("full_name", "html_url", "archived", "pushed_at", "stargazers_count")
GRAPHQL_FIELDS = RestFields("nameWithOwner", "url", "isArchived", "pushedAt", "stargazerCount")
LABEL = "GitHub API"


@dataclass
class GitHub(RestForge):
    rest_fields = REST_FIELDS
    label = LABEL

    def owner_and_name(self, segments: list[str]) -> tuple[str, str] | None:
        if len(segments) != 2 or segments[0].lower() in RESERVED_OWNERS:
            return None
        return segments[0], segments[1]

    async def lookup(self, refs: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]:
        if not session.token:
            return await rest_lookup(refs, session, url_of=self.api_url, fields=REST_FIELDS, label=LABEL)
        findings: dict[RepoRef, Finding] = {}
        size = max(1, min(100, self.settings.batch_size))
        for start in range(0, len(refs), size):
            batch = refs[start : start + size]
            answered = await self._query(batch, session)
            findings.update(answered)
            refused = [f for f in answered.values() if f.evidence.startswith(("rate limit", "the API could"))]
            if refused and len(refused) == len(batch):
                for ref in refs[start + size :]:  # the rest would fare the same
                    findings[ref] = not_asked(ref, refused[0].evidence)
                break
        return findings

    def api_url(self, ref: RepoRef) -> str:
        return f"{self.settings.api_url}/repos/{ref.owner}/{ref.name}"

    async def _query(self, batch: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]:
        query = (
            "query { rateLimit { cost remaining resetAt } "
            + " ".join(
                f"r{i}: repository(owner: {json.dumps(r.owner)}, name: {json.dumps(r.name)}) {{ {FIELDS} }}"
                for i, r in enumerate(batch)
            )
            + " }"
        )
        headers = {"Accept": "application/json", **auth_headers(session.token)}
        url = f"{self.settings.api_url}/graphql"
        for _ in range(3):  # a query refused by a limit announced in the body is sent again after waiting
            reply = await call(
                session.client, session.gate, "POST", url, headers=headers, json={"query": query}
            )
            if isinstance(reply, Refused):
                return {ref: not_asked(ref, reply.reason) for ref in batch}
            body = reply.body
            if not isinstance(body, Mapping):
                reason = f"malformed answer: {LABEL} answered HTTP {reply.status} without a JSON object"
                return {ref: not_asked(ref, reason) for ref in batch}
            errors = [e for e in body.get("errors") or () if isinstance(e, Mapping)]
            data = body.get("data")
            self._note_limit(data, session)
            if any(e.get("type") == "RATE_LIMITED" for e in errors) and not isinstance(data, Mapping):
                session.gate.block(
                    session.gate.resume_at or session.gate.clock.time() + 60,
                    "GraphQL rate limit (RATE_LIMITED)",
                )
                continue
            if reply.status != 200 or not isinstance(data, Mapping):
                words = (
                    "; ".join(str(e.get("message", ""))[:200] for e in errors)
                    or api_message(body)
                    or "no data"
                )
                reason = f"{LABEL} answered HTTP {reply.status}: {words}"
                if reply.status == 200:
                    reason = f"malformed answer: {reason}"
                return {ref: not_asked(ref, reason) for ref in batch}
            by_alias = {_alias(e): e for e in errors if _alias(e)}
            return {
                ref: self._finding(ref, data.get(f"r{i}"), by_alias.get(f"r{i}"))
                for i, ref in enumerate(batch)
            }
        return {ref: not_asked(ref, f"rate limit: {session.gate.why}") for ref in batch}

    def _note_limit(self, data: Any, session: Session) -> None:
        limit = data.get("rateLimit") if isinstance(data, Mapping) else None
        if not isinstance(limit, Mapping):
            return
        cost, remaining = limit.get("cost"), limit.get("remaining")
        if isinstance(cost, int):
            session.gate.points += cost
        reset = parse_time(limit.get("resetAt"))
        if isinstance(remaining, int):
            reset_at = reset.replace(tzinfo=UTC).timestamp() if reset is not None else None
            session.gate.observe_primary(remaining, reset_at)

    def _finding(self, ref: RepoRef, repo: Any, error: Mapping[str, Any] | None) -> Finding:
        if repo is None and error is not None and error.get("type") == "NOT_FOUND":
            message = str(error.get("message", "NOT_FOUND"))[:300]
            return gone(ref, f"{LABEL} (GraphQL) for {ref.full_name}: NOT_FOUND: {message}")
        if repo is None and error is not None:
            return not_asked(ref, f"{LABEL} error {error.get('type')}: {str(error.get('message', ''))[:200]}")
        if not isinstance(repo, Mapping):
            return not_asked(ref, f"malformed answer: {LABEL} gave no repository and no error")
        release = repo.get("latestRelease")
        return repo_finding(
            ref,
            repo,
            GRAPHQL_FIELDS,
            label=LABEL,
            lacking=f"{LABEL}'s repository lacks nameWithOwner/url/isArchived",
            http_status=200,
            last_release_at=parse_time(release.get("publishedAt")) if isinstance(release, Mapping) else None,
        )


def _alias(error: Mapping[str, Any]) -> str | None:
    path = error.get("path")
    if isinstance(path, list) and path and isinstance(path[0], str):
        return path[0]
    return None
