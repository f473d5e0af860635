# ruff: noqa: E501  (expected lines are what a user sees, kept whole to be searchable)
"""Checks beyond the schema, schema messages, output formats, FILES mode and the bundled catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.validate import validate_catalogue
from tests.validate.fixtures import Catalogue, Run, resource_text

R = "catalogue/resources"
ESSENCE = f"{R}/essence-of-linear-algebra.yaml"
IMMERSIVE = f"{R}/immersive-math.yaml"


def test_valid_catalogue(catalogue: Catalogue, cli: Run) -> None:
    assert cli("validate") == (0, "catalogue/: 3 resources in 2 sections, valid\n", "")


def test_catalogue_dir_from_environment(
    catalogue: Catalogue, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue.root.rename(catalogue.root.parent / "elsewhere")
    monkeypatch.setenv("ROADMAP_CATALOGUE", "elsewhere")
    assert cli("validate") == (0, "elsewhere/: 3 resources in 2 sections, valid\n", "")


CHECKS = [
    pytest.param(
        lambda c: c.write("resources/copy.yaml", resource_text("immersive-math", position=30)),
        [
            f"{R}/copy.yaml:1:5: the id 'immersive-math' does not match the file name 'copy.yaml' — rename the "
            "file to immersive-math.yaml, or set id: copy",
            # Every file involved, the new one too: a pull request's annotation lands where the change is.
            f"{R}/copy.yaml:1:5: the id 'immersive-math' is also used by {IMMERSIVE} — every resource "
            "needs its own id; rename one (and its file)",
            f"{R}/copy.yaml:3:6: the same resource as {IMMERSIVE} (the URLs are equal after "
            "normalisation) — list each resource once: keep one file and delete the other, or justify it in "
            "quality_exceptions: {duplicate: ...}",
            f"{R}/immersive-math.yaml:1:5: the id 'immersive-math' is also used by {R}/copy.yaml — every resource "
            "needs its own id; rename one (and its file)",
            f"{R}/immersive-math.yaml:3:6: the same resource as {R}/copy.yaml (the URLs are equal after "
            "normalisation) — list each resource once: keep one file and delete the other, or justify it in "
            "quality_exceptions: {duplicate: ...}",
        ],
        id="duplicate-id-and-file-name",
    ),
    pytest.param(
        lambda c: c.resource(
            "same-page",
            url="HTTP://WWW.Example.ORG:80/essence-of-linear-algebra/?utm_source=x&fbclid=y#top",
            position=30,
        ),
        [
            # http and https spellings of one page are one resource, whatever the case of the scheme.
            f"{ESSENCE}:3:6: the same resource as {R}/same-page.yaml (the URLs are equal after normalisation) — "
            "list each resource once: keep one file and delete the other, or justify it in quality_exceptions: "
            "{duplicate: ...}",
            f"{R}/same-page.yaml:3:6: the same resource as {ESSENCE} (the URLs are equal after normalisation) — "
            "list each resource once: keep one file and delete the other, or justify it in quality_exceptions: "
            "{duplicate: ...}",
            f"{R}/same-page.yaml:3:6: url has an upper-case scheme HTTP: — write it in lower case: http://",
        ],
        id="upper-case-scheme",
    ),
    pytest.param(
        lambda c: c.resource(
            "same-page",
            url="https://WWW.Example.ORG:443/essence-of-linear-algebra/?utm_source=x#top",
            position=30,
        ),
        [
            f"{ESSENCE}:3:6: the same resource as {R}/same-page.yaml (the URLs are equal after normalisation) — "
            "list each resource once: keep one file and delete the other, or justify it in quality_exceptions: "
            "{duplicate: ...}",
            f"{R}/same-page.yaml:3:6: the URL carries the click-tracking parameter utm_source — use "
            "https://WWW.Example.ORG:443/essence-of-linear-algebra/#top",
            f"{R}/same-page.yaml:3:6: the same resource as {ESSENCE} (the URLs are equal after normalisation) — "
            "list each resource once: keep one file and delete the other, or justify it in quality_exceptions: "
            "{duplicate: ...}",
        ],
        id="duplicate-url-after-normalisation",
    ),
    pytest.param(
        lambda c: c.resource("late", position=20),
        [
            f"{IMMERSIVE}:5:11: position 20 in section 'linear-algebra' is also used by {R}/late.yaml — positions "
            "order a section; give each resource its own (leave gaps: 10, 20, 30)",
            f"{R}/late.yaml:5:11: position 20 in section 'linear-algebra' is also used by {IMMERSIVE} — positions "
            "order a section; give each resource its own (leave gaps: 10, 20, 30)",
        ],
        id="duplicate-position",
    ),
    pytest.param(
        lambda c: c.resource("orphan", section="practice-datasets"),
        [
            f"{R}/orphan.yaml:4:10: the section 'practice-datasets' is not in sections.yaml — use one of: "
            "linear-algebra, cheatsheets; or add the section to sections.yaml",
        ],
        id="unknown-section",
    ),
    pytest.param(
        lambda c: (c.root / "resources/stanford-cs229-cheatsheets.yaml").unlink(),
        [
            "catalogue/sections.yaml:8:9: the section 'cheatsheets' has no resources — add a resource with "
            "section: cheatsheets, or remove the section",
        ],
        id="empty-section",
    ),
    pytest.param(
        lambda c: c.write(
            "sections.yaml",
            (c.root / "sections.yaml").read_text()
            + "  - id: cheatsheets\n    title: Again\n    kind: collection\n",
        ),
        [
            "catalogue/sections.yaml:11:9: the section 'cheatsheets' is listed twice (first as item 2) — list each "
            "section once",
        ],
        id="duplicate-section",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/typo.yaml", resource_text("typo", position=30).replace("cost: free", "cost: fre")
        ),
        [
            f"{R}/typo.yaml:9:7: 'fre' is not a valid cost — use one of: free, free-with-registration, freemium, "
            "paid; did you mean 'free'?",
        ],
        id="enum-closest-value",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/typo.yaml", resource_text("typo", position=30).replace("title:", "tittle:")
        ),
        [
            f"{R}/typo.yaml:1:1: missing required key 'title' — Title: The resource's name as a reader sees it in "
            'the list, e.g. "3Blue1Brown: Essence of Linear Algebra".',
            f"{R}/typo.yaml:2:1: unknown key 'tittle' — allowed keys: id, title, url, awaiting_url, archived_from, section, "
            "position, description, medium, cost, provider, effort, topics, origin, added, quality_exceptions, href, "
            "parent, separator, emphasis, label, links, tags, badges, fields, preface, details; "
            "did you mean 'title'?",
        ],
        id="unknown-and-missing-key",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/both.yaml", resource_text("both", position=30) + "awaiting_url: not verified\n"
        ),
        [
            f"{R}/both.yaml:14:1: 'url' and 'awaiting_url' cannot both be given — keep exactly one of url, awaiting_url"
        ],
        id="url-and-awaiting-url",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/neither.yaml",
            resource_text("neither", position=30).replace("url: https://example.org/neither\n", ""),
        ),
        [
            f"{R}/neither.yaml:1:1: missing required key 'url' — give url, or say in awaiting_url why it is not known yet"
        ],
        id="neither-url-nor-awaiting-url",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/types.yaml",
            resource_text("types", position=30)
            .replace("position: 30", "position: thirty")
            .replace('title: "Resource types"', 'title: "tab\\there"')
            .replace("topics: [vectors]", "topics: [vectors, vectors, Bad_Topic]")
            .replace("added: 2026-11-25", "added: 2026-02-30"),
        ),
        [
            f"{R}/types.yaml:2:8: title contains a tab at character 4 — remove it; text may not hold control "
            "characters",
            f"{R}/types.yaml:5:11: position must be a whole number, not text — Position: Order inside the section, "
            "smallest first; leave gaps (10, 20, ...) so a new entry needs no renumbering. Unique within the section.",
            f'{R}/types.yaml:11:9: topics lists "vectors" more than once — keep each item once',
            f"{R}/types.yaml:11:28: topics item 3 'Bad_Topic' must be lower-case letters and digits in words joined "
            "by single hyphens — e.g. 'bad-topic'",
        ],
        id="types-control-characters-unique-items",
    ),
    pytest.param(
        lambda c: c.write(
            "resources/bad-date.yaml",
            resource_text("bad-date", position=30).replace("2026-11-25", "2026-02-30"),
        ),
        [f"{R}/bad-date.yaml:13:8: added '2026-02-30' is not a calendar date — write a real day, YYYY-MM-DD"],
        id="impossible-date",
    ),
    pytest.param(
        lambda c: c.write("resources/notes.yml", "x: 1\n"),
        [f"{R}/notes.yml: catalogue files end in .yaml, not .yml — rename it to resources/notes.yaml"],
        id="yml-extension",
    ),
    pytest.param(
        lambda c: c.write(
            "config.yaml",
            "check:\n  concurrency: 0\n  per_host: 99\ndomains:\n  Kaggle.com:\n    per_host: 1\n"
            "quality:\n  not-fre:\n    severity: error\n",
        ),
        [
            "catalogue/config.yaml:2:16: check > concurrency is 0; it must be at least 1 — Concurrency: Cap on "
            "requests in flight over all hosts (default 128).",
            "catalogue/config.yaml:3:13: check > per_host is 99; it must be at most 32 — Per host: Requests in "
            "flight to one host (default 2).",
            "catalogue/config.yaml:5:3: 'Kaggle.com' is not allowed as a key of domains — Host name: A lower-case "
            "host name such as kaggle.com.",
            "catalogue/config.yaml:8:3: unknown key 'not-fre' in quality — allowed keys: not-free, not-visual, "
            "weak-description, duplicate, dead, moved, awaiting-url, archived, stale, insecure-http; did you mean 'not-free'?",
        ],
        id="config-bounds-and-keys",
    ),
    pytest.param(
        lambda c: (c.root / "roadmap.yaml").unlink(),
        ["catalogue/roadmap.yaml: the catalogue has no roadmap.yaml — create it (see catalogue/README.md)"],
        id="missing-roadmap",
    ),
]


@pytest.mark.parametrize(("change", "expected"), CHECKS)
def test_check(catalogue: Catalogue, cli: Run, change, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    change(catalogue)
    code, out, err = cli("validate")
    files = len({line.split(":")[0] for line in expected})
    count = len(expected)
    summary = f"{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}"
    assert (code, err) == (1, "")
    assert out.splitlines() == [*expected, summary]


def test_duplicate_waived_by_quality_exception(catalogue: Catalogue, cli: Run) -> None:
    catalogue.write(
        "resources/mirror.yaml",
        resource_text("mirror", url="https://example.org/immersive-math", position=30)
        + "quality_exceptions:\n  duplicate: The mirror hosts the printable edition.\n",
    )
    assert cli("validate")[0] == 0


def test_format_json(catalogue: Catalogue, cli: Run) -> None:
    catalogue.resource("js", url="javascript:alert(1)", position=30)
    code, out, _ = cli("validate", "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "valid": False,
        "problems": [
            {
                "file": f"{R}/js.yaml",
                "line": 3,
                "column": 6,
                "path": "$.url",
                "message": "url uses the javascript: scheme",
                "hint": "only http:// and https:// addresses are allowed",
                "rule": "schema-pattern",
                "severity": "error",
            }
        ],
        "summary": {
            "catalogue": "catalogue",
            "files_checked": 7,
            "problems": 1,
            "files_with_problems": 1,
            "resources": None,
            "sections": None,
        },
    }


def test_format_json_valid(catalogue: Catalogue, cli: Run) -> None:
    code, out, _ = cli("validate", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["valid"] is True and document["problems"] == []
    assert (document["summary"]["resources"], document["summary"]["sections"]) == (3, 2)


def test_format_github(catalogue: Catalogue, cli: Run) -> None:
    catalogue.resource("js", url="javascript:alert(1)", position=30)
    catalogue.write("resources/empty.yaml", b"")
    catalogue.write("resources/big.yaml", b"x" * (2 << 20))
    code, out, _ = cli("validate", "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        f"::error file={R}/big.yaml,title=too-large::the file is 2,097,152 bytes; at most 1,048,576 are allowed — "
        "a catalogue file holds one small document; this is not one",
        f"::error file={R}/empty.yaml,line=1,col=1,title=empty::the file is empty — write the document this file "
        "should hold (see catalogue/README.md)",
        f"::error file={R}/js.yaml,line=3,col=6,title=schema-pattern::url uses the javascript: scheme — only "
        "http:// and https:// addresses are allowed",
        "3 problems in 3 files",
    ]


def test_files_mode_checks_given_files_against_the_rest(catalogue: Catalogue, cli: Run) -> None:
    catalogue.write("resources/broken-elsewhere.yaml", b"")  # not listed: not reported
    new = catalogue.resource("new-one", url="https://www.example.org/immersive-math/", position=10)
    code, out, _ = cli("validate", str(new.relative_to(catalogue.root.parent)))
    assert code == 1
    assert out.splitlines() == [
        f"{R}/new-one.yaml:3:6: the same resource as {IMMERSIVE} (the URLs are equal after normalisation) — list "
        "each resource once: keep one file and delete the other, or justify it in quality_exceptions: "
        "{duplicate: ...}",
        f"{R}/new-one.yaml:5:11: position 10 in section 'linear-algebra' is also used by {ESSENCE} — positions "
        "order a section; give each resource its own (leave gaps: 10, 20, 30)",
        "2 problems in 1 file",
    ]


def test_files_mode_valid(catalogue: Catalogue, cli: Run) -> None:
    new = catalogue.resource("new-one", position=30)
    catalogue.write("README.md", "# The catalogue\n")
    code, out, _ = cli("validate", str(new), "catalogue/README.md")
    assert (code, out) == (0, "catalogue/: 1 file checked against the rest of the catalogue, valid\n")


def test_files_mode_quick_scan_agrees_with_a_full_parse(catalogue: Catalogue, cli: Run) -> None:
    """The rest is read by a line scan; quoted or unusual spellings fall back to the YAML parser."""
    catalogue.write(
        "resources/quoted.yaml",
        resource_text("quoted", url="'https://example.org/shared'", position=30).replace(
            "id: quoted", 'id: "quoted"  # a comment'
        ),
    )
    catalogue.write(
        "resources/folded.yaml",
        resource_text("folded", position=40).replace(
            "url: https://example.org/folded", "url: >-\n  https://example.org/x"
        ),
    )
    new = catalogue.resource("new-one", url="https://example.org/shared/", position=50)
    dup = catalogue.resource("new-two", url="https://example.org/x", position=60)
    code, out, _ = cli("validate", str(new), str(dup))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{R}/new-one.yaml:3:6: the same resource as {R}/quoted.yaml ")
    assert lines[1].startswith(f"{R}/new-two.yaml:3:6: the same resource as {R}/folded.yaml ")
    assert lines[2:] == ["2 problems in 2 files"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--catalogue", "missing"], "roadmap: error: missing: no such catalogue directory"),
        (["/etc/hostname"], "roadmap: error: /etc/hostname: not inside the catalogue directory catalogue"),
        (
            ["catalogue/resources/gone.yaml"],
            "roadmap: error: catalogue/resources/gone.yaml: no such file (list only "
            "files that exist, e.g. git diff --diff-filter=d)",
        ),
        (["--format", "xml"], None),
    ],
)
def test_usage_errors_exit_2(catalogue: Catalogue, cli: Run, args: list[str], message: str | None) -> None:
    code, out, err = cli("validate", *args)
    assert (code, out) == (2, "")
    if message is not None:
        assert err == message + "\n"
    else:
        assert "Invalid value for '--format'" in err


def test_help_shows_an_example(cli: Run) -> None:
    code, out, _ = cli("validate", "--help")
    assert code == 0
    assert "roadmap validate catalogue/resources/statquest.yaml" in out


def test_problem_api(catalogue: Catalogue) -> None:
    catalogue.resource("js", url="javascript:alert(1)", position=30)
    result = validate_catalogue(Path("catalogue"))
    assert result.catalogue is None and not result.valid and result.files_checked == 7
    (problem,) = result.problems
    assert (problem.file, problem.line, problem.column, problem.path, problem.rule) == (
        f"{R}/js.yaml",
        3,
        6,
        "$.url",
        "schema-pattern",
    )
    assert problem.format_text() == (
        f"{R}/js.yaml:3:6: url uses the javascript: scheme — only http:// and https:// addresses are allowed"
    )


def test_bundled_catalogue_is_valid(repo_root: Path, cli: Run) -> None:
    code, out, _ = cli("validate", "--catalogue", str(repo_root / "catalogue"))
    assert out.endswith(", valid\n"), out
    assert code == 0
