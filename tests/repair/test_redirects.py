"""`fix redirects` fixes what the report calls moved: the crawler's verdict and the fix agree.

The table drives each redirect chain through the crawler's own `classify` (the verdict the reports show),
then through `fix redirects`, for every YAML layout a contributor may write; the file's bytes must differ
from the original in the url value only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from pipeline.config import Config, DomainRule
from pipeline.crawl.classify import Clues, classify
from pipeline.crawl.facts import Fetched, Response
from pipeline.repair.redirects import fix_redirects, plan_redirects
from pipeline.status import Hop, Status
from tests.factory import make_catalogue, resource, summary

OLD = "https://old.example.org/course/intro"
PAGE = (
    b"<!doctype html><html><head><title>Linear algebra, lecture 1</title></head><body><h1>Lecture 1</h1><p>"
    + b"Vectors, matrices and the directions a matrix only stretches. " * 30
    + b"</p></body></html>"
)


@dataclass(frozen=True)
class Chain:
    """A redirect chain as the crawler followed it, and what the fix must do with it."""

    old: str  # the catalogue URL (with its fragment, if any)
    hops: tuple[tuple[int, str], ...]  # (status, location) from old onwards
    verdict: Status  # what classify says (what the reports show)
    new: str | None  # the url after `fix redirects`; None: unchanged
    skipped: str | None = None  # why a `redirected` resource was not rewritten


CHAINS = {
    "301": Chain(
        OLD,
        ((301, "https://new.example.org/course/intro"),),
        Status.REDIRECTED,
        "https://new.example.org/course/intro",
    ),
    "308": Chain(
        OLD,
        ((308, "https://old.example.org/courses/intro"),),
        Status.REDIRECTED,
        "https://old.example.org/courses/intro",
    ),
    "301-then-302": Chain(
        OLD,
        ((301, "https://new.example.org/intro"), (302, "https://new.example.org/en/intro")),
        Status.REDIRECTED,
        "https://new.example.org/intro",
    ),
    "http-to-https-302": Chain("http://old.example.org/course/intro", ((302, OLD),), Status.REDIRECTED, OLD),
    "302-only": Chain(OLD, ((302, "https://old.example.org/landing/intro"),), Status.OK, None),
    "301-to-sign-in": Chain(
        OLD, ((301, "https://old.example.org/users/sign_in?return_to=/course"),), Status.LOGIN_REQUIRED, None
    ),
    "301-to-sign-in-then-302": Chain(
        OLD,
        ((301, "https://accounts.example.org/login"), (302, "https://example.org/welcome/intro")),
        Status.REDIRECTED,
        None,
        "the new URL looks like a sign-in page (matches '/login')",
    ),
    "301-301": Chain(
        OLD,
        ((301, "https://mid.example.org/course/intro"), (301, "https://new.example.org/c/intro")),
        Status.REDIRECTED,
        "https://new.example.org/c/intro",
    ),
    "301-keeps-fragment": Chain(
        OLD + "#week-2",
        ((301, "https://new.example.org/intro"),),
        Status.REDIRECTED,
        "https://new.example.org/intro#week-2",
    ),
}

_DESCRIPTION = (
    "A folded description that is long enough to say what the student will understand, kept exactly as "
    "written, line breaks and all."
)


def _pyyaml_default_dump() -> str:
    document = {
        "id": "moved-course",
        "title": "A course: that moved",
        "url": "URLPLACEHOLDER",
        "section": "linear-algebra",
        "description": _DESCRIPTION,
        "topics": ["vectors", "matrices"],
    }
    return yaml.safe_dump(document).replace("URLPLACEHOLDER", "{u}")


# Each layout holds `{u}` where the url is written; `style` says how (plain, ' or ").
LAYOUTS: dict[str, tuple[str, str]] = {
    "plain": ("id: moved-course\ntitle: A course\nurl: {u}\nsection: linear-algebra\n", ""),
    "single-quoted": ("id: moved-course\nurl: {u}\ntopics: [a, b]\n", "'"),
    "double-quoted": ("id: moved-course\nurl: {u}\ntopics: [a, b]\n", '"'),
    "folded": ("id: moved-course\nurl: >-\n  {u}\ndescription: >-\n  Two\n  lines.\n", ""),
    "literal": ("id: moved-course\nurl: |-\n    {u}\n\nsection: x\n", ""),
    "flow-mapping": ("{id: moved-course, url: {u}, topics: [a, b]}\n", ""),
    "odd-indentation": (
        "   id: moved-course\n   url:      {u}\n   topics:\n         - a\n         - b\n",
        "",
    ),
    "comments": (
        "# yaml-language-server: $schema=x.json\n# before\nid: moved-course   # keep\n# just before\n"
        "url: {u}          # the canonical URL\n# after\nsection: x # inline\n",
        "",
    ),
    "crlf": ("id: moved-course\r\nurl: {u}\r\ntopics:\r\n  - a\r\n", '"'),
    "bom": ("\ufeffid: moved-course\nurl: {u}\n", ""),
    "pyyaml-default-dump": (_pyyaml_default_dump(), ""),
    "url-last-no-newline": ("id: moved-course\ntopics:\n- a\nurl: {u}", "'"),
    "url-first": ("url: {u}\nid: moved-course\n", ""),
}


def _written(url: str, style: str) -> str:
    return f"{style}{url}{style}"


def _classified(chain: Chain) -> tuple[Status, dict]:
    """The verdict the crawler gives this chain, as the store would summarise it."""
    url, _, fragment = chain.old.partition("#")
    hops, at = [], url
    for status, location in chain.hops:
        hops.append(Hop(at, status, location))
        at = location
    fetched = Fetched(
        url=url,
        hops=tuple(hops),
        response=Response(
            url=at, status=200, headers=MappingProxyType({"content-type": "text/html"}), body=PAGE
        ),
    )
    outcome = classify(fetched, Clues(fragment=fragment or ""))
    record = summary(
        "moved-course", outcome.status, final_url=outcome.final_url, redirect_chain=outcome.redirect_chain
    )
    return outcome.status, {"moved-course": record}


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@pytest.mark.parametrize("name", CHAINS, ids=CHAINS)
def test_chain_by_layout(tmp_path: Path, name: str, layout: str) -> None:
    chain = CHAINS[name]
    template, style = LAYOUTS[layout]
    path = tmp_path / "moved-course.yaml"
    before = template.replace("{u}", _written(chain.old, style)).encode("utf-8")
    path.write_bytes(before)
    catalogue = make_catalogue((resource("moved-course", url=chain.old, source=path),))

    verdict, summaries = _classified(chain)
    assert verdict is chain.verdict
    changes = fix_redirects(catalogue, summaries)

    if chain.verdict is not Status.REDIRECTED:
        assert changes == []  # the report does not say moved: nothing to list
    else:
        (change,) = changes
        assert (change.old_url, change.skipped) == (chain.old, chain.skipped)
        if chain.new is not None:
            assert change.new_url == chain.new
    expected = before if chain.new is None else template.replace("{u}", _written(chain.new, style)).encode()
    assert path.read_bytes() == expected


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "moved-course.yaml"
    path.write_text(f"id: moved-course\nurl: {OLD}\n")
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=path),))
    health = {
        "moved-course": summary("moved-course", Status.REDIRECTED, final_url="https://new.example.org/")
    }
    (change,) = fix_redirects(catalogue, health, dry_run=True)
    assert change.applied and change.new_url == "https://new.example.org/"
    assert path.read_text() == f"id: moved-course\nurl: {OLD}\n"


def moved(final_url: str | None, *, chain: tuple[Hop, ...] = ()):
    return {
        "moved-course": summary("moved-course", Status.REDIRECTED, final_url=final_url, redirect_chain=chain)
    }


@pytest.mark.parametrize(
    ("health", "reason"),
    [
        (
            moved("https://accounts.example.org/login?next=/course"),
            "the new URL looks like a sign-in page (matches '/login')",
        ),
        (
            moved("https://example.org/users/sign_in"),
            "the new URL looks like a sign-in page (matches '/sign_in')",
        ),
        (moved("ftp://example.org/course"), "the new URL is not http(s)"),
        (moved(None), "the check recorded no permanent redirect target"),
        (moved(OLD), "the catalogue already has this URL (fixed since the last check)"),
        (
            moved("https://x.example.org/", chain=(Hop(OLD, 302, "https://x.example.org/"),)),
            "the check recorded no permanent redirect target",
        ),
    ],
    ids=[
        "login host",
        "sign_in path",
        "not http",
        "no target",
        "already fixed",
        "chain without a permanent hop",
    ],
)
def test_every_moved_resource_is_listed_with_the_reason_it_was_not_rewritten(
    tmp_path: Path, health, reason
) -> None:
    path = tmp_path / "moved-course.yaml"
    path.write_text(f"id: moved-course\nurl: {OLD}\n")
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=path),))
    (change,) = fix_redirects(catalogue, health)
    assert change.skipped == reason
    assert path.read_text() == f"id: moved-course\nurl: {OLD}\n"


@pytest.mark.parametrize(
    "health",
    [
        {},
        {"moved-course": summary("moved-course", Status.OK)},
        {"moved-course": summary("moved-course", Status.BROKEN)},
        {"moved-course": summary("moved-course", Status.OK, final_url="https://tmp.example.org/")},
    ],
    ids=["never checked", "ok", "broken", "temporary redirect"],
)
def test_nothing_to_do_when_the_report_does_not_say_moved(tmp_path: Path, health) -> None:
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=tmp_path / "x.yaml"),))
    assert plan_redirects(catalogue, health) == []


def test_a_domain_rule_adds_sign_in_patterns(tmp_path: Path) -> None:
    config = Config(domains=MappingProxyType({"example.org": DomainRule(login_url_patterns=("/gate",))}))
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=tmp_path / "x.yaml"),), config)
    (change,) = plan_redirects(catalogue, moved("https://www.example.org/gate/a"))
    assert change.skipped == "the new URL looks like a sign-in page (matches '/gate')"


def test_a_file_edited_since_the_check_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "moved-course.yaml"
    path.write_text("id: moved-course\nurl: https://edited.example.org/\n")
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=path),))
    (change,) = fix_redirects(catalogue, moved("https://new.example.org/course"))
    assert change.skipped == f"its url is no longer {OLD}"


def test_an_unreadable_file_is_listed(tmp_path: Path) -> None:
    catalogue = make_catalogue((resource("moved-course", url=OLD, source=tmp_path / "gone.yaml"),))
    (change,) = fix_redirects(catalogue, moved("https://new.example.org/course"))
    assert change.skipped == "cannot read the file: No such file or directory"


def test_every_real_catalogue_file_can_be_edited_in_place(repo_root: Path) -> None:
    from pipeline.catalogue.yamledit import replace_url

    files = sorted((repo_root / "catalogue" / "resources").glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8")
        url = yaml.safe_load(text).get("url")
        if url is None:
            continue
        new = replace_url(text, url, "https://moved.example.org/new-home")
        at = text.index(url)
        assert new == text[:at] + "https://moved.example.org/new-home" + text[at + len(url) :], path.name
