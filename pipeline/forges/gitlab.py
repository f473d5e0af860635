"""GitLab (gitlab.com or self-hosted): REST `GET /projects/:id` per project, with conditional requests.

A project's id may be its URL-encoded path, namespaces included (group/subgroup/project). GitLab has no
"pushed at"; `last_activity_at` (pushes, issues, merge requests) stands for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pipeline.forges.base import RestFields, RestForge
from pipeline.forges.model import RepoRef


@dataclass
class GitLab(RestForge):
    rest_fields = RestFields("path_with_namespace", "web_url", "archived", "last_activity_at", "star_count")
    label = "GitLab API"

    def owner_and_name(self, segments: list[str]) -> tuple[str, str] | None:
        if "-" in segments:  # /group/project/-/issues is a page inside a project
            return None
        return "/".join(segments[:-1]), segments[-1]

    def api_url(self, ref: RepoRef) -> str:
        return f"{self.settings.api_url}/projects/{quote(ref.full_name, safe='')}"
