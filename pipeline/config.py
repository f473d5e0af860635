"""Settings maintainers tune without touching code: `catalogue/config.yaml`, checked against
`schema/config.schema.json`. Every field has a default here, so an absent key means "the default".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

from pipeline import __version__

DEFAULT_USER_AGENT = (
    f"ml-math-roadmap-linkcheck/{__version__} "
    "(link-health checker of the 'math behind Machine Learning' roadmap; one request per page, politely)"
)


@dataclass(frozen=True)
class CheckConfig:
    # A cap, not the pace: a run works on as many hosts at once as fit under it (each with its per-host
    # limit), so politeness (per_host, host_delay_ms) and not this number sets the speed.
    concurrency: int = 128  # requests in flight over all hosts together, at most
    per_host: int = 2  # requests in flight to one host
    host_delay_ms: int = 250  # minimum time between the starts of two requests to one host
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 15.0
    url_timeout_s: float = 60.0  # one URL as a whole, retries and redirects included
    max_body_kb: int = 256  # bytes read of a body, after decompression
    min_body_kb_s: float = 1.0  # a body slower than this (from its first byte, after the grace) is a timeout
    body_grace_s: float = 5.0
    max_redirects: int = 10
    retries: int = 2  # extra attempts for transient failures
    backoff_base_s: float = 1.0
    retry_after_cap_s: float = 120.0
    user_agent: str = DEFAULT_USER_AGENT
    broken_after: int = 2  # consecutive failing runs before a resource is reported broken
    inconclusive_ratio: float = 0.5  # share of hosts failing at network level that voids a run
    # A run of at least this many resources fetches in a second process when the machine has two cores or
    # more (pipeline.crawl.fetchprocess); 0: never. From about 100 resources the child pays for its start:
    # the crawl no longer shares an interpreter with the store's imports (docs/operations.md).
    fetch_process_from: int = 100


@dataclass(frozen=True)
class DomainRule:
    """Per-domain knowledge maintainers add without code (matched on the host and its subdomains)."""

    per_host: int | None = None
    host_delay_ms: int | None = None
    skip: str | None = None  # reason: never fetch this host
    paywall_phrases: tuple[str, ...] = ()
    login_url_patterns: tuple[str, ...] = ()  # substrings of a final URL that mean "sign-in page"
    status_overrides: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({})
    )  # "403": "blocked"
    note: str | None = None


@dataclass(frozen=True)
class HostLimits:
    """The politeness towards one host: requests in flight, and the time between two request starts."""

    per_host: int
    gap_s: float


@dataclass(frozen=True)
class RecheckConfig:
    """How often a resource is fetched by `roadmap nightly` (without --all)."""

    min_hours: float = 20.0  # a just-failed resource is confirmed after at most this
    max_hours: float = 168.0  # a long-healthy resource is still checked weekly
    growth: float = 2.0  # interval multiplier after each healthy check


@dataclass(frozen=True)
class ScheduleConfig:
    cron: str = "0 3 * * *"
    timezone: str = "UTC"
    misfire_grace_s: int = 6 * 3600


@dataclass(frozen=True)
class QualityRule:
    severity: str = "warning"  # "error", "warning" or "off"
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PathsConfig:
    """Where outputs go, relative to the catalogue directory's parent (the list repository)."""

    readme: str = "exports/README.md"
    json: str = "exports/roadmap.json"
    reports: str = "reports"


@dataclass(frozen=True)
class ArchiveAllowed:
    """Where `roadmap fix dead --archive` may point a dead resource at an archived copy."""

    sections: tuple[str, ...] = ()  # section ids
    mediums: tuple[str, ...] = ()  # medium values


@dataclass(frozen=True)
class RepairConfig:
    """Repair suggestions for dead links (issue 14): the Wayback Machine availability API asked for the
    newest snapshot taken before a link died ("" : no archive suggestions), and where archives may be used."""

    wayback_api: str = "https://archive.org/wayback/available"
    archive_allowed: ArchiveAllowed = field(default_factory=ArchiveAllowed)


