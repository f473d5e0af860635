"""Gitea, Forgejo and Codeberg: REST `GET /repos/{owner}/{repo}` per repository, with conditional
requests. Gitea has no "pushed at"; `updated_at` (moved by every push) stands for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.config import ForgeConfig
from pipeline.forges.base import RestFields, Session, repo_segments, rest_lookup
from pipeline.forges.model import Finding, RepoRef

REST_FIELDS = RestFields("full_name", "html_url", "archived", "updated_at", "stars_count")


@dataclass
class Gitea:
    name: str
    settings: ForgeConfig

    def matches(self, url: str) -> RepoRef | None:
        segments = repo_segments(url, self.settings.hosts)
        if segments is None or len(segments) != 2:
            return None
        return RepoRef(self.name, segments[0], segments[1], url)

    async def lookup(self, refs: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]:
        return await rest_lookup(
            refs,
            session,
            url_of=lambda ref: f"{self.settings.api_url}/repos/{ref.owner}/{ref.name}",
            fields=REST_FIELDS,
            concurrency=self.settings.concurrency,
            label=f"Gitea API ({self.name})",
            auth_scheme="token",
        )
