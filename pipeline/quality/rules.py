"""The quality bar as named rules.

The list's contribution rule: a resource must be free, primarily visual or interactive, and genuinely help a
student understand how an algorithm works. What a machine can check of it is a rule here: an id, a default
severity and default parameters (both tuned per list in `catalogue/config.yaml` under `quality:`), a check
that yields evidence, and the fix a contributor should make. A resource waives a rule with
`quality_exceptions: {<rule-id>: <justification>}`.

`evaluate` returns findings (data); the CLI decides what to print and the exit code.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from pipeline.catalogue.layout import file_of
from pipeline.catalogue.urls import normalise_url
from pipeline.config import Config, QualityRule
from pipeline.health import HealthSummary
from pipeline.model import Catalogue, Resource
from pipeline.quality.state import NOT_FREE_STATUSES, State, health_state, status_of
from pipeline.status import evidence_text


@dataclass(frozen=True)
class Finding:
    rule: str  # a rule id, e.g. "not-free"
    severity: str  # "error" or "warning"
    resource_id: str
    file: str  # the catalogue file to edit, e.g. "catalogue/resources/x.yaml"
    evidence: str  # what the rule saw
    fix: str  # what a contributor should do

    def to_json(self) -> dict[str, str]:
        return asdict(self)  # every field, in order: the keys of health.json's findings


@dataclass(frozen=True)
class RuleContext:
    """What a check may look at besides the resource itself."""

    catalogue: Catalogue
    summaries: Mapping[str, HealthSummary]
    config: Config
    params: Mapping[str, Any]
    duplicates: Mapping[str, str]  # resource id -> id of the resource first listed with the same URL

    @property
    def broken_after(self) -> int:
        return self.config.check.broken_after


Check = Callable[[Resource, RuleContext], Iterator[str] | Iterator[str | tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # the default; config.quality[id].severity overrides
    title: str  # one line for reports
    fix: str  # what to do, in the contributor's words
    check: Check = field(repr=False, compare=False)
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


# ---------------------------------------------------------------- checks (each yields evidence strings)

VISUAL_MEDIA = ("video-series", "video", "interactive", "tool", "cheatsheet")
MARKETING_WORDS = (
    "best-in-class",
    "ultimate",
    "revolutionary",
    "amazing",
    "world-class",
    "game-changing",
    "game-changer",
    "cutting-edge",
    "must-have",
    "unbeatable",
)


def _check_not_free(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    allowed = tuple(ctx.params.get("allowed_costs", ("free",)))
    # A list without features.cost declares no cost: only what the checks saw can say "not free".
    if resource.cost is not None and resource.cost not in allowed:
        yield f"declared cost is {resource.cost!r} (allowed: {', '.join(allowed)})"
    summary = ctx.summaries.get(resource.id)
    status = status_of(summary)
    if status in NOT_FREE_STATUSES:
        assert summary is not None
        seen = evidence_text(summary.evidence) or "no detail recorded"
        yield f"the latest check found the page {status.value} ({seen})"


def _check_not_visual(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    visual = tuple(ctx.params.get("visual_media", VISUAL_MEDIA))
    if resource.medium is not None and resource.medium not in visual:  # None: the list has no media
        yield f"medium {resource.medium!r} is not visual or interactive (those are: {', '.join(visual)})"


_WORD = re.compile(r"[\w'’-]+")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@functools.cache
def _marketing_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # One pass over a description for all words; a word inside a longer word ("ultimately") is not one.
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


def _check_weak_description(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    min_words = int(ctx.params.get("min_words", 12))
    if resource.description is None:
        yield "the resource has no description"
        return
    words = _words(resource.description)
    title_words = _words(resource.title)
    if words and words == title_words[: len(words)]:
        yield "the description only repeats the title"
    elif len(words) < min_words:
        yield f"the description has {len(words)} words (at least {min_words} expected)"
    marketing = tuple(w.lower() for w in ctx.params.get("marketing_words", MARKETING_WORDS))
    found = set(_marketing_pattern(marketing).findall(resource.description.lower()))
    used = [w for w in marketing if w in found]  # in the list's order, each once
    if used:
        yield f"marketing words instead of substance: {', '.join(used)}"


def _check_duplicate(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    first = ctx.duplicates.get(resource.id)
    if first is not None:
        yield f"the URL {resource.url} is already listed as {first!r}"


def _check_dead(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    summary = ctx.summaries.get(resource.id)
    status = status_of(summary)
    # Paywalls and sign-in walls are the not-free rule's business: one finding per cause.
    if status in NOT_FREE_STATUSES or health_state(resource, summary, ctx.broken_after) is not State.BROKEN:
        return
    assert summary is not None and status is not None
    since = summary.failing_since.date().isoformat() if summary.failing_since else "an unknown date"
    code = f", HTTP {summary.http_status}" if summary.http_status else ""
    yield (
        f"{status.value}{code} in {summary.consecutive_failures} consecutive runs, failing since {since}"
        f" (broken after {ctx.broken_after})"
    )


def _check_moved(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    summary = ctx.summaries.get(resource.id)
    if resource.url is not None and https_answered(resource.url, summary):
        return  # moved only to its https twin: the insecure-http rule's business (one finding per cause)
    if health_state(resource, summary, ctx.broken_after) is State.MOVED:
        assert summary is not None
        code = f" (HTTP {summary.http_status})" if summary.http_status else ""
        yield f"{resource.url} redirects permanently to {summary.final_url or 'an unrecorded URL'}{code}"


def _check_awaiting_url(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    if resource.awaiting_url is not None:
        yield f"no verified URL yet: {resource.awaiting_url}"


def _repository(resource: Resource, ctx: RuleContext) -> Any | None:
    """What a forge's API last said about the resource's repository, if it exists there."""
    facts = getattr(ctx.summaries.get(resource.id), "repository", None)
    return facts if facts is not None and facts.answer == "exists" else None


def _check_archived(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    facts = _repository(resource, ctx)
    if facts is not None and facts.archived:
        pushed = f", last push {facts.pushed_at.date().isoformat()}" if facts.pushed_at else ""
        yield f"{facts.full_name} is archived on {facts.forge} (read-only{pushed})"


def _check_stale(resource: Resource, ctx: RuleContext) -> Iterator[str]:
    facts = _repository(resource, ctx)
    if facts is None or facts.archived or facts.last_activity_at is None:
        return  # an archived repository is the archived rule's business: one finding per cause
    forge = ctx.config.forges.get(facts.forge)
    limit = int(ctx.params.get("stale_after_days") or (forge.stale_after_days if forge else 730))
    # Measured at the forge's answer, not "now": the same data always gives the same report.
    age = (facts.answered_at - facts.last_activity_at).days
    if age > limit:
        release = facts.last_release_at.date().isoformat() if facts.last_release_at else "none"
        pushed = facts.pushed_at.date().isoformat() if facts.pushed_at else "unknown"
        yield (
            f"{facts.full_name}: last push {pushed}, last release {release}; {age} days without either "
            f"when {facts.forge} answered on {facts.answered_at.date().isoformat()} (stale after {limit})"
        )


def https_twin(url: str) -> str | None:
    """The https:// address of a plain http:// URL (same host, path, query), or None."""
    scheme, sep, rest = url.strip().partition("://")
    return f"https://{rest}" if sep and scheme.lower() == "http" else None


