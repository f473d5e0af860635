"""`roadmap fix redirects`: point the catalogue at the URLs resources moved to for good.

Edits are round-trip YAML (ruamel.yaml): comments, key order, quoting and folded descriptions stay as the
contributor wrote them, and an edit that would change any line but the URL's is refused, so the nightly
job's pull request shows exactly the moved URLs and nothing else.

Only the `redirected` status qualifies (permanent redirects: 301/308). Temporary redirects never get that
status; a chain that passed through a temporary hop, or a final URL that looks like a sign-in page, is
skipped with the reason.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from pipeline.model import Catalogue, Resource
from pipeline.publish.outputs import write_atomically
from pipeline.quality.state import HealthLike, status_of
from pipeline.status import Status

TEMPORARY_CODES = frozenset({302, 303, 307})
# Substrings of a final URL that mean "you were sent to sign in", whatever the site; per-domain ones come
# from config.domains[...].login_url_patterns.
LOGIN_PATTERNS = (
    "/login",
    "/log-in",
    "/signin",
    "/sign-in",
    "/sign_in",
    "/signup",
    "/sign-up",
    "/auth/",
    "/oauth",
    "/sso/",
    "/session/new",
    "/accounts/",
    "accounts.google.com",
    "login.",
    "returnurl=",
    "return_to=",
    "redirect_uri=",
)


@dataclass(frozen=True)
class Change:
    resource_id: str
    file: Path
    old_url: str
    new_url: str
    skipped: str | None = None  # why the change was not made; None: made (or would be, in a dry run)

    @property
    def applied(self) -> bool:
        return self.skipped is None


def looks_like_login(url: str, extra_patterns: tuple[str, ...] = ()) -> bool:
    lowered = url.lower()
    parts = urlsplit(lowered)
    target = f"{parts.hostname or ''}{parts.path}?{parts.query}"
    return any(p.lower() in target for p in (*LOGIN_PATTERNS, *extra_patterns))


def _file_of(resource: Resource, catalogue: Catalogue) -> Path:
    if resource.source is not None:
        return resource.source
    root = catalogue.root if catalogue.root is not None else Path("catalogue")
    return root / "resources" / f"{resource.id}.yaml"


def _why_not(resource: Resource, summary: HealthLike, catalogue: Catalogue) -> str | None:
    final = summary.final_url
    assert final is not None
    temporary = [
        hop.status for hop in getattr(summary, "redirect_chain", ()) if hop.status in TEMPORARY_CODES
    ]
    if temporary:
        return f"the redirect chain has a temporary redirect (HTTP {temporary[0]})"
    host = urlsplit(final).hostname or ""
    rule = catalogue.config.domain_rule(host)
    if looks_like_login(final, rule.login_url_patterns if rule else ()):
        return "the final URL looks like a sign-in page"
    if urlsplit(final).scheme not in ("http", "https"):
        return "the final URL is not http(s)"
    return None


def plan_redirects(catalogue: Catalogue, summaries: Mapping[str, HealthLike]) -> list[Change]:
    """Every resource whose latest status is `redirected`, with the change to make or why not."""
    changes = []
    for resource in catalogue.resources:
        summary = summaries.get(resource.id)
        if resource.url is None or status_of(summary) is not Status.REDIRECTED:
            continue
        assert summary is not None
        if not summary.final_url or summary.final_url == resource.url:
            continue
        file = _file_of(resource, catalogue)
        reason = _why_not(resource, summary, catalogue)
        changes.append(Change(resource.id, file, resource.url, summary.final_url, reason))
    return changes


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    return yaml


def rewrite_url(text: str, old_url: str, new_url: str) -> str:
    """The file's text with `url:` set to new_url and every other byte unchanged.

    ruamel.yaml writes the new url line (quoting kept, trailing comment kept in its column); every other
    line is taken from the original, since a round trip may still normalise details elsewhere (spacing
    inside a flow list). The result must load as the original document with only the url changed.
    Raises ValueError when the file's url is not old_url or the edit cannot be made that way.
    """
    yaml = _yaml()
    document = yaml.load(text)
    if not isinstance(document, dict) or document.get("url") != old_url:
        raise ValueError(f"its url is no longer {old_url}")
    line = document.lc.key("url")[0]
    current = document["url"]
    if isinstance(current, DoubleQuotedScalarString):
        document["url"] = DoubleQuotedScalarString(new_url)
    elif isinstance(current, SingleQuotedScalarString):
        document["url"] = SingleQuotedScalarString(new_url)
    else:
        document["url"] = new_url
    out = io.StringIO()
    yaml.dump(document, out)
    before, after = text.splitlines(keepends=True), out.getvalue().splitlines(keepends=True)
    if len(before) != len(after) or not after[line].startswith("url:") or not before[line].startswith("url:"):
        raise ValueError("a round-trip edit would change more than the url line")
    result = "".join([*before[:line], after[line], *before[line + 1 :]])
    expected = yaml.load(text)
    expected["url"] = new_url
    if dict(yaml.load(result)) != dict(expected):
        raise ValueError("a round-trip edit would change more than the url line")
    return result


def fix_redirects(
    catalogue: Catalogue, summaries: Mapping[str, HealthLike], *, dry_run: bool = False
) -> list[Change]:
    """Rewrite the url of every resource that moved for good; returns every candidate with its outcome
    (skipped ones carry the reason). dry_run: decide, but write nothing."""
    done = []
    for change in plan_redirects(catalogue, summaries):
        if change.skipped is not None:
            done.append(change)
            continue
        try:
            text = change.file.read_text(encoding="utf-8")
            new_text = rewrite_url(text, change.old_url, change.new_url)
        except OSError as error:
            done.append(_skip(change, f"cannot read the file: {error.strerror}"))
            continue
        except (ValueError, YAMLError) as error:
            done.append(_skip(change, str(error).splitlines()[0]))
            continue
        if not dry_run:
            write_atomically(change.file, new_text.encode("utf-8"))
        done.append(change)
    return done


def _skip(change: Change, reason: str) -> Change:
    return Change(change.resource_id, change.file, change.old_url, change.new_url, reason)
