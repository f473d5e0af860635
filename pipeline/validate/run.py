"""`validate_catalogue`: every problem of a catalogue directory (or of some of its files) in one run.

Steps: find the files -> parse each (libyaml events, see catalogue.yamlfile) -> schema-check each ->
checks across files (validate.across: ids, URLs, sections, positions) -> the Catalogue when nothing is
wrong. Marks (line and column of every value) are only computed for a file that has a problem: the file is
parsed again, which costs nothing when the catalogue is valid.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pipeline.catalogue.build import assemble_catalogue, build_resource
from pipeline.catalogue.filebytes import read_file_bytes
from pipeline.catalogue.layout import CATALOGUE_LAYOUT, REQUIRED_TOP_FILES, RESOURCES_DIR
from pipeline.catalogue.urls import normalise_url
from pipeline.catalogue.yamlfile import load_yaml_file
from pipeline.collector import collector_paused
from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.model import Resource
from pipeline.validate.across import check_across, check_features, check_file
from pipeline.validate.documents import Doc, Facts, Run
from pipeline.validate.problems import Problem, ValidationResult
from pipeline.validate.schemas import SchemaSet, schema_set
from pipeline.validate.urls import url_issues

TOP_FILES = {"roadmap.yaml": "roadmap", "sections.yaml": "sections", "config.yaml": "config"}


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


def _stray(run: Run, rel: str, is_dir: bool = False) -> None:
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


def _discover(run: Run, report_missing: bool) -> list[tuple[str, Path | str, bool]]:
    """Every file of the catalogue as (rel, path, is_catalogue_file); reports missing/stray ones. A resource
    file's path is a string (Doc.path makes it a Path when it is read)."""
    root = run.root
    found: list[tuple[str, Path | str, bool]] = []
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
        is_dir = {e.name: e.is_dir() for e in entries}
    folder = os.path.join(resources, "")
    for name in sorted(is_dir):
        if name.startswith("."):
            continue  # .gitkeep, editor swap files
        rel = f"{RESOURCES_DIR}/{name}"
        ok = not is_dir[name] and name.endswith(".yaml")
        if not ok and report_missing:
            _stray(run, rel, is_dir[name])
        if ok:
            found.append((rel, folder + name, True))
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


# A resource's top-level `key: value` line, for the quick look at the files a pull request did not touch.
_TOP_LINE = re.compile(r"^(id|url|awaiting_url|section|position):[ \t]*([^\n]*)", re.MULTILINE)
_PLAIN_SAFE = re.compile(r"[^\"'>|\[{&*!%@`#]")


def _quick_facts(doc: Doc) -> Facts:
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
        return Facts(
            doc,
            values["id"],
            values.get("url"),
            values["section"],
            int(values["position"]),
            same_as_key=_same_as_key(values.get("url"), waives=False),
        )
    loaded = load_yaml_file(doc.path)
    doc.data, doc.error = loaded.data, loaded.error
    return _facts(doc)


def _facts(doc: Doc) -> Facts:
    data = doc.data if isinstance(doc.data, dict) else {}

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    url, position = text("url"), data.get("position")
    exceptions = data.get("quality_exceptions")
    waives = isinstance(exceptions, dict) and "duplicate" in exceptions
    return Facts(
        doc,
        text("id"),
        url,
        text("section"),
        position if type(position) is int else None,
        same_as_key=_same_as_key(url, waives=waives),
        parent=text("parent"),
    )


def _same_as_key(url: str | None, *, waives: bool) -> str | None:
    return normalise_url(url) if url is not None and not waives else None


def _config_of(docs: list[Doc], root: Path) -> Config | None:
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
    with collector_paused():  # many small objects that live on: see pipeline.collector
        checking = Checking.start(
            catalogue_dir, files, url_rules=url_rules, allow_private=allow_private_addresses
        )
        for _ in checking.resources():
            pass
        return checking.result()


