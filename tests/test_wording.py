"""The shared spellings of pipeline.wording."""

from __future__ import annotations

import pytest

from pipeline.wording import plural


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [(0, "run", "0 runs"), (1, "run", "1 run"), (2, "quality error", "2 quality errors")],
)
def test_plural(count: int, noun: str, text: str) -> None:
    assert plural(count, noun) == text
