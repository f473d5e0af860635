"""Checks across the files of a catalogue: ids, URLs, places, parents, sections, and what the list's
features require. Each problem names the other files involved."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from typing import Any

from pipeline.config import Config
from pipeline.validate.documents import Doc, Facts, Run


def _others(run: Run, docs: Iterable[Doc]) -> str:
    return ", ".join(run.display(d.rel) for d in docs)


def report_groups(
    run: Run,
    groups: dict[Any, list[Facts]],
    key: str,
    message: Any,
    hint: str,
    rule: str,
    severity: str = "error",
) -> None:
    """One problem per reported member of each group of two or more, naming the other files.

    A full run reports every file involved (a pull request's annotation then lands on the file the
    contributor touched, whichever it is); with FILES, only the named files are reported.
    """
    for group in groups.values():
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda f: f.doc.rel)
        for facts in group:
            if not facts.doc.full:
                continue
            others = [f.doc for f in group if f is not facts]
            run.add(facts.doc, (key,), message(facts, _others(run, others)), hint, rule, severity=severity)


def check_features(
    run: Run, doc: Doc, config: Config, required: tuple[tuple[str, str], ...] | None = None
) -> None:
    """Fields and section kinds of one file that only the features the list turns on make required (or
    allowed). required: config.features.required_fields(), worked out once by a caller of many files."""
    if not doc.full or not doc.schema_ok or not isinstance(doc.data, dict):
        return
    if doc.kind == "resource":
        for name, feature in config.features.required_fields() if required is None else required:
            if name not in doc.data:
                run.add(
                    doc,
                    (),
                    f"missing required key {name!r}",
                    f"the list's config turns on features.{feature}, which needs it in every resource",
                    "feature-required",
                )
    elif doc.kind == "sections" and not config.features.stages:
        for index, entry in enumerate(doc.data.get("sections") or ()):
            for key in ("stage", "goals", "coverage"):
                if isinstance(entry, dict) and key in entry:
                    run.add(
                        doc,
                        ("sections", index, key),
                        f"{key} belongs to a learning path's stages, which this list does not have",
                        "remove it, or turn on features.stages in config.yaml",
                        "feature-off",
                    )
            if isinstance(entry, dict) and entry.get("kind") == "stage":
                run.add(
                    doc,
                    ("sections", index, "kind"),
                    "kind 'stage' needs features.stages",
                    "use kind: collection, or turn on features.stages in config.yaml",
                    "feature-off",
                )


def check_file(run: Run, f: Facts) -> None:
    """What one resource file can be checked for on its own: its id is its file name, `added` is a date.
    Called while the file's data is at hand (validation keeps only the Facts of a file it has checked)."""
    doc = f.doc
    if not doc.full:
        return
    name = os.path.basename(doc.where)
    stem = name.removesuffix(".yaml")
    if f.id is not None and f.id != stem and doc.schema_ok:
        run.add(
            doc,
            ("id",),
            f"the id {f.id!r} does not match the file name {name!r}",
            f"rename the file to {f.id}.yaml, or set id: {stem}",
            "file-name",
        )
    added = doc.data.get("added") if isinstance(doc.data, dict) else None
    if doc.schema_ok and isinstance(added, str):
        try:
            dt.date.fromisoformat(added)
        except ValueError:
            run.add(
                doc,
                ("added",),
                f"added {added!r} is not a calendar date",
                "write a real day, YYYY-MM-DD",
                "date",
            )


def _shared(facts: Iterable[Facts], key: Callable[[Facts], Any]) -> dict[Any, list[Facts]]:
    """The facts whose key (not None) is shared with another's, grouped by key. One dict entry per fact
    and a list only per shared key (not a list for each of 100,000 keys, of which almost all hold one)."""
    first: dict[Any, Facts] = {}
    groups: dict[Any, list[Facts]] = {}
    for f in facts:
        value = key(f)
        if value is None:
            continue
        seen = first.setdefault(value, f)
        if seen is not f:
            groups.setdefault(value, [seen]).append(f)
    return groups


def check_across(
    run: Run, facts: list[Facts], sections_doc: Doc | None, config: Config | None = None
) -> None:
    config = config or Config()
    duplicate = config.quality.get("duplicate")
    duplicate_severity = duplicate.severity if duplicate is not None else "error"

    by_id = _shared(facts, lambda f: f.id)
    by_url = (
        _shared(facts, lambda f: f.same_as_key)
        if duplicate_severity != "off"  # the list's config decides (quality.duplicate.severity)
        else {}
    )
    by_place = _shared(
        facts, lambda f: (f.section, f.position) if f.section is not None and f.position is not None else None
    )

    report_groups(
        run,
        by_id,
        "id",
        lambda f, others: f"the id {f.id!r} is also used by {others}",
        "every resource needs its own id; rename one (and its file)",
        "duplicate-id",
    )
    report_groups(
        run,
        by_url,
        "url",
        lambda f, others: f"the same resource as {others} (the URLs are equal after normalisation)",
        "list each resource once: keep one file and delete the other, or justify it in "
        "quality_exceptions: {duplicate: ...}",
        "duplicate-url",
        severity=duplicate_severity,
    )
    ids = {f.id for f in facts if f.id is not None}
    for f in facts:
        if f.doc.full and f.parent is not None and f.parent not in ids:
            run.add(
                f.doc,
                ("parent",),
                f"the parent {f.parent!r} is not a resource of this catalogue",
                "name the id of the entry this one is listed under, or remove parent",
                "unknown-parent",
            )
    report_groups(
        run,
        by_place,
        "position",
        lambda f, others: f"position {f.position} in section {f.section!r} is also used by {others}",
        "positions order a section; give each resource its own (leave gaps: 10, 20, 30)",
        "duplicate-position",
    )

    data = sections_doc.data if sections_doc is not None else None
    entries = data.get("sections") if isinstance(data, dict) else None
    if sections_doc is None or not isinstance(entries, list):
        return  # sections.yaml is missing or unreadable (reported on its own): nothing to compare with
    listed: dict[str, int] = {}
    for index, entry in enumerate(entries):
        sid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(sid, str):
            continue
        if sid in listed and sections_doc.full:
            run.add(
                sections_doc,
                ("sections", index, "id"),
                f"the section {sid!r} is listed twice (first as item {listed[sid] + 1})",
                "list each section once",
                "duplicate-section",
            )
        listed.setdefault(sid, index)
    if not listed:
        return  # an empty or broken sections list is reported on its own; every resource would repeat it
    for f in facts:
        if f.doc.full and f.section is not None and f.section not in listed:
            shown = list(listed)
            run.add(
                f.doc,
                ("section",),
                f"the section {f.section!r} is not in sections.yaml",
                f"use one of: {', '.join(shown[:20])}{', ...' if len(shown) > 20 else ''}; "
                "or add the section to sections.yaml",
                "unknown-section",
            )
    if sections_doc.full:
        used = {f.section for f in facts}
        for sid, index in listed.items():
            entry = entries[index] if isinstance(entries[index], dict) else {}
            # A heading with only prose (Contributing, License), a parent of subsections or the table of
            # contents is a section without resources of its own.
            holds_text = (
                any(entry.get(k) for k in ("prose", "prose_after", "level")) or entry.get("kind") == "toc"
            )
            if sid not in used and not holds_text:
                run.add(
                    sections_doc,
                    ("sections", index, "id"),
                    f"the section {sid!r} has no resources",
                    f"add a resource with section: {sid}, or remove the section",
                    "empty-section",
                )
