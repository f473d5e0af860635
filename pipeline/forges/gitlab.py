"""GitLab (gitlab.com or self-hosted): REST `GET /projects/:id` per project, with conditional requests.

A project's id may be its URL-encoded path, namespaces included (group/subgroup/project). GitLab has no
"pushed at"; `last_activity_at` (pushes, issues, merge requests) stands for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pipeline.config import ForgeConfig
from pipeline.forges.base import RestFields, Session, repo_segments, rest_lookup
from pipeline.forges.model import Finding, RepoRef

REST_FIELDS = RestFields("path_with_namespace", "web_url", "archived", "last_activity_at", "star_count")


@dataclass
class GitLab:
    name: str
    settings: ForgeConfig

    def matches(self, url: str) -> RepoRef | None:
        segments = repo_segments(url, self.settings.hosts)
        if segments is None or "-" in segments:  # /group/project/-/issues is a page inside a project
            return None
        return RepoRef(self.name, "/".join(segments[:-1]), segments[-1], url)

    async def lookup(self, refs: Sequence[RepoRef], session: Session) -> dict[RepoRef, Finding]:
        return await rest_lookup(
            refs,
            session,
            url_of=lambda ref: f"{self.settings.api_url}/projects/{quote(ref.full_name, safe='')}",
            fields=REST_FIELDS,
            concurrency=self.settings.concurrency,
            label=f"GitLab API ({self.name})",
        )
