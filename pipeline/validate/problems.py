"""What `roadmap validate` finds: plain values, printed by the CLI and returned to every caller."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.model import Catalogue

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, located as precisely as the parser allows."""

    file: str  # as the user would type it, e.g. "catalogue/resources/x.yaml"
    line: int | None  # 1-based
    column: int | None  # 1-based
    path: str  # JSON path inside the document, e.g. "$.sections[2].id" ("$" for the whole file)
    message: str  # what is wrong and what is allowed
    hint: str  # how to fix it ("" when the message says it all)
    rule: str  # stable id, e.g. "schema-enum", "duplicate-url", "yaml-alias"
    severity: str = "error"

    @property
    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def format_text(self) -> str:
        """`file:line:col: message — hint`, the line an editor or terminal can jump to; a warning (the
        list's config made its rule one: it fails nothing) says so, `file:line:col: warning: ...`."""
        level = "" if self.severity == "error" else f"{self.severity}: "
        text = f"{self.location}: {level}{self.message}"
        return f"{text} — {self.hint}" if self.hint else text

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line or 0, self.column or 0, self.message)


@dataclass(frozen=True)
class ValidationResult:
    problems: tuple[Problem, ...]
    catalogue: Catalogue | None  # only for a full, valid run
    files_checked: int

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def files_with_problems(self) -> int:
        return len({p.file for p in self.problems})


def json_path(path: tuple[str | int, ...]) -> str:
    """("sections", 2, "id") -> "$.sections[2].id"; keys that are not identifiers are quoted."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append("[" + repr(part) + "]")
    return "".join(out)