def https_answered(url: str, summary: HealthSummary | None) -> bool:
    """Whether a check has seen the https twin of url answer: its latest result went there (the http URL
    redirected to its https twin, the usual upgrade) and the page worked. Costs no request of its own."""
    twin = https_twin(url)
    status = status_of(summary)
    if twin is None or summary is None or status is None or not status.is_healthy:
        return False
    final = summary.final_url or ""
    return final.rstrip("/") == twin.rstrip("/")


def _check_insecure_http(resource: Resource, ctx: RuleContext) -> Iterator[str | tuple[str, str]]:
    twin = https_twin(resource.url or "")
    if twin is None:
        return
    assert resource.url is not None
    if https_answered(resource.url, ctx.summaries.get(resource.id)):
        yield (
            f"{resource.url} is plain http://; the latest check followed it to {twin}, which answered",
            f"Use {twin} (the same page over https).",
        )
    else:
        yield f"{resource.url} is plain http://; no check has seen {twin} answer yet"


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "not-free",
        "error",
        "Not free",
        "List only resources that are free to use; replace it with a free equivalent or remove it.",
        _check_not_free,
        MappingProxyType({"allowed_costs": ("free",)}),
    ),
    Rule(
        "not-visual",
        "warning",
        "Not primarily visual or interactive",
        "Prefer a visual or interactive resource, or record why this one belongs with "
        "`quality_exceptions: {not-visual: <justification>}`.",
        _check_not_visual,
        MappingProxyType({"visual_media": VISUAL_MEDIA}),
    ),
    Rule(
        "weak-description",
        "warning",
        "Description does not say what the student will understand",
        "Rewrite the description: what will the student understand, and how does the resource show it?",
        _check_weak_description,
        MappingProxyType({"min_words": 12, "marketing_words": MARKETING_WORDS}),
    ),
    Rule(
        "duplicate",
        "error",
        "Already listed",
        "Remove the duplicate, or merge what it adds into the existing entry.",
        _check_duplicate,
    ),
    Rule(
        "dead",
        "error",
        "Dead for several runs",
        "Find the resource's new URL and update `url`, or retire the resource by deleting its file.",
        _check_dead,
    ),
    Rule(
        "moved",
        "warning",
        "Moved for good",
        "Update the URL to the final one: run `roadmap fix redirects` (or edit `url` by hand).",
        _check_moved,
    ),
    Rule(
        "awaiting-url",
        "warning",
        "Missing a verified URL",
        "Find the canonical URL, open it to verify it, then replace `awaiting_url` with `url`.",
        _check_awaiting_url,
    ),
    Rule(
        "archived",
        "warning",
        "Repository archived",
        "Still useful but no longer maintained: look for a maintained fork or successor and link it "
        "instead, or keep it with `quality_exceptions: {archived: <why it is still the best>}`.",
        _check_archived,
    ),
    Rule(
        "stale",
        "warning",
        "Repository not pushed to or released for long",
        "Check that it still works with today's tools; link a maintained alternative if there is one, or "
        "keep it with `quality_exceptions: {stale: <why>}`. The limit is `stale_after_days` of its forge.",
        _check_stale,
    ),
    Rule(
        "insecure-http",
        "warning",
        "Plain http:// link",
        "Open the https:// address; if it is the same page, use it in `url`, else keep http:// with "
        "`quality_exceptions: {insecure-http: <why>}`.",
        _check_insecure_http,
    ),
)


