"""Property: importing the README that `roadmap export` wrote from an imported list gives the same
catalogue (hypothesis generates the lists: nested headings, prose, entries with descriptions, secondary
links, tags and sub-items, tables, tables whose links read "PDF", a list after a table)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.importer import import_list
from pipeline.publish.export import render_readme
from pipeline.validate import load_valid_catalogue

WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8
)
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
SENTENCE = st.lists(WORD, min_size=1, max_size=8).map(lambda words: " ".join(words) + ".")
HOST = st.sampled_from(["example.org", "example.com", "docs.example.net"])
URL = st.builds(lambda host, path: f"https://{host}/{path}", HOST, WORD)


@st.composite
def entry(draw, depth: int = 0) -> list[str]:
    name, url = draw(NAME), draw(URL)
    line = f"[{name}]({url})"
    if draw(st.booleans()):
        line += " - " + draw(SENTENCE)
    links = draw(st.lists(st.tuples(st.sampled_from(["Demo", "Source Code", "Clients"]), URL), max_size=2))
    if links:
        line += " (" + ", ".join(f"[{label}]({target})" for label, target in links) + ")"
    tags = draw(st.lists(WORD, max_size=2))
    if tags and (line.endswith((".", ")")) or line.endswith(f"({url})")):
        line += "".join(f" `{tag}`" for tag in tags)
    lines = ["  " * depth + "- " + line]
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        for child in draw(st.lists(entry(depth + 1), min_size=1, max_size=2)):
            lines += child
    return lines


@st.composite
def section(draw, level: int) -> list[str]:
    lines = ["", "#" * level + " " + draw(NAME)]
    if draw(st.booleans()):
        lines += ["", draw(SENTENCE)]
    shape = draw(st.integers(0, 5))
    if shape == 0:
        lines += ["", "| Name | Description | Auth |", "|---|---|---|"]
        for _ in range(draw(st.integers(1, 3))):
            lines.append(f"| [{draw(NAME)}]({draw(URL)}) | {draw(SENTENCE)} | {draw(WORD)} |")
    elif shape == 1:  # the links read "PDF": the Title column names the entries
        lines += ["", "| Title | Link | Year |", "|---|---|---|"]
        for _ in range(draw(st.integers(1, 3))):
            title = draw(st.one_of(st.just(""), NAME))
            cell = f" {title} |" if title else " |"  # an empty cell is written "| |"
            lines.append(f"|{cell} [{draw(st.sampled_from(['PDF', 'Read']))}]({draw(URL)}) | {draw(WORD)} |")
    else:
        items = draw(st.lists(entry(), min_size=1, max_size=4))
        lines.append("")
        for item in items:
            lines += item
    if shape < 2 and draw(st.integers(0, 2)) == 0:  # a list after the table, under the same heading
        lines += ["", draw(SENTENCE), ""]
        for item in draw(st.lists(entry(), min_size=1, max_size=2)):
            lines += item
    return lines


@st.composite
def markdown_list(draw) -> str:
    lines = ["# " + draw(NAME), "", draw(SENTENCE)]
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(section(2))
        for _ in range(draw(st.integers(0, 2))):
            lines += draw(section(3))
    return "\n".join(lines) + "\n"


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_list())
def test_import_of_the_export_is_the_same_catalogue(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "source.md").write_text(text, encoding="utf-8")
        import_list(root / "source.md", root / "one")
        readme = render_readme(load_valid_catalogue(root / "one"), {})
        (root / "source.md").write_text(readme, encoding="utf-8")
        import_list(root / "source.md", root / "two")
        assert _files(root / "two") == _files(root / "one")
        assert readme == text  # and this generated shape comes back byte for byte
