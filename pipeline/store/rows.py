"""Rows to dataclasses: one rule for the store's readers.

    from_row(RunInfo, row, conclusion=row.outcome) -> RunInfo

A field takes the row's value of the same name unless a keyword gives it (a renamed column, a decoded JSON
value, a value that does not come from the row).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: Any, /, **given: Any) -> T:
    """An instance of the dataclass `cls`: each field not in `given` read from `row` by its name."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in given}  # type: ignore[arg-type]
    return cls(**values, **given)
