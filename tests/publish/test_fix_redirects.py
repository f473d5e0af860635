"""`fix redirects`: only permanent moves, never sign-in pages or temporary hops; only the url line changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.publish.fix_redirects import fix_redirects, looks_like_login, plan_redirects, rewrite_url
from pipeline.status import Hop, Status
from tests.publish.factory import make_catalogue, resource, summary

FILE = """\
# yaml-language-server: $schema=../../schema/resource.schema.json
id: moved-course   # keep this comment
title: "A course: that moved"
url: {url}          # the canonical URL
section: linear-algebra
position: 10
description: >-
  A folded description that is long enough to say what the student will understand, kept exactly as
  written, line breaks and all.
medium: video-series
cost: free
provider: Someone
topics: [vectors,  matrices]
origin: seed
added: 2026-11-25
"""


def write_catalogue(tmp_path: Path, url_text: str, url: str):
    path = tmp_path / "catalogue" / "resources" / "moved-course.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(FILE.format(url=url_text), encoding="utf-8")
    catalogue = make_catalogue((resource("moved-course", url=url, source=path),))
    return catalogue, path


def moved(final_url: str, *, chain: tuple[Hop, ...] = ()):
    return {
        "moved-course": summary("moved-course", Status.REDIRECTED, final_url=final_url, redirect_chain=chain)
    }


@pytest.mark.parametrize(
    ("url_text", "expected_line"),
    [
        # The trailing comment stays in its column; the quoting stays as written.
        (
            "https://old.example.org/course",
            "url: https://new.example.org/course/         # the canonical URL\n",
        ),
        (
            '"https://old.example.org/course"',
            'url: "https://new.example.org/course/"         # the canonical URL\n',
        ),
        (
            "'https://old.example.org/course'",
            "url: 'https://new.example.org/course/'         # the canonical URL\n",
        ),
    ],
    ids=["plain", "double-quoted", "single-quoted"],
)
def test_only_the_url_line_changes_byte_for_byte(tmp_path: Path, url_text: str, expected_line: str) -> None:
    catalogue, path = write_catalogue(tmp_path, url_text, "https://old.example.org/course")
    before = path.read_bytes()
    changes = fix_redirects(catalogue, moved("https://new.example.org/course/"))
    assert [(c.resource_id, c.old_url, c.new_url, c.skipped) for c in changes] == [
        ("moved-course", "https://old.example.org/course", "https://new.example.org/course/", None)
    ]
    after = path.read_bytes()
    old_lines, new_lines = before.decode().splitlines(True), after.decode().splitlines(True)
    assert len(old_lines) == len(new_lines)
    assert [(o, n) for o, n in zip(old_lines, new_lines, strict=True) if o != n] == [
        (old_lines[3], expected_line)
    ]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    catalogue, path = write_catalogue(
        tmp_path, "https://old.example.org/course", "https://old.example.org/course"
    )
    before = path.read_bytes()
    (change,) = fix_redirects(catalogue, moved("https://new.example.org/course"), dry_run=True)
    assert change.applied
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("health", "reason"),
    [
        (moved("https://accounts.example.org/login?next=/course"), "the final URL looks like a sign-in page"),
        (moved("https://example.org/users/sign_in"), "the final URL looks like a sign-in page"),
        (
            moved(
                "https://new.example.org/course",
                chain=(
                    Hop("https://old.example.org/course", 302, "https://mid.example.org/"),
                    Hop("https://mid.example.org/", 301, "https://new.example.org/course"),
                ),
            ),
            "the redirect chain has a temporary redirect (HTTP 302)",
        ),
    ],
    ids=["login page", "sign_in path", "temporary hop in the chain"],
)
def test_never_rewrites_to_login_pages_or_through_temporary_redirects(tmp_path: Path, health, reason) -> None:
    catalogue, path = write_catalogue(
        tmp_path, "https://old.example.org/course", "https://old.example.org/course"
    )
    before = path.read_bytes()
    (change,) = fix_redirects(catalogue, health)
    assert change.skipped == reason
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "health",
    [
        {},
        {"moved-course": summary("moved-course", Status.OK)},
        {"moved-course": summary("moved-course", Status.BROKEN)},
        # A temporary redirect is classified "ok" by the crawler (it lands), never "redirected".
        {"moved-course": summary("moved-course", Status.OK, final_url="https://tmp.example.org/")},
        # Already fixed: the catalogue has the final URL.
        moved("https://old.example.org/course"),
    ],
    ids=["never checked", "ok", "broken", "temporary redirect", "already up to date"],
)
def test_nothing_to_do(tmp_path: Path, health) -> None:
    catalogue, _ = write_catalogue(
        tmp_path, "https://old.example.org/course", "https://old.example.org/course"
    )
    assert plan_redirects(catalogue, health) == []


def test_a_domain_rule_adds_login_patterns(tmp_path: Path) -> None:
    from types import MappingProxyType

    from pipeline.config import Config, DomainRule

    config = Config(domains=MappingProxyType({"example.org": DomainRule(login_url_patterns=("/gate",))}))
    path = tmp_path / "x.yaml"
    catalogue = make_catalogue((resource("moved-course", url="https://example.org/a", source=path),), config)
    (change,) = plan_redirects(catalogue, moved("https://www.example.org/gate/a"))
    assert change.skipped == "the final URL looks like a sign-in page"


def test_a_file_edited_since_the_check_is_left_alone(tmp_path: Path) -> None:
    catalogue, _ = write_catalogue(tmp_path, "https://edited.example.org/", "https://old.example.org/course")
    (change,) = fix_redirects(catalogue, moved("https://new.example.org/course"))
    assert change.skipped == "its url is no longer https://old.example.org/course"


def test_refuses_an_edit_that_would_reformat_the_file() -> None:
    text = "id: x\nurl: https://old.example.org/\ntopics: [a,\n  b]\n"
    with pytest.raises(ValueError, match="would change more than the url line"):
        rewrite_url(text, "https://old.example.org/", "https://new.example.org/")


@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("https://example.org/login", True),
        ("https://github.com/login?return_to=%2Fx", True),
        ("https://accounts.google.com/ServiceLogin", True),
        ("https://www.youtube.com/playlist?list=PL", False),
        ("https://example.org/blog/logistic-regression", False),
    ],
)
def test_looks_like_login(url: str, login: bool) -> None:
    assert looks_like_login(url) is login


def test_every_real_catalogue_file_can_be_edited_in_place(repo_root: Path) -> None:
    from ruamel.yaml import YAML

    files = sorted((repo_root / "catalogue" / "resources").glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        url = YAML(typ="safe").load(text).get("url")
        if url is None:
            continue
        new = rewrite_url(text, url, "https://moved.example.org/new-home")
        changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
        assert len(changed) == 1, path.name
        assert changed[0][1].startswith("url: https://moved.example.org/new-home"), path.name
