# ruff: noqa: E501 - the fixture list keeps its real-world long lines
"""`roadmap import`: every Markdown shape of a curated list, through the real CLI, into a catalogue that
validates; the export gives the list back (same links, same order, same headings, ToC regenerated)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from pipeline.importer.items import parse_inline
from pipeline.importer.read import read_list
from tests.validate.fixtures import cli  # noqa: F401

LIST = textwrap.dedent(
    """\
    # Awesome Things [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)

    A curated list of things.

    ## Contents

    **Tools**

    - [Editors](#editors)
      - [Plugins](#plugins)

    **Reading**

    - [Books](#books)

    ## Editors

    _Programs that edit text._

    - [Vim](https://www.vim.org/) - The ubiquitous editor.
    - **[Emacs](https://www.gnu.org/software/emacs/)** – An extensible editor.
    - [Helix](https://helix-editor.com/): A post-modern editor. ([Demo](https://helix-editor.com/demo), [Source Code](https://github.com/helix-editor/helix)) `MPL-2.0` `Rust`
    - [Kakoune](https://kakoune.org/) — Modal editing. [![stars](https://img.shields.io/github/stars/mawww/kakoune)](https://github.com/mawww/kakoune)
    - [Nano](https://www.nano-editor.org/)
    - Lightweight
      - [micro](https://micro-editor.github.io/) - A terminal editor.
        - [micro-plugins](https://github.com/micro-editor/plugin-channel)
    - [Local notes](docs/notes.md) - Kept in this repository.
    - A wrapper around `ed` - with a code span in its name.

    ### Plugins

    - [vim-plug](https://github.com/junegunn/vim-plug) - A plugin manager.
    - [Vim](https://www.vim.org/) - Listed twice on purpose.

    ## Books

    | Book | Description | Free |
    |:---|:---|:---|
    | [Practical Vim](https://pragprog.com/titles/dnvim2/) | Edit text at the speed of thought | No |
    | [Learn Vimscript](https://learnvimscriptthehardway.stevelosh.com/) | Vimscript, explained | Yes |

    | Day | Note |
    |---|---|
    | Mon | no links here |

    <p><a href="https://example.org/sponsor">Sponsor</a></p>

    ## Contributing

    Read the [guidelines](CONTRIBUTING.md) first.
    """
)


@pytest.fixture
def imported(tmp_path: Path, cli):  # type: ignore[no-untyped-def]  # noqa: F811
    source = tmp_path / "README.md"
    source.write_text(LIST, encoding="utf-8")
    code, out, err = cli("import", str(source), "--into", str(tmp_path / "list" / "catalogue"))
    assert (code, err) == (0, "")
    return tmp_path, out


def _resources(root: Path) -> dict[str, dict]:
    folder = root / "list" / "catalogue" / "resources"
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))}


def test_import_reports_what_it_kept_as_text(imported) -> None:  # type: ignore[no-untyped-def]
    root, out = imported
    source = root / "README.md"
    assert out.splitlines() == [
        f"{source}:43: kept as text: a table without links, kept as text",
        f"{source}:47: kept as text: HTML with links, kept as it is",
        f"{root / 'list' / 'catalogue'}: 14 resources (11 with a web address) in 5 sections from {source}; "
        "2 parts kept as text",
    ]


def test_every_shape_becomes_a_resource(imported) -> None:  # type: ignore[no-untyped-def]
    resources = _resources(imported[0])
    assert resources["vim"]["url"] == "https://www.vim.org/"
    assert resources["vim"]["description"] == "The ubiquitous editor."
    emacs = resources["emacs"]
    assert (emacs["title"], emacs["separator"], emacs["emphasis"]) == ("Emacs", " – ", "**")
    helix = resources["helix"]
    assert helix["separator"] == ": "
    assert helix["links"] == [
        {"title": "Demo", "target": "https://helix-editor.com/demo"},
        {"title": "Source Code", "target": "https://github.com/helix-editor/helix"},
    ]
    assert helix["tags"] == ["MPL-2.0", "Rust"]
    assert resources["kakoune"]["badges"] == [
        "[![stars](https://img.shields.io/github/stars/mawww/kakoune)](https://github.com/mawww/kakoune)"
    ]
    assert "description" not in resources["nano"]
    assert resources["lightweight"]["awaiting_url"] == "the list names it without a link"
    assert resources["micro"]["parent"] == "lightweight"
    assert resources["micro-plugins"]["parent"] == "micro"
    assert resources["local-notes"]["href"] == "docs/notes.md" and "url" not in resources["local-notes"]
    assert resources["a-wrapper-around-ed"]["title"] == "A wrapper around `ed`"
    # The same link under two headings: both kept, ids unique and stable
    assert resources["vim-2"]["section"] == "plugins"
    book = resources["practical-vim"]
    assert (book["description"], book["fields"]) == ("Edit text at the speed of thought", {"Free": "No"})


def test_the_catalogue_validates_with_duplicates_as_warnings(imported, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    root, _ = imported
    code, out, _ = cli("validate", "--catalogue", str(root / "list" / "catalogue"))
    assert code == 0, out
    assert "(the URLs are equal after normalisation)" in out


def test_import_is_stable_and_replace_is_explicit(imported, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    root, _ = imported
    before = {p.name: p.read_bytes() for p in (root / "list" / "catalogue").rglob("*.yaml")}
    code, _, err = cli("import", str(root / "README.md"), "--into", str(root / "list" / "catalogue"))
    assert code == 2 and "not empty" in err and "--replace" in err
    assert (
        cli("import", str(root / "README.md"), "--into", str(root / "list" / "catalogue"), "--replace")[0]
        == 0
    )
    after = {p.name: p.read_bytes() for p in (root / "list" / "catalogue").rglob("*.yaml")}
    assert after == before


def test_export_gives_the_list_back_with_a_regenerated_toc(imported, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    root, _ = imported
    catalogue = root / "list" / "catalogue"
    code, _, err = cli("export", "--catalogue", str(catalogue), "--database", f"sqlite:///{root / 'x.db'}")
    assert (code, err) == (0, "")
    readme = (root / "list" / "exports" / "README.md").read_text(encoding="utf-8")
    toc = (
        "- [Editors](#editors)\n  - [Plugins](#plugins)\n- [Books](#books)\n- [Contributing](#contributing)\n"
    )
    # Byte for byte, but for the ToC: regenerated from the headings
    expected = LIST.replace(
        "**Tools**\n\n- [Editors](#editors)\n  - [Plugins](#plugins)\n\n**Reading**\n\n- [Books](#books)\n",
        toc,
    )
    assert readme == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"\xff\xfe# x", "not UTF-8 text"),
        (b"# a\x00b", "NUL bytes"),
    ],
)
def test_bad_source_is_one_line(tmp_path: Path, cli, text: bytes, why: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = tmp_path / "bad.md"
    source.write_bytes(text)
    code, out, err = cli("import", str(source), "--into", str(tmp_path / "c"))
    assert code == 2 and out == "" and why in err and err.count("\n") == 1 and str(source) in err


def test_missing_source(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    code, _, err = cli("import", str(tmp_path / "nope.md"), "--into", str(tmp_path / "c"))
    assert (code, err) == (2, f"roadmap: error: {tmp_path / 'nope.md'}: no such file\n")


@pytest.mark.parametrize(
    ("item", "title", "target", "description"),
    [
        ("[A](https://a.org) - Desc.", "A", "https://a.org", "Desc."),
        ("[A](https://a.org) – Desc.", "A", "https://a.org", "Desc."),
        ("[A](https://a.org) — Desc.", "A", "https://a.org", "Desc."),
        ("[A](https://a.org): Desc.", "A", "https://a.org", "Desc."),
        ("[A](https://a.org) Desc.", "A", "https://a.org", "Desc."),
        ("*[A](https://a.org)* - Desc.", "A", "https://a.org", "Desc."),
        ("[A](#a) - In-page.", "A", "#a", "In-page."),
        ("Label - [x](https://x.org)", "Label", None, "[x](https://x.org)"),
        ("[A](https://a.org) - Uses `libfoo`", "A", "https://a.org", "Uses `libfoo`"),
        ("[A](<https://a.org/x y>) - Spaced.", "A", "https://a.org/x%20y", "Spaced."),  # where browsers go
    ],
)
def test_item_variants(item: str, title: str, target: str | None, description: str) -> None:
    parts = parse_inline(item)
    assert (parts.title, parts.target, parts.description) == (title, target, description)


def test_toc_is_not_imported() -> None:
    imported = read_list(LIST, "x")
    assert [s["id"] for s in imported.sections] == ["contents", "editors", "plugins", "books", "contributing"]
    assert imported.sections[0]["kind"] == "toc"
    assert all(r["section"] != "contents" for r in imported.resources)


def test_click_trackers_of_an_imported_list_are_warnings(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = tmp_path / "README.md"
    source.write_text("# L\n\n## A\n\n- [X](https://x.org/?utm_source=list) - Tracked.\n", encoding="utf-8")
    catalogue = tmp_path / "c"
    assert cli("import", str(source), "--into", str(catalogue))[0] == 0
    # import changes no URL; validate lists the tracker, as a warning the list's config chose
    assert "utm_source" in (catalogue / "resources" / "x.yaml").read_text()
    code, out, _ = cli("validate", "--catalogue", str(catalogue), "--format", "json")
    problems = [(p["rule"], p["severity"]) for p in __import__("json").loads(out)["problems"]]
    assert (code, problems) == (0, [("tracking-parameter", "warning")])
    # In text, a warning says so, and so does the summary: nothing fails.
    code, out, _ = cli("validate", "--catalogue", str(catalogue))
    line, summary = out.splitlines()
    assert code == 0 and re.match(r".*/x\.yaml:\d+:\d+: warning: the URL carries the click-tracking", line)
    assert summary == "1 warning in 1 file, no errors: valid"
    # Beside an error, the warning is counted among the problems.
    broken = catalogue / "resources" / "broken.yaml"
    text = (catalogue / "resources" / "x.yaml").read_text()
    broken.write_text(
        text.replace("id: x", "id: Broken Id").replace("https://x.org/?utm_source=list", "https://y.org/")
    )
    code, out, _ = cli("validate", "--catalogue", str(catalogue))
    assert code == 1 and re.fullmatch(
        r"\d+ problems in 2 files \(1 warning among them\)", out.splitlines()[-1]
    )
    broken.unlink()
    config = catalogue / "config.yaml"
    config.write_text(config.read_text().replace("tracking-parameter: warning", "tracking-parameter: error"))
    code, out, _ = cli("validate", "--catalogue", str(catalogue))
    assert code == 1 and ": warning:" not in out and out.splitlines()[-1] == "1 problem in 1 file"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "Intro.\n\n- [a](https://a.org) - x\n- [b](https://b.org)\n  - [c](https://c.org)\n\nEnd.\n",
            id="no-headings",
        ),
        pytest.param(
            "# T\n\n## S\n\n1. [a](https://a.org) - first\n2. [b](https://b.org) - second\n   - [c](https://c.org)\n",
            id="numbered",
        ),
        pytest.param(
            "# T\n\n## S\n* [a](https://a.org) — dash\n* [b](https://b.org)\n\n\n## U\n\nText only.\n",
            id="star-tight-gaps",
        ),
        pytest.param(
            "# T\n\n### Deep\n\n| Name | Note |\n|---|---|\n| **[a](https://a.org)** | x |\n| plain | y |\n",
            id="table-bold-and-unlinked",
        ),
        pytest.param(
            "# T\n\n## S\n| API | Auth |\n|---|---|\n| [a](https://a.org) | No | |\n| [b](https://b.org) | Yes |\n",
            id="table-with-an-empty-extra-cell",
        ),
        pytest.param(
            "# T\n\n## S\n\n- [a](https://a.org) - one\n\nBetween the lists.\n\n- [b](https://b.org) - two\n",
            id="prose-between",
        ),
        pytest.param(
            "# T\n\n## S\n\n- [a](<https://a.org/x_(y>) - an unbalanced parenthesis stays inside <…>\n"
            "- [b](https://en.wikipedia.org/wiki/B_(c)) - a balanced one needs none\n",
            id="destinations",
        ),
        pytest.param(
            "# T\n\n## Contents\n\n- [A](#a)\n- [B](#b)\n\n## A\n\n| Name | Note |\n|---|---|\n| [a](https://a.org) | x |\n\nSee also:\n\n"
            "- [b](https://b.org) - bee\n\n## B\n\n- [c](https://c.org) - sea\n\n| API | Auth |\n|---|---|\n| [d](https://d.org) | y |\n\n"
            "| Name | Note |\n|---|---|\n| [e](https://e.org) | z |\n\nEnd.\n",
            id="tables-and-lists-under-one-heading",
        ),
        pytest.param(
            "# T\n\n## S\n\n* [a](https://a.org) - one\n\n* [b](https://b.org) - two\n  * [c](https://c.org)\n\n"
            "* [d](https://d.org) - four\n\n## U\n\n- [e](https://e.org)\n- [f](https://f.org)\n",
            id="a-loose-list-beside-a-tight-one",
        ),
        pytest.param(
            "# T\n\n## Contents\n\n* [S](#s)\n\n## S\n\n- [a](https://a.org)\n- [b](https://b.org)\n\n"
            "Books:\n\n1. [c](https://c.org) - one\n2. [d](https://d.org) - two\n\nMore books:\n\n"
            "1. [e](https://e.org) - three\n\n* [f](https://f.org)\n",
            id="lists-of-other-markers-under-one-heading",
        ),
        pytest.param(
            "# T\n\n## S\n\n1. [a](https://a.org) - one\n1. [b](https://b.org) - two\n\nThen:\n\n"
            "1. [c](https://c.org)\n2. [d](https://d.org)\n\n## U\n\n1. [e](https://e.org)\n1. [f](https://f.org)\n",
            id="numbered-one-one-one",
        ),
        pytest.param(
            "# T\n\n## S\n\n* [a](https://a.org) - one\n    * [b](https://b.org) - two\n        * [c](https://c.org)\n"
            "* [d](https://d.org)\n    * [e](https://e.org)\n\n      More about e.\n\n* [f](https://f.org)\n",
            id="sub-items-four-spaces-in",
        ),
        pytest.param(
            "# T\n\n## S\n\n* [a](https://a.org) - one\n  - [b](https://b.org) - two\n    - [c](https://c.org)\n"
            "* [d](https://d.org)\n  - [e](https://e.org)\n\n## U\n\n1. [f](https://f.org)\n   - [g](https://g.org)\n",
            id="sub-items-with-a-bullet-of-their-own",
        ),
        pytest.param(
            "# T\n\n## S\n\n- [a](https://a.org) - one\n\n  More about a.\n\n- [b](https://b.org) - two\n"
            "- [c](https://c.org) - three\n",
            id="details-are-no-loose-list",
        ),
        pytest.param(
            "# T\n\n## S\n\n| # | Course | Link | Notes |\n|---|---|---|---|\n| 1 | Linear Algebra | [PDF](https://a.org/la.pdf) | free |\n"
            "| 2 | | [PDF](https://b.org) | |\n| 3 | Calculus | [Read **online**](https://c.org) | x |\n| 4 | Probability | *[PDF](https://d.org)* | |\n",
            id="table-named-by-another-column",
        ),
    ],
)
def test_round_trip_is_byte_for_byte(tmp_path: Path, cli, source: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    (tmp_path / "s.md").write_text(source, encoding="utf-8")
    assert cli("import", str(tmp_path / "s.md"), "--into", str(tmp_path / "l" / "catalogue"))[0] == 0
    assert cli("validate", "--catalogue", str(tmp_path / "l" / "catalogue"))[0] == 0
    code, _, err = cli(
        "export",
        "--catalogue",
        str(tmp_path / "l" / "catalogue"),
        "--database",
        f"sqlite:///{tmp_path / 'd.db'}",
    )
    assert (code, err) == (0, "")
    assert (tmp_path / "l" / "exports" / "README.md").read_text(encoding="utf-8") == source


TABLES = textwrap.dedent(
    """\
    # Reading

    ## Books

    | No. | Author | Book | Link |
    |---|---|---|---|
    | 1 | Axler | Linear Algebra Done Right | [PDF](https://linear.axler.net/LADR4e.pdf) |
    | 2 | Strang | Introduction to Linear Algebra | [Read](https://math.mit.edu/~gs/linearalgebra/) |
    | 3 | Boyd | Convex Optimization | [🔗](https://web.stanford.edu/~boyd/cvxbook/) |

    ## APIs

    | API | Description | Link |
    |---|---|---|
    | Cats | Pictures of cats | [Docs](https://cats.example/docs) |
    | Dogs | Pictures of dogs | [Docs](https://dogs.example/docs) |
    | Owls | Pictures of owls | [Docs](https://owls.example/docs) |

    ## Tools

    | Name | Licence |
    |---|---|
    | [Read](https://read.example/) | MIT |
    | [Vim](https://www.vim.org/) | Vim |
    | [Emacs](https://www.gnu.org/software/emacs/) | GPL |
    """
)


def test_a_table_whose_links_read_pdf_takes_its_names_from_another_column() -> None:
    imported = read_list(TABLES, "x")
    tables = {s["id"]: s.get("table", {}).get("name_column") for s in imported.sections}
    # "Book" names things better than "Author"; a column of numbers never names; the same link text in
    # three rows is not a name; a table whose links are names keeps them, one "Read" among them too.
    assert tables == {"books": "Book", "apis": "API", "tools": None}
    entries = [
        (r["id"], r["title"], r.get("label"), r.get("url"), r.get("fields")) for r in imported.resources
    ]
    assert entries[:4] == [
        (
            "linear-algebra-done-right",
            "Linear Algebra Done Right",
            "PDF",
            "https://linear.axler.net/LADR4e.pdf",
            {"No.": "1", "Author": "Axler"},
        ),
        (
            "introduction-to-linear-algebra",
            "Introduction to Linear Algebra",
            "Read",
            "https://math.mit.edu/~gs/linearalgebra/",
            {"No.": "2", "Author": "Strang"},
        ),
        (
            "convex-optimization",
            "Convex Optimization",
            "🔗",
            "https://web.stanford.edu/~boyd/cvxbook/",
            {"No.": "3", "Author": "Boyd"},
        ),
        ("cats", "Cats", "Docs", "https://cats.example/docs", None),
    ]
    assert imported.resources[3]["description"] == "Pictures of cats"
    assert [r["title"] for r in imported.resources[6:]] == ["Read", "Vim", "Emacs"]
    assert not any("label" in r for r in imported.resources[6:])


def test_tabs_and_headings_over_two_lines_make_a_valid_catalogue(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Found by feeding the importer random Markdown: a tab in an entry's text or in the title, and a
    setext heading over two lines, made a catalogue validate refused (those fields hold one line)."""
    source = tmp_path / "s.md"
    source.write_text(
        "# The\tList\n\nTools\nand more\n---\n\n- [A](https://a.org) - First\tand best.\n"
        "\n| Name | Notes |\n|---|---|\n| [B](https://b.org) | x\ty |\n",
        encoding="utf-8",
    )
    assert cli("import", str(source), "--into", str(tmp_path / "c"))[0] == 0
    assert cli("validate", "--catalogue", str(tmp_path / "c"))[0] == 0
    imported = read_list(source.read_text(encoding="utf-8"), "s")
    assert imported.title == "The List" and imported.sections[0]["title"] == "Tools and more"
    assert imported.resources[0]["description"] == "First and best."
    assert imported.resources[1]["fields"] == {"Notes": "x y"}


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        pytest.param(
            "# L\n\n## " + "Long " * 70 + "\n\n- [a](https://a.org) - x\n",
            "a heading of 349 characters",
            id="long-heading",
        ),
        pytest.param(
            "# L\n\n| [h](https://h.org) |\n|---|\n\n- [a](https://a.org) - x\n",
            "a table of links in the introduction",
            id="header-only-table",
        ),
        pytest.param(
            "# L\n\n## S\n\n- [a](https://a.org)\t- tab before the dash\n", None, id="tab-separator"
        ),
    ],
)
def test_odd_markdown_found_by_fuzzing_still_makes_a_valid_catalogue(
    tmp_path: Path,
    cli,  # noqa: F811
    source: str,
    kept: str | None,
) -> None:
    (tmp_path / "s.md").write_text(source, encoding="utf-8")
    code, out, _ = cli("import", str(tmp_path / "s.md"), "--into", str(tmp_path / "c"))
    assert code == 0 and (kept is None or f"kept as text: {kept}" in out)
    assert cli("validate", "--catalogue", str(tmp_path / "c"))[0] == 0


def test_the_import_counts_the_readmes_sections_not_their_parts(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = tmp_path / "s.md"
    source.write_text(
        "# T\n\n## A\n\n| Name | Note |\n|---|---|\n| [a](https://a.org) | x |\n\n- [b](https://b.org) - bee\n\n"
        "## B\n\n- [c](https://c.org) - sea\n",
        encoding="utf-8",
    )
    code, out, _ = cli("import", str(source), "--into", str(tmp_path / "c"))
    assert code == 0 and out.endswith(f"3 resources (3 with a web address) in 2 sections from {source}\n")
    assert len((tmp_path / "c" / "sections.yaml").read_text().split("- id: ")) == 4  # a, its part, b


def test_a_column_of_repeated_words_never_names_a_table() -> None:
    # public-apis' shape: its APIs "GitHub" and "Docs" read like link texts, but Auth and HTTPS repeat
    # their words: they are not names, so the links stay the names.
    source = "# L\n\n## Dev\n\n| API | Auth | HTTPS |\n|---|---|---|\n| [GitHub](https://api.github.com/) | OAuth | Yes |\n| [Docs](https://docs.example/) | OAuth | Yes |\n"
    imported = read_list(source, "x")
    assert "name_column" not in imported.sections[0]["table"]
    assert [r["title"] for r in imported.resources] == ["GitHub", "Docs"]


def test_a_table_named_by_another_column_comes_back_as_written(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    (tmp_path / "s.md").write_text(TABLES, encoding="utf-8")
    catalogue = tmp_path / "l" / "catalogue"
    assert cli("import", str(tmp_path / "s.md"), "--into", str(catalogue))[0] == 0
    assert cli("validate", "--catalogue", str(catalogue))[0] == 0
    database = f"sqlite:///{tmp_path / 'd.db'}"
    assert cli("export", "--catalogue", str(catalogue), "--database", database)[0] == 0
    assert (tmp_path / "l" / "exports" / "README.md").read_text(encoding="utf-8") == TABLES
    document = __import__("json").loads((tmp_path / "l" / "exports" / "roadmap.json").read_text())
    book = next(r for r in document["resources"] if r["id"] == "linear-algebra-done-right")
    assert (book["title"], book["label"], book["url"]) == (
        "Linear Algebra Done Right",
        "PDF",
        "https://linear.axler.net/LADR4e.pdf",
    )
    # A fixed address is written in the link column under its own text
    source = catalogue / "resources" / "linear-algebra-done-right.yaml"
    source.write_text(source.read_text().replace("LADR4e.pdf", "LADR5e.pdf"))
    assert cli("export", "--catalogue", str(catalogue), "--database", database)[0] == 0
    readme = (tmp_path / "l" / "exports" / "README.md").read_text(encoding="utf-8")
    assert "| 1 | Axler | Linear Algebra Done Right | [PDF](https://linear.axler.net/LADR5e.pdf) |" in readme


@pytest.mark.parametrize("source", ["", "# Only a title\n", "Just a paragraph.\n"])
def test_nothing_to_import_is_one_line(tmp_path: Path, cli, source: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    (tmp_path / "s.md").write_text(source, encoding="utf-8")
    code, out, err = cli("import", str(tmp_path / "s.md"), "--into", str(tmp_path / "c"))
    assert (code, out) == (2, "") and "nothing to import" in err and err.count("\n") == 1
    assert not (tmp_path / "c").exists()