# ---------------------------------------------------------------- evaluation


def _duplicates(catalogue: Catalogue) -> dict[str, str]:
    first_by_url: dict[str, str] = {}
    duplicates: dict[str, str] = {}
    for resource in catalogue.resources:  # reading order: the first listed is the original
        if resource.url is None:
            continue
        key = normalise_url(resource.url)
        if key in first_by_url:
            duplicates[resource.id] = first_by_url[key]
        else:
            first_by_url[key] = resource.id
    return duplicates


def resolve_rules(config: Config, rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[Rule, ...]:
    """The rules with the list's severities and parameters from `config.quality` applied."""
    resolved = []
    for rule in rules:
        tuned: QualityRule | None = config.quality.get(rule.id)
        if tuned is None:
            resolved.append(rule)
            continue
        params = {**rule.params, **tuned.params}
        resolved.append(
            Rule(rule.id, tuned.severity, rule.title, rule.fix, rule.check, MappingProxyType(params))
        )
    return tuple(resolved)


def resource_file(resource: Resource, catalogue: Catalogue) -> str:
    """The file to edit, relative to the list repository when we know where the catalogue lives."""
    file = file_of(resource, catalogue.root)
    if catalogue.root is not None:
        with contextlib.suppress(ValueError):
            return file.relative_to(catalogue.root.parent).as_posix()
    return file.as_posix()


def evaluate(
    catalogue: Catalogue,
    summaries: Mapping[str, HealthSummary],
    config: Config | None = None,
    rules: tuple[Rule, ...] = DEFAULT_RULES,
) -> list[Finding]:
    """Every finding, in reading order of the resources, then rule order; waived and "off" rules skipped."""
    config = config or catalogue.config
    active = [rule for rule in resolve_rules(config, rules) if rule.severity != "off"]
    duplicates = _duplicates(catalogue)
    findings: list[Finding] = []
    for resource in catalogue.resources:
        file = resource_file(resource, catalogue)
        for rule in active:
            if rule.id in resource.quality_exceptions:
                continue
            ctx = RuleContext(catalogue, summaries, config, rule.params, duplicates)
            said = list(rule.check(resource, ctx))  # evidence, or (evidence, a fix for this resource)
            if said:
                evidence = "; ".join(item if isinstance(item, str) else item[0] for item in said)
                fixes = [item[1] for item in said if not isinstance(item, str)]
                fix = " ".join(fixes) if fixes else rule.fix
                findings.append(Finding(rule.id, rule.severity, resource.id, file, evidence, fix))
    return findings
