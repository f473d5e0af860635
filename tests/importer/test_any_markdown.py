"""Property: whatever Markdown a list holds, `roadmap import` either says there is nothing to import or
makes a catalogue that validates, whose README, JSON export and links to check can be made. Hypothesis
strings together the pieces real lists are made of (headings, items, tables, badges, HTML, code, tabs)
in any order; each failure it found once is a case in test_import.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.catalogue.textlinks import list_links, secondary_links
from pipeline.errors import UsageError
from pipeline.importer import import_list
from pipeline.publish.export import build_export, render_readme
from pipeline.validate import load_valid_catalogue

PIECES = (
    "# T", "## S", "### Sub", "- ", "* ", "+ ", "1. ", "2) ", "  - ", "    - ", "[a](https://a.org/x)",
    "[b](<https://b.org/y z>)", "**[c](https://c.org)**", "![img](https://i.org/i.png)",
    "[![b](https://i.org/b.svg)](https://ci.org)", " - desc", " – ", ": ", "`MIT`",
    "([Demo](https://d.org), [Source Code](https://github.com/x/y))", "| A | B |", "|---|---|",
    "| [x](https://x.org) | y |", "| Title | [PDF](https://p.org) |", "<details>", "</details>",
    '<a href="https://h.org">H</a>', "<!-- c -->", "```", "> quote", "", "\n", "text words", "[r][ref]",
    "[ref]: https://r.org", "<https://auto.org>", "https://bare.org", "---", "    code", "\t", "(", ")", "|",
    "[", "]", "_x_", "~~s~~", "&amp;", "\\", "1. [n](https://n.org) - numbered",
)  # fmt: skip
LINE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
MARKDOWN = st.lists(LINE, min_size=1, max_size=25).map(lambda lines: "\n".join(lines) + "\n")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWN)
def test_any_markdown_imports_into_a_valid_catalogue_or_into_nothing(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "list.md").write_text(text, encoding="utf-8")
        try:
            import_list(root / "list.md", root / "catalogue")
        except UsageError as error:
            assert "nothing to import" in str(error)
            return
        catalogue = load_valid_catalogue(root / "catalogue")  # CatalogueError: an invalid import
        render_readme(catalogue, {})
        build_export(catalogue, {}, generated_at=None)
        list_links(catalogue)
        for resource in catalogue.resources:
            secondary_links(resource)
