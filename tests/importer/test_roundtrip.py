"""Property: importing the README that `roadmap export` wrote from an imported list gives the same
catalogue (hypothesis generates the lists: nested headings, prose, entries with descriptions, secondary
links, tags and sub-items, tables, tables whose links read "PDF", a list after a table, lists marked "-",
"*", "1." (or "1." throughout), tight or loose, sub-items two or four spaces in and with a bullet of their
own, and a second list under the same heading)."""

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
PROSE = SENTENCE.map(lambda sentence: "See " + sentence)  # a paragraph ("0." alone would be a list item)
HOST = st.sampled_from(["example.org", "example.com", "docs.example.net"])
URL = st.builds(lambda host, path: f"https://{host}/{path}", HOST, WORD)


@st.composite
def entry(draw, depth: int = 0, marker: str = "-", indent: int = 2, sub: str = "") -> list[str]:
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
    lines = [" " * indent * depth + f"{marker} " + line]
    if depth < 2 and marker != "1." and draw(st.integers(0, 4)) == 0:  # sub-items under bullets
        for child in draw(st.lists(entry(depth + 1, sub or marker, indent, sub), min_size=1, max_size=2)):
            lines += child
    return lines


@st.composite
def entries(draw, max_size: int = 4, indent: int = 2, sub: str = "") -> list[str]:
    """A list of entries: its marker, tight or loose (a blank line between two entries)."""
    marker, loose = draw(st.sampled_from(["-", "*", "1."])), draw(st.booleans())
    ones = marker == "1." and draw(st.booleans())  # "1." before every entry
    lines: list[str] = []
    items = draw(st.lists(entry(marker=marker, indent=indent, sub=sub), min_size=1, max_size=max_size))
    for n, item in enumerate(items, 1):
        if marker == "1.":
            item = [f"{1 if ones else n}." + item[0][2:], *item[1:]]
        lines += ([""] if loose and n > 1 else []) + item
    return lines


@st.composite
def section(draw, level: int, indent: int = 2, sub: str = "") -> list[str]:
    lines = ["", "#" * level + " " + draw(NAME)]
    if draw(st.booleans()):
        lines += ["", draw(PROSE)]
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
        lines += ["", *draw(entries(indent=indent, sub=sub))]
    if draw(st.integers(0, 2)) == 0:  # a list after the table or list, under the same heading
        lines += ["", draw(PROSE), "", *draw(entries(max_size=2, indent=indent, sub=sub))]
    return lines


@st.composite
def markdown_list(draw) -> str:
    indent = draw(st.sampled_from([2, 4]))  # sub-items two or four spaces in
    sub = draw(st.sampled_from(["", "+"]))  # sub-items with their parent's bullet, or "+" (no list's own)
    lines = ["# " + draw(NAME), "", draw(PROSE)]
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(section(2, indent, sub))
        for _ in range(draw(st.integers(0, 2))):
            lines += draw(section(3, indent, sub))
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
