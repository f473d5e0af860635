"""Gitea, Forgejo and Codeberg: REST `GET /repos/{owner}/{repo}` per repository, with conditional
requests. Gitea has no "pushed at"; `updated_at` (moved by every push) stands for it."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.forges.base import RestFields, RestForge
from pipeline.forges.model import RepoRef


@dataclass
class Gitea(RestForge):
    rest_fields = RestFields("full_name", "html_url", "archived", "updated_at", "stars_count")
    label = "Gitea API"
    auth_scheme = "token"

    def owner_and_name(self, segments: list[str]) -> tuple[str, str] | None:
        return (segments[0], segments[1]) if len(segments) == 2 else None

    def api_url(self, ref: RepoRef) -> str:
        return f"{self.settings.api_url}/repos/{ref.owner}/{ref.name}"
