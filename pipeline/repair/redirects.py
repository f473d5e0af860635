"""`roadmap fix redirects`: point the catalogue at the URLs resources moved to for good.

Every resource whose latest verdict is `redirected` (what the reports call "moved") is either rewritten or
listed with the reason it was not. What counts as a permanent move is the crawler's rule, not ours: the
new URL is `update_target` of the recorded redirect chain (the end of the leading run of permanent hops,
so a move followed by a temporary language or landing-page hop updates to the end of the move), and the
sign-in check is the crawler's `is_login_url`. The file edit is surgical (`pipeline.catalogue.yamledit`):
only the bytes of the url value change, so the nightly job's pull request shows exactly the moved URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from pipeline.catalogue.layout import file_of
from pipeline.crawl.redirects import is_login_url, update_target
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource
from pipeline.quality.state import status_of
from pipeline.repair.edit import Change, apply_all, with_fragment
from pipeline.status import Status


def new_url_of(resource: Resource, summary: HealthSummary) -> str | None:
    """Where the catalogue should point: the end of the permanent part of the recorded chain (the recorded
    final URL when no chain was recorded, e.g. health seeded from a published export)."""
    assert resource.url is not None
    chain = tuple(getattr(summary, "redirect_chain", ()) or ())
    target = update_target(chain) if chain else summary.final_url
    return with_fragment(target, resource.url) if target else None


def _why_not(new_url: str, catalogue: Catalogue) -> str | None:
    parts = urlsplit(new_url)
    if parts.scheme not in ("http", "https"):
        return "the new URL is not http(s)"
    if pattern := is_login_url(new_url, catalogue.config.domain_rule(parts.hostname or "")):
        return f"the new URL looks like a sign-in page (matches {pattern!r})"
    return None


def plan_redirects(catalogue: Catalogue, summaries: Mapping[str, HealthSummary]) -> list[Change]:
    """Every resource whose latest status is `redirected`, with the change to make or why not."""
    changes = []
    for resource in catalogue.resources:
        summary = summaries.get(resource.id)
        if resource.url is None or status_of(summary) is not Status.REDIRECTED:
            continue
        assert summary is not None
        file = file_of(resource, catalogue.root)
        new_url = new_url_of(resource, summary)
        if new_url is None:
            reason = "the check recorded no permanent redirect target"
            changes.append(Change(resource.id, file, resource.url, resource.url, reason))
        elif new_url == resource.url:
            reason = "the catalogue already has this URL (fixed since the last check)"
            changes.append(Change(resource.id, file, resource.url, new_url, reason))
        else:
            changes.append(Change(resource.id, file, resource.url, new_url, _why_not(new_url, catalogue)))
    return changes


def fix_redirects(
    catalogue: Catalogue, summaries: Mapping[str, HealthSummary], *, dry_run: bool = False
) -> list[Change]:
    """Rewrite the url of every resource that moved for good; returns every candidate with its outcome
    (skipped ones carry the reason). dry_run: decide and check the edit, but write nothing."""
    return apply_all(plan_redirects(catalogue, summaries), dry_run=dry_run)
