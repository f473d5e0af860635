"""Import real curated lists through the CLI and measure what issue 12 asks for, per list:

- resource links imported / resource links in the source (links in list items and table rows, ToC
  anchors and badges excluded; a link counts as imported when the catalogue holds it as a resource's url
  or href, a secondary link, or inside a kept description or table field);
- the parts kept as text, with their report lines;
- the distinct web links of the whole README (prose included) that a full `roadmap check` fetches;
- the validate result (exit code, errors, warnings by rule);
- lines of the round-trip README (roadmap export) that differ from the source, out of its total, the
  table of contents left out on both sides (it is regenerated).

The lists are read at run time from ../shared/reallists (never part of the project):

    .venv/bin/python benchmarks/reallists.py [--lists DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LISTS = ROOT.parent.parent / "shared" / "reallists"
if not DEFAULT_LISTS.is_dir():
    DEFAULT_LISTS = Path("/work/shared/reallists")

_md = MarkdownIt("commonmark").enable("table")


def _links(children, out: list[str]) -> None:
    """Destinations of links that are not in-page anchors and not badges (a link around an image only)."""
    for index, token in enumerate(children):
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            inner = []
            depth = 0
            for follow in children[index + 1 :]:
                if follow.type == "link_close" and depth == 0:
                    break
                depth += follow.nesting
                inner.append(follow)
            badge = (
                inner
                and all(t.type == "image" or not t.content.strip() for t in inner)
                and any(t.type == "image" for t in inner)
            )
            if not href.startswith("#") and not badge:
                out.append(href)


def source_links(text: str, toc: tuple[int, int] | None) -> list[str]:
    """Links in list items and table cells of the source, outside the table of contents."""
    out: list[str] = []
    inside = 0
    for token in _md.parse(text):
        if token.type in ("list_item_open", "td_open", "th_open"):
            inside += 1
        elif token.type in ("list_item_close", "td_close", "th_close"):
            inside -= 1
        elif token.type == "inline" and inside and token.map:
            if toc and toc[0] <= token.map[0] < toc[1]:
                continue
            _links(token.children or [], out)
    return out


def markdown_links(text: str) -> list[str]:
    out: list[str] = []
    for token in _md.parse(text):
        if token.type == "inline":
            _links(token.children or [], out)
    return out


def catalogue_links(catalogue: Path) -> list[str]:
    out: list[str] = []
    for path in sorted((catalogue / "resources").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        target = data.get("url") or data.get("href")
        if target and not target.startswith("#"):
            out.append(target)
        out += [link["target"] for link in data.get("links") or ()]
        for text in [data.get("description") or "", *(data.get("fields") or {}).values()]:
            out += markdown_links(text)
    return out


def web_links_checked(text: str, catalogue: Path) -> tuple[set[str], set[str]]:
    """The distinct web links of the whole source README (its prose included), and the URLs a full
    `roadmap check` of the imported catalogue fetches: the entries' own, their secondary links (`links`,
    links in their text and table cells) and the links of the list's own text."""
    from pipeline.catalogue.textlinks import list_links, secondary_links
    from pipeline.validate import load_valid_catalogue

    web = {_normal(h) for h in markdown_links(text) if h.startswith(("http://", "https://"))}
    cat = load_valid_catalogue(catalogue)
    fetched = {r.url for r in cat.resources if r.url}
    fetched |= {link.target for r in cat.resources for link in secondary_links(r)}
    fetched |= {link.target for link in list_links(cat)}
    return web, {_normal(url) for url in fetched if url}


def _normal(href: str) -> str:
    return _md.normalizeLink(href)


def _row_key(line: str) -> str:
    """A table row without its spacing and empty trailing cells (Markdown renders them the same)."""
    if not line.lstrip().startswith("|"):
        return line
    key = "".join(line.split())
    while key.endswith("||"):
        key = key[:-1]
    return key