def _repair(data: Mapping[str, Any] | None) -> RepairConfig:
    data = dict(data or {})
    return RepairConfig(
        wayback_api=str(data.get("wayback_api", RepairConfig.wayback_api)),
        archive_allowed=_build(ArchiveAllowed, data.get("archive_allowed")),
    )


FORGE_KINDS = ("github", "gitlab", "gitea")


@dataclass(frozen=True)
class ForgeConfig:
    """One code forge whose API answers for repository links (issue 14): GitHub, GitLab or Gitea."""

    kind: str  # "github", "gitlab" or "gitea": which API it speaks
    api_url: str = ""
    hosts: tuple[str, ...] = ()  # web hosts (host or host:port) whose repository links this forge answers
    token_env: str = ""  # environment variable holding the token; unset or empty: unauthenticated
    enabled: bool = True
    stale_after_days: int = 730  # last push (or release) older than this: quality rule `stale`
    max_wait_s: float = 60.0  # longest total wait for rate limits in one run; beyond it: "not asked"
    batch_size: int = 100  # repositories per GraphQL query (GitHub; at most 100)
    concurrency: int = 4  # REST requests in flight (GitLab, Gitea; GitHub's REST is always one at a time)


DEFAULT_TOKEN_ENV = MappingProxyType(
    {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "gitea": "GITEA_TOKEN"}
)
DEFAULT_FORGES: Mapping[str, ForgeConfig] = MappingProxyType(
    {
        "github": ForgeConfig(
            "github", api_url="https://api.github.com", hosts=("github.com",), token_env="GITHUB_TOKEN"
        ),
        "gitlab": ForgeConfig(
            "gitlab", api_url="https://gitlab.com/api/v4", hosts=("gitlab.com",), token_env="GITLAB_TOKEN"
        ),
        "codeberg": ForgeConfig(
            "gitea", api_url="https://codeberg.org/api/v1", hosts=("codeberg.org",), token_env="GITEA_TOKEN"
        ),
    }
)


def _forges(data: Mapping[str, Any] | None) -> Mapping[str, ForgeConfig]:
    """The default forges with the list's settings laid over them; a new name is a self-hosted forge."""
    forges = dict(DEFAULT_FORGES)
    for name, settings in (data or {}).items():
        settings = dict(settings or {})
        kind = str(settings.get("kind", "gitea"))
        base = forges.get(name) or ForgeConfig(kind, token_env=DEFAULT_TOKEN_ENV.get(kind, ""))
        built = _build(ForgeConfig, {"kind": base.kind, **settings})
        changed = {f.name: getattr(built, f.name) for f in fields(ForgeConfig) if f.name in settings}
        if "hosts" in changed:
            changed["hosts"] = tuple(h.lower() for h in changed["hosts"])
        if "api_url" in changed:
            changed["api_url"] = str(changed["api_url"]).rstrip("/")
        forges[name] = replace(base, **changed)
    return MappingProxyType(forges)


@dataclass(frozen=True)
class PublishConfig:
    """How the published files point at each other: the README's status line and the changes feed."""

    status_line: bool = False  # the README export ends with "Last checked <date> · status page · changes"
    base_url: str | None = None  # where the list repository's files are published; None: relative links


@dataclass(frozen=True)
class FeaturesConfig:
    """What kind of list this is. Each feature a list turns on adds required resource fields and what
    the README shows; all are off unless `features:` turns them on (the bundled roadmap turns all on)."""

    stages: bool = False  # sections may be numbered stages with goals and coverage
    medium: bool = False  # every resource has a medium; the README shows the legend
    cost: bool = False  # every resource has a cost
    provenance: bool = False  # every resource has provider, origin and added
    descriptions: bool = False  # every resource has a description

    def required_fields(self) -> tuple[tuple[str, str], ...]:
        """(resource field, feature that requires it), in the schema's order."""
        table = (
            ("descriptions", ("description",)),
            ("medium", ("medium",)),
            ("cost", ("cost",)),
            ("provenance", ("provider", "origin", "added")),
        )
        return tuple((name, feature) for feature, names in table if getattr(self, feature) for name in names)


