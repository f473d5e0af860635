"""The one writer of generated files (exports, reports): rewrite a file only when its content changed.

    write_outputs({path: bytes}) -> [paths written]
    stale_outputs({path: bytes}) -> [paths missing or whose content differs]   (`export --check`)
    same_content(path, old, new) -> bool

Outputs are rendered from recorded data, and from one run to the next some of it moves without the list's
health moving: *when* (generated, checked and last-ok times, a run's start) and *which run* (run numbers, the
per-run timeline of a report). Those are masked before comparing (VOLATILE_KEYS for JSON, VOLATILE_TEXT for
Markdown/HTML); if nothing else differs, the file on disk is kept byte for byte, so a nightly that changed
nothing leaves the git tree clean. A real change rewrites the whole file, its stamps included.

Another report or export goes through `write_outputs` too; a new volatile field is one more entry below.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import OutputError

# JSON keys whose values say when or which run, never what the health is. Dropped at any depth.
VOLATILE_KEYS = frozenset(
    {
        "generated_at",  # exports and reports: the latest run's end
        "checked_at",  # a resource's latest check
        "last_ok_at",  # a resource's latest healthy check
        "started_at",  # a run's start (health.json runs)
        "finished_at",
        "latest_run",  # health.json: which run is the latest, its number, times and counts
        "previous_run",
        "runs",  # health.json: the runs of the timeline
        "history",  # health.json: a resource's status per run of the timeline
    }
)

_ISO_DATE_TIME = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"

# Text spans that say when or which run, in order (the timeline first: its cells hold dates), each with
# what it is masked as ("": a line that only some runs have, e.g. the previous run after the first one).
VOLATILE_TEXT = (
    (re.compile(r'(?:<i class="[a-z]" title="run [^"]*"></i>)+'), "\x00"),  # index.html: the timeline
    (re.compile(r"(?m)^\*\*Previous conclusive run:\*\*.*\n"), ""),  # health.md, from the second run
    (re.compile(r"(?:Latest run|Previous conclusive run)[^\n<]*"), "\x00"),  # number, trigger, start, counts
    (re.compile(_ISO_DATE_TIME), "\x00"),
    (re.compile(r"\brun #?\d+\b"), "\x00"),
)


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _masked(text: str) -> str:
    for pattern, mask in VOLATILE_TEXT:
        text = pattern.sub(mask, text)
    return text


# A file's own reader of what it says: text -> (text to mask, data to compare). For a page that embeds
# packed data whose volatile fields only its renderer knows (the status page: status_page.page_content).
Content = Callable[[str], tuple[str, Any]]


def same_content(path: Path, old: bytes, new: bytes, content: Content | None = None) -> bool:
    """Whether `new` says nothing that `old` does not, apart from when and which run."""
    if old == new:
        return True
    try:
        old_text, new_text = old.decode("utf-8"), new.decode("utf-8")
        if path.suffix == ".json":
            return _without_volatile(json.loads(old_text)) == _without_volatile(json.loads(new_text))
        if content is not None:
            (old_text, old_data), (new_text, new_data) = content(old_text), content(new_text)
            if old_data != new_data:
                return False
    except ValueError:  # not UTF-8 or not JSON (any more), e.g. written by another version: rewrite it
        return False
    return _masked(old_text) == _masked(new_text)


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # not written yet (its folder may not exist either)
        return None
    except OSError as error:
        raise OutputError(f"cannot read {path}: {error.strerror or error}") from error


def stale_outputs(files: Mapping[Path, bytes], content: Mapping[Path, Content] | None = None) -> list[Path]:
    """The files that are missing or whose content (not only its stamps) differs from `files`."""
    stale = []
    for path, data in files.items():
        old = _current(path)
        if old is None or not same_content(path, old, data, (content or {}).get(path)):
            stale.append(path)
    return stale


def write_outputs(files: Mapping[Path, bytes], content: Mapping[Path, Content] | None = None) -> list[Path]:
    """Write the files whose content changed (atomically); keep the others byte for byte."""
    changed = stale_outputs(files, content)
    for path in changed:
        write_atomically(path, files[path])
    return changed


def write_atomically(path: Path, data: bytes) -> None:
    """Readers (a web server, git) never see half a file. An error names the file and the folder the
    user chose, never the temporary file next to it."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the folder {folder}: {error.strerror or error}") from error
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(
            f"cannot write {path.name} in {folder}: {error.strerror or error} "
            "(choose a folder you can write to, or fix its permissions)"
        ) from error