def cli(*args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - started


def toc_lines_removed(lines: list[str], start: int, end: int) -> list[str]:
    return lines[:start] + lines[end:]


def measure(source: Path, work: Path) -> dict:
    catalogue = work / source.stem / "catalogue"
    code, out, err, seconds = cli("import", str(source), "--into", str(catalogue), "--replace")
    if code != 0:
        return {"list": source.name, "import_exit": code, "error": err.strip()}
    kept = [line for line in out.splitlines() if ": kept as text: " in line]
    v_code, v_out, _, v_seconds = cli("validate", "--catalogue", str(catalogue), "--format", "json")
    problems = json.loads(v_out)["problems"] if v_out.strip().startswith("{") else []
    e_code, _, e_err, _ = cli(
        "export", "--catalogue", str(catalogue), "--database", f"sqlite:///{work / source.stem / 'rt.db'}"
    )
    exported = (catalogue.parent / "exports" / "README.md").read_text(encoding="utf-8")

    # The source's ToC, as the importer recognised it (same parser, same rule)
    sys.path.insert(0, str(ROOT))
    from pipeline.importer.read import read_list

    text = source.read_text(encoding="utf-8")
    imported = read_list(text, source.stem)
    src_lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    out_lines = exported.rstrip("\n").split("\n")
    src_kept, out_kept = src_lines, out_lines
    toc_out = 0
    if imported.toc:
        start, end = imported.toc
        src_kept = toc_lines_removed(src_lines, start, end)
        toc_section = next(s for s in imported.sections if s.get("kind") == "toc")
        heading = "#" * toc_section["level"] + " " + toc_section["title"]
        at = out_lines.index(heading)
        first = at + 1
        while (
            first < len(out_lines)
            and not out_lines[first].lstrip().startswith("- [")
            and not out_lines[first].lstrip().startswith("* [")
        ):
            first += 1
        last = first
        while last < len(out_lines) and (out_lines[last].lstrip().startswith(("- [", "* ["))):
            last += 1
        toc_out = last - first
        out_kept = toc_lines_removed(out_lines, first, last)
    matcher = difflib.SequenceMatcher(None, src_kept, out_kept, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    loose = difflib.SequenceMatcher(
        None, [_row_key(x) for x in src_kept], [_row_key(x) for x in out_kept], autojunk=False
    )
    same_loose = sum(block.size for block in loose.get_matching_blocks())
    web, checked = web_links_checked(text, catalogue)
    src_links = Counter(_normal(h) for h in source_links(text, imported.toc))
    cat_links = Counter(_normal(h) for h in catalogue_links(catalogue))
    missing = src_links - cat_links
    return {
        "list": source.name,
        "import_s": round(seconds, 2),
        "resources": int(out.strip().splitlines()[-1].split(": ", 1)[1].split(" ")[0]),
        "source_links": sum(src_links.values()),
        "imported_links": sum(src_links.values()) - sum(missing.values()),
        "missing_links": sorted(missing.elements())[:10],
        "kept_as_text": kept,
        "web_links_in_source": len(web),
        "web_links_checked": len(web & checked),
        "web_links_unchecked": sorted(web - checked)[:10],
        "validate_exit": v_code,
        "validate_errors": Counter(p["rule"] for p in problems if p["severity"] == "error"),
        "validate_warnings": Counter(p["rule"] for p in problems if p["severity"] == "warning"),
        "validate_s": round(v_seconds, 2),
        "export_exit": e_code,
        "export_error": e_err.strip()[:300],
        "source_lines": len(src_lines),
        "source_toc_lines": len(src_lines) - len(src_kept),
        "roundtrip_lines": len(out_lines),
        "roundtrip_toc_lines": toc_out,
        "roundtrip_differing": len(out_kept) - same,
        "source_unmatched": len(src_kept) - same,
        "roundtrip_differing_pct": round(100 * (len(out_kept) - same) / max(1, len(out_kept)), 2),
        "roundtrip_differing_ignoring_table_spacing": len(out_kept) - same_loose,
        "roundtrip_differing_ignoring_table_spacing_pct": round(
            100 * (len(out_kept) - same_loose) / max(1, len(out_kept)), 2
        ),
        "diff_sample": [
            line
            for line in difflib.unified_diff(src_kept, out_kept, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ][:40],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="reallists-"))
    sources = sorted(p for p in args.lists.glob("*.md") if p.name != "README.md")
    for source in sources:
        result = measure(source, work)
        print(json.dumps(result, indent=2, ensure_ascii=False, default=dict))


if __name__ == "__main__":
    main()
