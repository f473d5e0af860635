"""The documents of one validation run and the run that collects their problems (with line and column,
computed only for a file that has a problem)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.catalogue.filebytes import LoadError
from pipeline.catalogue.yamlfile import DocPath, Marks, load_yaml_file
from pipeline.validate.problems import Problem, json_path


@dataclass(slots=True)
class Doc:
    """One catalogue file as the validator sees it."""

    # The file; a resource file's is a string, made a Path each time one is asked for (`path`): making
    # 100,000 Path objects took 0.6-0.8 s before `roadmap check` could send its first request, and the
    # facts checked across files keep their Doc until the catalogue is whole.
    where: Path | str
    rel: str  # inside the catalogue, posix, e.g. "resources/x.yaml"
    kind: str  # roadmap | sections | config | resource
    full: bool  # fully checked and reported on (False: another file, only consulted)
    data: Any = None
    error: LoadError | None = None
    schema_ok: bool = False
    marks: Marks | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return Path(self.where)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the checks across files need from one resource."""

    doc: Doc
    id: str | None
    url: str | None
    section: str | None
    position: int | None
    # The URL normalised (pipeline.catalogue.urls), the key of the duplicate check; None for a resource
    # that waives it (quality_exceptions) or has no URL. Worked out as the file is checked: `roadmap check`
    # validates a file between two turns of its event loop, and normalising 20,000 URLs at the end would
    # stop the loop, and every host's next request, for 0.3 s.
    same_as_key: str | None
    parent: str | None = None


class Run:
    """One validation run: where the catalogue is, how to name its files, every problem found."""

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
        doc: Doc,
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

    def marks(self, doc: Doc) -> Marks | None:
        if doc.marks is None:
            doc.marks = load_yaml_file(doc.path, with_marks=True).marks
        return doc.marks