@dataclass(frozen=True)
class ReadmeConfig:
    """How `roadmap export` writes the README: the template and the list's own Markdown style."""

    template: str = "README.md.j2"  # a file in the catalogue directory, or one in pipeline/templates
    bullet: str = "-"
    separator: str = " - "
    blank_lines: int = 1  # before a heading
    blank_after_heading: int = 1
    indent: int = 2  # spaces between a bulleted item's bullet and its sub-items' bullets
    sub_bullet: str | None = None  # the sub-items' marker, when not their parent list's


@dataclass(frozen=True)
class Config:
    check: CheckConfig = field(default_factory=CheckConfig)
    domains: Mapping[str, DomainRule] = field(default_factory=lambda: MappingProxyType({}))
    recheck: RecheckConfig = field(default_factory=RecheckConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    quality: Mapping[str, QualityRule] = field(default_factory=lambda: MappingProxyType({}))
    paths: PathsConfig = field(default_factory=PathsConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    readme: ReadmeConfig = field(default_factory=ReadmeConfig)
    # Severity of validate's own URL rules by rule id ("error" when absent), e.g. tracking-parameter
    validate: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    forges: Mapping[str, ForgeConfig] = field(default_factory=lambda: DEFAULT_FORGES)
    repair: RepairConfig = field(default_factory=RepairConfig)

    def domain_rule(self, host: str) -> DomainRule | None:
        """The most specific rule for host: "www.example.org" falls back to "example.org"."""
        host = host.lower().rstrip(".")
        while host:
            if host in self.domains:
                return self.domains[host]
            _, _, host = host.partition(".")
        return None

    def host_limits(self, host: str) -> HostLimits:
        """The one place a host's limits are decided: its domain rule, else the check defaults."""
        rule = self.domain_rule(host)
        per_host = rule.per_host if rule is not None and rule.per_host else self.check.per_host
        delay_ms = rule.host_delay_ms if rule is not None and rule.host_delay_ms is not None else None
        delay_ms = self.check.host_delay_ms if delay_ms is None else delay_ms
        return HostLimits(per_host=max(1, per_host), gap_s=delay_ms / 1000)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Config:
        """Build from the (already schema-valid) config document."""
        data = dict(data or {})
        return cls(
            check=_build(CheckConfig, data.get("check")),
            domains=MappingProxyType(
                {host.lower(): _build(DomainRule, rule) for host, rule in (data.get("domains") or {}).items()}
            ),
            recheck=_build(RecheckConfig, data.get("recheck")),
            schedule=_build(ScheduleConfig, data.get("schedule")),
            quality=MappingProxyType(
                {rid: _build(QualityRule, rule) for rid, rule in (data.get("quality") or {}).items()}
            ),
            paths=_build(PathsConfig, data.get("paths")),
            publish=_build(PublishConfig, data.get("publish")),
            features=_build(FeaturesConfig, data.get("features")),
            readme=_build(ReadmeConfig, data.get("readme")),
            validate=MappingProxyType(dict(data.get("validate") or {})),
            forges=_forges(data.get("forges")),
            repair=_repair(data.get("repair")),
        )


def _build(kind: type, data: Mapping[str, Any] | None) -> Any:
    """Dataclass from a mapping: lists become tuples, mappings read-only (the schema refused unknown keys)."""
    assert is_dataclass(kind)
    known = {f.name for f in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if key not in known:
            continue
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = MappingProxyType({str(k): v for k, v in value.items()})
        values[key] = value
    return kind(**values)
