"""One planned or applied change of a catalogue file, and the edit that makes it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.catalogue.yamledit import EditRefused, edit_values
from pipeline.errors import OutputError
from pipeline.publish.outputs import write_atomically


@dataclass(frozen=True)
class Change:
    """A url change for one resource; `skipped` says why it was not made (None: made, or would be)."""

    resource_id: str
    file: Path
    old_url: str
    new_url: str
    skipped: str | None = None
    archived_from: str | None = None  # set when new_url is an archived copy of old_url

    @property
    def applied(self) -> bool:
        return self.skipped is None

    def refused(self, reason: str) -> Change:
        return replace(self, skipped=reason)


def apply(change: Change, *, dry_run: bool = False) -> Change:
    """Make the change in its file (only the url bytes, plus `archived_from` when set); the change back,
    refused with the reason when the file cannot be edited in place. dry_run: check, write nothing."""
    if not change.applied:
        return change
    updates: dict[str, Any] = {"url": change.new_url}
    if change.archived_from is not None:
        updates["archived_from"] = change.archived_from
    try:
        raw = change.file.read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        return change.refused(f"cannot read the file: {error.strerror}")
    except UnicodeDecodeError:
        return change.refused("the file is not UTF-8")
    try:
        new_text = edit_values(text, updates, expect={"url": change.old_url})
    except EditRefused as error:
        return change.refused(str(error))
    if not dry_run:
        try:
            write_atomically(change.file, new_text.encode("utf-8"))
        except OutputError as error:
            return change.refused(str(error))
    return change


def apply_all(changes: list[Change], *, dry_run: bool = False) -> list[Change]:
    return [apply(change, dry_run=dry_run) for change in changes]


def with_fragment(url: str, original: str) -> str:
    """url keeping the original's #fragment when it has none of its own."""
    _, hash_, fragment = original.partition("#")
    return f"{url}#{fragment}" if hash_ and "#" not in url else url
