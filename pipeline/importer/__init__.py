"""`roadmap import`: a Markdown list (an "awesome list" README) -> a catalogue directory.

read (Markdown -> catalogue documents and what was kept as text) -> write (YAML files). The result is a
catalogue like any other: `roadmap validate`, `sync`, `check`, `report`, `export` and `nightly` run on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.importer.read import ImportedList, Kept, read_list
from pipeline.importer.write import config_text, prepare, write_catalogue

MAX_SOURCE_BYTES = 64 << 20


@dataclass(frozen=True)
class ImportReport:
    source: Path
    into: Path
    sections: int
    resources: int
    with_url: int
    kept: tuple[Kept, ...]
    imported: ImportedList


def read_source(source: Path) -> str:
    """The Markdown text of source, or a one-line UsageError naming the file and the problem."""
    try:
        if not source.is_file():
            raise UsageError(f"{source}: no such file")
        if source.stat().st_size > MAX_SOURCE_BYTES:
            raise UsageError(f"{source}: larger than {MAX_SOURCE_BYTES >> 20} MB; not a Markdown list")
        raw = source.read_bytes()
    except OSError as error:
        raise UsageError(f"{source}: cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{source}: not UTF-8 text (byte {error.start + 1} cannot start or continue a character); "
            "save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise UsageError(f"{source}: contains NUL bytes: a binary file, not Markdown")
    return text.removeprefix("\ufeff")


def import_list(source: Path, into: Path, *, replace: bool = False) -> ImportReport:
    """Write the catalogue of the Markdown list `source` into the directory `into`."""
    text = read_source(source)
    imported = read_list(text, source.stem)
    if not imported.sections:
        raise UsageError(
            f"{source}: no heading and no list of entries found; nothing to import "
            "(a curated list has headings, or list items or table rows with links)"
        )
    prepare(into, replace)
    resources = [{k: v for k, v in r.items() if not k.startswith("_")} for r in imported.resources]
    roadmap = {"title": imported.title}
    if imported.preamble:
        roadmap["preamble"] = imported.preamble
    write_catalogue(
        into,
        roadmap,
        imported.sections,
        resources,
        config_text(source.name, imported.style),
    )
    return ImportReport(
        source=source,
        into=into,
        # A part without a heading after the first section (a second table under one heading) is no
        # section of the README's.
        sections=len(imported.sections) - sum(1 for s in imported.sections[1:] if s.get("heading") is False),
        resources=len(resources),
        with_url=sum(1 for r in resources if "url" in r),
        kept=tuple(imported.kept),
        imported=imported,
    )


__all__ = ["ImportReport", "import_list"]
