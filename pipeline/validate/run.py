"""`validate_catalogue`: every problem of a catalogue directory (or of some of its files) in one run.

Steps: find the files -> parse each (libyaml events, see catalogue.yamlfile) -> schema-check each ->
checks across files (ids, URLs, sections, positions) -> the Catalogue when nothing is wrong. Marks (line
and column of every value) are only computed for a file that has a problem: the file is parsed again,
which costs nothing when the catalogue is valid.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.catalogue.build import build_catalogue
from pipeline.catalogue.filebytes import LoadError, read_file_bytes
from pipeline.catalogue.urls import normalise_url
from pipeline.catalogue.yamlfile import DocPath, Loaded, Marks, load_yaml_file
from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.validate.problems import Problem, ValidationResult, json_path
from pipeline.validate.schemas import schema_set
from pipeline.validate.urls import url_issues

TOP_FILES = {"roadmap.yaml": "roadmap", "sections.yaml": "sections", "config.yaml": "config"}
REQUIRED_TOP_FILES = ("roadmap.yaml", "sections.yaml")
RESOURCES_DIR = "resources"
CATALOGUE_LAYOUT = "roadmap.yaml, sections.yaml, config.yaml and resources/<id>.yaml"


@dataclass
class _Doc:
    path: Path
    rel: str  # inside the catalogue, posix, e.g. "resources/x.yaml"
    kind: str  # roadmap | sections | config | resource
    full: bool  # fully checked and reported on (False: another file, only consulted)
    data: Any = None
    error: LoadError | None = None
    schema_ok: bool = False
    marks: Marks | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Facts:
    """What the checks across files need from one resource."""

    doc: _Doc
    id: str | None
    url: str | None
    section: str | None
    position: int | None
    waives_duplicate: bool
    parent: str | None = None


class _Run:
    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.display_root = display_root
        self.problems: list[Problem] = []

    def display(self, rel: str) -> str:
        return f"{self.display_root}/{rel}" if self.display_root not in ("", ".") else rel

    def add_file_problem(self, rel: str, message: str, hint: str, rule: str) -> None:
        self.problems.append(Problem(self.display(rel), None, None, "$", message, hint, rule))

    def add(
        self,
        doc: _Doc,
        path: DocPath,
        message: str,
        hint: str,
        rule: str,
        at_key: bool = False,
        severity: str = "error",
    ) -> None:
        marks = self.marks(doc)
        where = (marks.of_key(path) if at_key else marks.of_value(path)) if marks else None
        line, column = where if where else (None, None)
        self.problems.append(
            Problem(self.display(doc.rel), line, column, json_path(path), message, hint, rule, severity)
        )

    def marks(self, doc: _Doc) -> Marks | None:
        if doc.marks is None:
            doc.marks = load_yaml_file(doc.path, with_marks=True).marks
        return doc.marks


def display_root(root: Path) -> str:
    """The catalogue directory as the user would type it: relative to the working directory if inside."""
    try:
        relative = os.path.relpath(root)
    except ValueError:  # another drive (Windows)
        return str(root)
    return str(root) if relative.startswith("..") else Path(relative).as_posix()


def _kind_of(rel: str) -> str | None:
    if rel in TOP_FILES:
        return TOP_FILES[rel]
    parts = rel.split("/")
    if len(parts) == 2 and parts[0] == RESOURCES_DIR and parts[1].endswith(".yaml"):
        return "resource"
    return None


def _stray(run: _Run, rel: str, is_dir: bool = False) -> None:
    if is_dir:
        run.add_file_problem(
            rel,
            "a folder inside resources/",
            "resources/ holds only <id>.yaml files; move its files up",
            "stray-file",
        )
    elif rel.endswith(".yml"):
        run.add_file_problem(
            rel,
            "catalogue files end in .yaml, not .yml",
            f"rename it to {rel[:-4]}.yaml",
            "stray-file",
        )
    else:
        run.add_file_problem(
            rel,
            "not a catalogue file",
            f"the catalogue holds {CATALOGUE_LAYOUT}; move or remove it",
            "stray-file",
        )


def _discover(run: _Run, report_missing: bool) -> list[tuple[str, Path, bool]]:
    """Every file of the catalogue as (rel, path, is_catalogue_file); reports missing/stray ones."""
    root = run.root
    found: list[tuple[str, Path, bool]] = []
    for name in TOP_FILES:
        path = root / name
        if path.is_file():
            found.append((name, path, True))
        elif name in REQUIRED_TOP_FILES and report_missing:
            run.add_file_problem(
                name, f"the catalogue has no {name}", "create it (see catalogue/README.md)", "missing-file"
            )
    with os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name not in TOP_FILES and entry.name.endswith((".yaml", ".yml")) and report_missing:
                _stray(run, entry.name)
    resources = root / RESOURCES_DIR
    if not resources.is_dir():
        if report_missing:
            run.add_file_problem(
                RESOURCES_DIR + "/", "the catalogue has no resources/ folder", "create it", "missing-file"
            )
        return found
    with os.scandir(resources) as entries:
        names = sorted((e.name, e.is_dir()) for e in entries)
    for name, is_dir in names:
        if name.startswith("."):
            continue  # .gitkeep, editor swap files
        rel = f"{RESOURCES_DIR}/{name}"
        ok = not is_dir and name.endswith(".yaml")
        if not ok and report_missing:
            _stray(run, rel, is_dir)
        if ok:
            found.append((rel, resources / name, True))
    return found


def _select(root: Path, files: Sequence[Path]) -> list[str]:
    """FILES as paths inside the catalogue; a usage error for a file that is missing or elsewhere."""
    resolved_root = root.resolve()
    chosen: list[str] = []
    for file in files:
        path = Path(file)
        if not os.path.lexists(path):
            raise UsageError(
                f"{file}: no such file (list only files that exist, e.g. git diff --diff-filter=d)"
            )
        try:
            # Resolve the folder, not the file: a symbolic link inside the catalogue is reported as one.
            rel = (path.absolute().parent.resolve() / path.name).relative_to(resolved_root).as_posix()
        except ValueError:
            raise UsageError(f"{file}: not inside the catalogue directory {root}") from None
        if path.is_dir():
            raise UsageError(f"{file}: a directory; list files")
        if rel not in chosen:
            chosen.append(rel)
    return chosen


def _parse_all(paths: list[Path]) -> list[Loaded]:
    """Parse every file, in this process.

    Parsing in a second process was measured (benchmarks/bench_validate.py, 2 cores): shipping the parsed
    documents back costs more than the second core saves (100k resources: 16.7 s on two processes, 12.1 s
    on one), so one process it is.
    """
    return [load_yaml_file(p) for p in paths]


# A resource's top-level `key: value` line, for the quick look at the files a pull request did not touch.
_TOP_LINE = re.compile(r"^(id|url|awaiting_url|section|position):[ \t]*([^\n]*)", re.MULTILINE)
_PLAIN_SAFE = re.compile(r"[^\"'>|\[{&*!%@`#]")


def _quick_facts(doc: _Doc) -> _Facts:
    """id/url/section/position of a resource file by a line scan; a full parse when it is not plain."""
    raw, _ = read_file_bytes(doc.path)  # never through a link, never a pipe or a huge file
    try:
        text = raw.decode("utf-8") if raw is not None else ""
    except UnicodeDecodeError:
        text = ""
    values: dict[str, str] = {}
    plain = "quality_exceptions" not in text
    for key, value in _TOP_LINE.findall(text):
        value = value.split(" #", 1)[0].strip()  # a trailing comment
        if key in values or not value:
            plain = False
            break
        if value[0] in "'\"" and len(value) >= 2 and value[-1] == value[0] and "\\" not in value:
            value = value[1:-1]
        elif not _PLAIN_SAFE.match(value):
            plain = False
            break
        values[key] = value
    if plain and "id" in values and "section" in values and values.get("position", "x").isdigit():
        return _Facts(
            doc,
            values["id"],
            values.get("url"),
            values["section"],
            int(values["position"]),
            waives_duplicate=False,
        )
    loaded = load_yaml_file(doc.path)
    doc.data, doc.error = loaded.data, loaded.error
    return _facts(doc)


def _facts(doc: _Doc) -> _Facts:
    data = doc.data if isinstance(doc.data, dict) else {}

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    position = data.get("position")
    exceptions = data.get("quality_exceptions")
    return _Facts(
        doc,
        text("id"),
        text("url"),
        text("section"),
        position if type(position) is int else None,
        waives_duplicate=isinstance(exceptions, dict) and "duplicate" in exceptions,
        parent=text("parent"),
    )


def _others(run: _Run, docs: Iterable[_Doc]) -> str:
    return ", ".join(run.display(d.rel) for d in docs)


def _report_groups(
    run: _Run,
    groups: dict[Any, list[_Facts]],
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


def _config_of(docs: list[_Doc], root: Path) -> Config | None:
    """The list's configuration: defaults when config.yaml is missing, None when it is invalid (that is
    reported on its own, and guessing its features would only add noise)."""
    doc = next((d for d in docs if d.kind == "config"), None)
    data = doc.data if doc is not None else None
    if doc is None and (root / "config.yaml").is_file():
        data = load_yaml_file(root / "config.yaml").data
    if data is None or (doc is None and not (root / "config.yaml").is_file()):
        return Config()
    if not isinstance(data, dict) or not schema_set().is_valid("config", data):
        return None
    return Config.from_dict(data)


def _check_features(run: _Run, docs: list[_Doc], config: Config) -> None:
    """Fields and section kinds that only the features the list turns on make required (or allowed)."""
    required = config.features.required_fields()
    for doc in docs:
        if not doc.full or not doc.schema_ok or not isinstance(doc.data, dict):
            continue
        if doc.kind == "resource":
            for name, feature in required:
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


def _check_across(
    run: _Run, facts: list[_Facts], sections_doc: _Doc | None, config: Config | None = None
) -> None:
    config = config or Config()
    duplicate = config.quality.get("duplicate")
    duplicate_severity = duplicate.severity if duplicate is not None else "error"

    by_id: dict[str, list[_Facts]] = defaultdict(list)
    by_url: dict[str, list[_Facts]] = defaultdict(list)
    by_place: dict[tuple[str, int], list[_Facts]] = defaultdict(list)
    for f in facts:
        if f.id is not None:
            by_id[f.id].append(f)
        if f.url is not None and not f.waives_duplicate:
            by_url[normalise_url(f.url)].append(f)
        if f.section is not None and f.position is not None:
            by_place[(f.section, f.position)].append(f)

    _report_groups(
        run,
        by_id,
        "id",
        lambda f, others: f"the id {f.id!r} is also used by {others}",
        "every resource needs its own id; rename one (and its file)",
        "duplicate-id",
    )
    if duplicate_severity != "off":  # the list's config decides (quality.duplicate.severity)
        _report_groups(
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
    _report_groups(
        run,
        by_place,
        "position",
        lambda f, others: f"position {f.position} in section {f.section!r} is also used by {others}",
        "positions order a section; give each resource its own (leave gaps: 10, 20, 30)",
        "duplicate-position",
    )

    for f in facts:
        doc = f.doc
        if not doc.full:
            continue
        stem = doc.path.name.removesuffix(".yaml")
        if f.id is not None and f.id != stem and doc.schema_ok:
            run.add(
                doc,
                ("id",),
                f"the id {f.id!r} does not match the file name {doc.path.name!r}",
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


def validate_catalogue(
    catalogue_dir: Path,
    files: Sequence[Path] | None = None,
    *,
    url_rules: bool = True,
    allow_private_addresses: bool = False,
) -> ValidationResult:
    """Check the catalogue (or only `files` of it, against the rest) and return every problem found.

    url_rules: also apply CONTRIBUTING's URL rules (pipeline.validate.urls: no click trackers, nothing
    local). `roadmap validate`, the gate on every pull request, does; the commands that only run over the
    catalogue (check, nightly, export) do not refuse to, and the crawler's safety filter still refuses
    to connect to a local address unless told otherwise. allow_private_addresses: accept loopback and
    private addresses (tests, local mirrors); click trackers are still refused.
    Raises UsageError when catalogue_dir is not a directory or a file is not inside it.
    """
    root = Path(catalogue_dir)
    if not root.is_dir():
        raise UsageError(f"{catalogue_dir}: no such catalogue directory")
    run = _Run(root, display_root(root))
    schemas = schema_set()
    full_mode = files is None

    docs: list[_Doc] = []
    if full_mode:
        for rel, path, _ in _discover(run, report_missing=True):
            kind = _kind_of(rel)
            assert kind is not None
            docs.append(_Doc(path, rel, kind, full=True))
        files_checked = len(docs)
    else:
        chosen = _select(root, files or ())
        files_checked = 0
        for rel in chosen:
            if not rel.endswith((".yaml", ".yml")):
                continue  # README.md and the like are not catalogue data
            files_checked += 1
            kind = _kind_of(rel)
            if kind is None:
                _stray(run, rel)
                continue
            docs.append(_Doc(root / rel, rel, kind, full=True))
        chosen_set = set(chosen)
        for rel, path, _ in _discover(run, report_missing=False):
            kind = _kind_of(rel)
            if rel not in chosen_set and kind in ("sections", "resource"):
                docs.append(_Doc(path, rel, kind, full=False))

    full_docs = [d for d in docs if d.full]
    for doc, loaded in zip(full_docs, _parse_all([d.path for d in full_docs]), strict=True):
        doc.data, doc.error = loaded.data, loaded.error

    for doc in full_docs:
        if doc.error is not None:
            e = doc.error
            run.problems.append(
                Problem(run.display(doc.rel), e.line, e.column, "$", e.message, e.hint, e.rule)
            )
            continue
        issues = schemas.issues(doc.kind, doc.data)
        doc.schema_ok = not issues
        for issue in issues:
            run.add(doc, issue.path, issue.message, issue.hint, issue.rule, at_key=issue.at_key)

    for doc in full_docs if url_rules else ():
        url = doc.data.get("url") if doc.kind == "resource" and isinstance(doc.data, dict) else None
        if doc.schema_ok and isinstance(url, str):
            for issue in url_issues(url, allow_private_addresses=allow_private_addresses):
                run.add(doc, ("url",), issue.message, issue.hint, issue.rule)

    sections_doc = next((d for d in docs if d.kind == "sections"), None)
    if sections_doc is not None and not sections_doc.full:
        loaded = load_yaml_file(sections_doc.path)
        sections_doc.data = loaded.data

    facts = [_facts(d) if d.full else _quick_facts(d) for d in docs if d.kind == "resource"]
    config = _config_of(docs, root)
    if config is not None:
        _check_features(run, full_docs, config)
    _check_across(run, facts, sections_doc, config)

    problems = tuple(sorted(run.problems, key=Problem.sort_key))
    catalogue = None
    if full_mode and not any(p.severity == "error" for p in problems):
        by_kind = {d.kind: d.data for d in docs if d.kind != "resource"}
        catalogue = build_catalogue(
            roadmap=by_kind["roadmap"],
            sections=by_kind["sections"],
            config=by_kind.get("config"),
            resources=[(d.data, d.path) for d in docs if d.kind == "resource"],
            root=root,
        )
    return ValidationResult(problems=problems, catalogue=catalogue, files_checked=files_checked)