class Checking:
    """One validation run, step by step, for a caller that starts on each resource as soon as its file
    is checked (`roadmap check` crawls while the rest of the catalogue is validated):

        checking = Checking.start(catalogue_dir)   # the files found, the top files checked
        checking.config                            # the list's Config (None: config.yaml is invalid)
        for resource in checking.resources(): ...  # each resource file in turn: its model, or None
        checking.result()                          # the checks across files: every problem, the Catalogue

    A resource yielded is only provisional: the run is valid only if result() finds no error. Of a checked
    file it keeps only its Facts (for the checks across files) and its model: at 100,000 resources the
    parsed documents held until the end were most of the memory. One process: parsing in a second one was
    measured (benchmarks/bench_validate.py, 2 cores) and shipping the documents back cost more than it
    saved."""

    def __init__(
        self,
        run: Run,
        docs: list[Doc],
        files_checked: int,
        *,
        full_mode: bool,
        url_rules: bool,
        allow_private: bool,
    ) -> None:
        self.run, self.docs, self.files_checked, self.full_mode = run, docs, files_checked, full_mode
        self.url_rules, self.allow_private = url_rules, allow_private
        self.schemas = schema_set()
        self.top = [d for d in docs if d.kind != "resource"]
        self.config: Config | None = None
        self.sections_doc: Doc | None = None
        self.built: list[Resource] = []
        self.facts: list[Facts] = []
        self._seen = 0  # problems already looked at by has_errors()
        self._errors = False

    @classmethod
    def start(
        cls,
        catalogue_dir: Path,
        files: Sequence[Path] | None = None,
        *,
        url_rules: bool = True,
        allow_private: bool = False,
    ) -> Checking:
        """Find the files and check the top ones (roadmap, sections, config); see validate_catalogue."""
        root = Path(catalogue_dir)
        if not root.is_dir():
            raise UsageError(f"{catalogue_dir}: no such catalogue directory")
        run = Run(root, display_root(root))
        docs: list[Doc] = []
        if files is None:
            for rel, path, _ in _discover(run, report_missing=True):
                kind = _kind_of(rel)
                assert kind is not None
                docs.append(Doc(path, rel, kind, full=True))
            files_checked = len(docs)
        else:
            chosen = _select(root, files)
            files_checked = 0
            for rel in chosen:
                if not rel.endswith((".yaml", ".yml")):
                    continue  # README.md and the like are not catalogue data
                files_checked += 1
                kind = _kind_of(rel)
                if kind is None:
                    _stray(run, rel)
                    continue
                docs.append(Doc(root / rel, rel, kind, full=True))
            chosen_set = set(chosen)
            for rel, path, _ in _discover(run, report_missing=False):
                kind = _kind_of(rel)
                if rel not in chosen_set and kind in ("sections", "resource"):
                    docs.append(Doc(path, rel, kind, full=False))
        checking = cls(
            run,
            docs,
            files_checked,
            full_mode=files is None,
            url_rules=url_rules,
            allow_private=allow_private,
        )
        checking._check_top()
        return checking

    def _check_top(self) -> None:
        for doc in self.top:
            if doc.full:
                _parse_and_check_schema(self.run, doc, self.schemas)
        self.config = config = _config_of(self.docs, self.run.root)
        self.sections_doc = sections_doc = next((d for d in self.top if d.kind == "sections"), None)
        if sections_doc is not None and not sections_doc.full:
            sections_doc.data = load_yaml_file(sections_doc.path).data
        if config is not None:
            for doc in self.top:
                check_features(self.run, doc, config)

    @property
    def resource_files(self) -> int:
        return sum(1 for doc in self.docs if doc.kind == "resource")

    def has_errors(self) -> bool:
        """Whether an error was found so far (the run cannot be valid any more)."""
        problems = self.run.problems
        self._errors = self._errors or any(p.severity == "error" for p in problems[self._seen :])
        self._seen = len(problems)
        return self._errors

    def resources(self) -> Iterator[Resource | None]:
        """Check each resource file in turn; yield its model (None: not built, a problem or a partial run)."""
        run, config = self.run, self.config
        severities = config.validate if config is not None else {}
        required = config.features.required_fields() if config is not None else ()
        for doc in self.docs:
            if doc.kind != "resource":
                continue
            if not doc.full:
                self.facts.append(_quick_facts(doc))
                yield None
                continue
            _parse_and_check_schema(run, doc, self.schemas)
            if self.url_rules:
                _check_url(run, doc, severities, self.allow_private)
            if config is not None:
                check_features(run, doc, config, required)
            doc_facts = _facts(doc)
            check_file(run, doc_facts)
            self.facts.append(doc_facts)
            built = self.full_mode and doc.schema_ok
            resource = build_resource(doc.data) if built else None  # in resources/<id>.yaml: see file_of
            doc.data = None  # checked: only its facts and its model are needed from here on
            if resource is not None:
                self.built.append(resource)
            yield resource

    def result(self) -> ValidationResult:
        """The checks across files, once every resource file is checked: every problem, and the
        Catalogue of a full run without errors."""
        run = self.run
        check_across(run, self.facts, self.sections_doc, self.config)
        problems = tuple(sorted(run.problems, key=Problem.sort_key))
        catalogue = None
        if self.full_mode and not any(p.severity == "error" for p in problems):
            by_kind = {d.kind: d.data for d in self.top}
            catalogue = assemble_catalogue(
                roadmap=by_kind["roadmap"],
                sections=by_kind["sections"],
                config=by_kind.get("config"),
                resources=self.built,
                root=run.root,
            )
        return ValidationResult(problems=problems, catalogue=catalogue, files_checked=self.files_checked)


def _parse_and_check_schema(run: Run, doc: Doc, schemas: SchemaSet) -> None:
    loaded = load_yaml_file(doc.path)
    doc.data, doc.error = loaded.data, loaded.error
    if doc.error is not None:
        e = doc.error
        run.problems.append(Problem(run.display(doc.rel), e.line, e.column, "$", e.message, e.hint, e.rule))
        return
    issues = schemas.issues(doc.kind, doc.data)
    doc.schema_ok = not issues
    for issue in issues:
        run.add(doc, issue.path, issue.message, issue.hint, issue.rule, at_key=issue.at_key)


def _check_url(run: Run, doc: Doc, severities: Mapping[str, str], allow_private: bool) -> None:
    """CONTRIBUTING's URL rules (validate.urls); the list's config may soften or turn off a rule."""
    url = doc.data.get("url") if doc.kind == "resource" and isinstance(doc.data, dict) else None
    if doc.schema_ok and isinstance(url, str):
        for issue in url_issues(url, allow_private_addresses=allow_private):
            severity = severities.get(issue.rule, "error")
            if severity != "off":
                run.add(doc, ("url",), issue.message, issue.hint, issue.rule, severity=severity)
