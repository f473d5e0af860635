"""Small shared rules of pipeline.status that every surface prints through."""

from __future__ import annotations

import pytest

from pipeline.status import NOT_JUDGED, counts_text


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        pytest.param({}, "", id="nothing"),
        pytest.param({"ok": 5, "broken": 1}, "5 ok, 1 broken", id="most first"),
        pytest.param({"ok": 1, "broken": 1, "blocked": 1}, "1 blocked, 1 broken, 1 ok", id="ties by name"),
        pytest.param({NOT_JUDGED: 3, "ok": 1}, f"3 {NOT_JUDGED}, 1 ok", id="not judged"),
    ],
)
def test_counts_text(counts: dict[str, int], text: str) -> None:
    assert counts_text(counts) == text
