"""The quality bar as named rules: each rule's evidence and fix, exceptions, tuning from config."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

import pytest

from pipeline.config import CheckConfig, Config, QualityRule
from pipeline.quality import DEFAULT_RULES, evaluate
from pipeline.status import Evidence, Status
from pipeline.store.forges import RepoFacts
from tests.factory import make_catalogue, resource, summary


def facts(**values: object) -> RepoFacts:
    base = {
        "url": "https://github.com/alice/tool",
        "forge": "github",
        "full_name": "alice/tool",
        "answer": "exists",
        "evidence": "GitHub API: alice/tool",
        "answered_at": datetime(2026, 11, 27, 3, 0),
        "archived": False,
    }
    return RepoFacts(**{**base, **values})


GOOD = "Each chapter reframes an abstract operation as a geometric transformation the student can see."


def findings_for(resources, summaries=None, config=None) -> list[tuple[str, str, str, str]]:
    catalogue = make_catalogue(tuple(resources), config=config)
    return [(f.rule, f.severity, f.resource_id, f.evidence) for f in evaluate(catalogue, summaries or {})]


SCENARIOS = {
    "a good resource": ([resource("a", description=GOOD)], {}, []),
    "declared paid": (
        [resource("a", description=GOOD, cost="paid")],
        {},
        [("not-free", "error", "a", "declared cost is 'paid' (allowed: free)")],
    ),
    "found paywalled by the crawler": (
        [resource("a", description=GOOD)],
        {
            "a": summary(
                "a", Status.PAYWALLED, evidence=(Evidence("schema-org-not-free", "isAccessibleForFree"),)
            )
        },
        [
            (
                "not-free",
                "error",
                "a",
                "the latest check found the page paywalled (schema-org-not-free: isAccessibleForFree)",
            )
        ],
    ),
    "login only, twice: not-free, not also dead": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.LOGIN_REQUIRED, consecutive_failures=5)},
        [("not-free", "error", "a", "the latest check found the page login_required (no detail recorded)")],
    ),
    "not visual": (
        [resource("a", description=GOOD, medium="book")],
        {},
        [
            (
                "not-visual",
                "warning",
                "a",
                "medium 'book' is not visual or interactive "
                "(those are: video-series, video, interactive, tool, cheatsheet)",
            )
        ],
    ),
    "not visual, with a justified exception": (
        [
            resource(
                "a", description=GOOD, medium="book", quality_exceptions={"not-visual": "The exam's text."}
            )
        ],
        {},
        [],
    ),
    "too short": (
        [resource("a", description="A good course on matrices.")],
        {},
        [("weak-description", "warning", "a", "the description has 5 words (at least 12 expected)")],
    ),
    "only the title again": (
        [resource("a", title="Khan Academy: Linear Algebra", description="Khan Academy — linear algebra.")],
        {},
        [("weak-description", "warning", "a", "the description only repeats the title")],
    ),
    "marketing words": (
        [resource("a", description=GOOD + " The ultimate, best-in-class and truly amazing course.")],
        {},
        [
            (
                "weak-description",
                "warning",
                "a",
                "marketing words instead of substance: best-in-class, ultimate, amazing",
            )
        ],
    ),
    "duplicate after URL normalisation": (
        [
            resource("a", description=GOOD, url="https://www.example.org/course/"),
            resource("b", position=20, description=GOOD, url="https://example.org/course"),
        ],
        {},
        [("duplicate", "error", "b", "the URL https://example.org/course is already listed as 'a'")],
    ),
    "failing once is not dead": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.BROKEN, consecutive_failures=1)},
        [],
    ),
    "dead for broken_after runs": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.BROKEN, consecutive_failures=2)},
        [
            (
                "dead",
                "error",
                "a",
                "broken, HTTP 404 in 2 consecutive runs, failing since 2026-11-20 (broken after 2)",
            )
        ],
    ),
    "moved for good": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.REDIRECTED, final_url="https://example.org/new", http_status=301)},
        [
            (
                "moved",
                "warning",
                "a",
                "https://example.org/a redirects permanently to https://example.org/new (HTTP 301)",
            )
        ],
    ),
    "plain http, never checked: no https fix claimed": (
        [resource("a", description=GOOD, url="http://example.org/a")],
        {},
        [
            (
                "insecure-http",
                "warning",
                "a",
                "http://example.org/a is plain http://; no check has seen https://example.org/a answer yet",
            )
        ],
    ),
    "plain http that answers on http only": (
        [resource("a", description=GOOD, url="http://example.org/a")],
        {"a": summary("a", Status.OK)},
        [
            (
                "insecure-http",
                "warning",
                "a",
                "http://example.org/a is plain http://; no check has seen https://example.org/a answer yet",
            )
        ],
    ),
    "plain http redirected to its https twin: one finding, not also moved": (
        [resource("a", description=GOOD, url="http://example.org/a/")],
        {"a": summary("a", Status.REDIRECTED, final_url="https://example.org/a/", http_status=200)},
        [
            (
                "insecure-http",
                "warning",
                "a",
                "http://example.org/a/ is plain http://; the latest check followed it to "
                "https://example.org/a/, which answered",
            )
        ],
    ),
    "plain http redirected elsewhere: moved, and https not seen": (
        [resource("a", description=GOOD, url="http://example.org/a")],
        {"a": summary("a", Status.REDIRECTED, final_url="https://other.example/a", http_status=200)},
        [
            (
                "moved",
                "warning",
                "a",
                "http://example.org/a redirects permanently to https://other.example/a (HTTP 200)",
            ),
            (
                "insecure-http",
                "warning",
                "a",
                "http://example.org/a is plain http://; no check has seen https://example.org/a answer yet",
            ),
        ],
    ),
    "plain http whose https twin is broken": (
        [resource("a", description=GOOD, url="http://example.org/a")],
        {
            "a": summary(
                "a", Status.BROKEN, final_url="https://example.org/a", http_status=404, consecutive_failures=1
            )
        },
        [
            (
                "insecure-http",
                "warning",
                "a",
                "http://example.org/a is plain http://; no check has seen https://example.org/a answer yet",
            )
        ],
    ),
    "plain http, with a justified exception": (
        [
            resource(
                "a",
                description=GOOD,
                url="http://example.org/a",
                quality_exceptions={"insecure-http": "No TLS."},
            )
        ],
        {},
        [],
    ),
    "awaiting a verified URL": (
        [resource("a", description=GOOD, url=None, awaiting_url="Not verified yet.")],
        {},
        [("awaiting-url", "warning", "a", "no verified URL yet: Not verified yet.")],
    ),
    "an archived repository": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.OK, repository=facts(archived=True, pushed_at=datetime(2020, 5, 1)))},
        [("archived", "warning", "a", "alice/tool is archived on github (read-only, last push 2020-05-01)")],
    ),
    "a repository not pushed to or released for long": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.OK, repository=facts(pushed_at=datetime(2023, 1, 2)))},
        [
            (
                "stale",
                "warning",
                "a",
                "alice/tool: last push 2023-01-02, last release none; 1425 days without either when github "
                "answered on 2026-11-27 (stale after 730)",
            )
        ],
    ),
    "a recent release keeps an old push fresh": (
        [resource("a", description=GOOD)],
        {
            "a": summary(
                "a",
                Status.OK,
                repository=facts(pushed_at=datetime(2020, 1, 2), last_release_at=datetime(2026, 1, 1)),
            )
        },
        [],
    ),
    "a repository the forge says is gone is the dead rule's business": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.OK, repository=facts(answer="gone", archived=True))},
        [],
    ),
    "blocked robots is not a quality problem": (
        [resource("a", description=GOOD)],
        {"a": summary("a", Status.BLOCKED, consecutive_failures=3)},
        [],
    ),
}


@pytest.mark.parametrize(("resources", "summaries", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_rule(resources, summaries, expected) -> None:
    assert findings_for(resources, summaries) == expected


def test_every_rule_has_an_id_severity_and_fix() -> None:
    assert [r.id for r in DEFAULT_RULES] == [
        "not-free",
        "not-visual",
        "weak-description",
        "duplicate",
        "dead",
        "moved",
        "awaiting-url",
        "archived",
        "stale",
        "insecure-http",
    ]
    assert {r.id: r.severity for r in DEFAULT_RULES} == {
        "not-free": "error",
        "not-visual": "warning",
        "weak-description": "warning",
        "duplicate": "error",
        "dead": "error",
        "moved": "warning",
        "awaiting-url": "warning",
        "archived": "warning",
        "stale": "warning",
        "insecure-http": "warning",
    }
    assert all(r.fix.endswith((".", "?")) and r.title for r in DEFAULT_RULES)


def test_a_finding_names_the_file_and_the_fix() -> None:
    (finding,) = evaluate(make_catalogue((resource("a", cost="freemium", description=GOOD),)), {})
    assert finding.file == "catalogue/resources/a.yaml"
    assert finding.fix.startswith("List only resources that are free")
    assert finding.to_json()["rule"] == "not-free"


SHORT = "Seven words that are not quite enough."


@pytest.mark.parametrize(
    ("quality", "fields", "expected"),
    [
        ({"not-visual": QualityRule("error")}, {"medium": "book"}, [("not-visual", "error")]),
        ({"not-visual": QualityRule("off")}, {"medium": "book"}, []),
        ({}, {"description": SHORT}, [("weak-description", "warning")]),
        (
            {"weak-description": QualityRule("warning", MappingProxyType({"min_words": 3}))},
            {"description": SHORT},
            [],
        ),
        (
            {"not-visual": QualityRule("warning", MappingProxyType({"visual_media": ("book",)}))},
            {"medium": "video"},
            [("not-visual", "warning")],
        ),
        (
            {"not-free": QualityRule("warning", MappingProxyType({"allowed_costs": ("free", "freemium")}))},
            {"cost": "freemium"},
            [],
        ),
        (
            {"weak-description": QualityRule("error", MappingProxyType({"min_words": 3}))},
            {"description": GOOD + " Simply the ultimate."},
            [("weak-description", "error")],  # only min_words tuned: the default marketing words still apply
        ),
    ],
    ids=[
        "severity raised",
        "rule off",
        "default min_words",
        "min_words tuned",
        "visual media tuned",
        "allowed costs tuned",
        "params merged with defaults",
    ],
)
def test_rules_are_tuned_by_config(quality, fields, expected) -> None:
    config = Config(quality=MappingProxyType(quality))
    found = findings_for([resource("a", **{"description": GOOD, **fields})], config=config)
    assert [(rule, severity) for rule, severity, _, _ in found] == expected


def test_dead_follows_broken_after() -> None:
    config = Config(check=CheckConfig(broken_after=4))
    summaries = {"a": summary("a", Status.TIMEOUT, consecutive_failures=3)}
    assert findings_for([resource("a", description=GOOD)], summaries, config) == []
    summaries = {"a": summary("a", Status.TIMEOUT, consecutive_failures=4)}
    assert [f[0] for f in findings_for([resource("a", description=GOOD)], summaries, config)] == ["dead"]


def test_the_real_catalogue_config_matches_the_defaults(repo_root) -> None:
    import yaml

    data = yaml.safe_load((repo_root / "catalogue" / "config.yaml").read_text())
    assert {rid: rule["severity"] for rid, rule in data["quality"].items()} == {
        r.id: r.severity for r in DEFAULT_RULES
    }
    assert data["quality"]["weak-description"]["params"]["min_words"] == 12


def test_the_http_fix_names_the_https_url_only_when_a_check_saw_it_answer() -> None:
    catalogue = make_catalogue((resource("a", description=GOOD, url="http://example.org/a"),))
    seen = {"a": summary("a", Status.REDIRECTED, final_url="https://example.org/a", http_status=200)}
    (finding,) = evaluate(catalogue, seen)
    assert (finding.rule, finding.fix) == (
        "insecure-http",
        "Use https://example.org/a (the same page over https).",
    )
    (finding,) = evaluate(catalogue, {})
    assert finding.fix.startswith("Open the https:// address; if it is the same page, use it")
