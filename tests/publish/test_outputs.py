"""The output writer (issue 10 §5): a file is rewritten only when its content changed, not only a stamp;
an unwritable output folder is named, never the temporary file beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.publish.outputs import same_content, stale_outputs, write_outputs
from tests.cli import roadmap
from tests.conftest import REPO


def export(generated: str, checked: str, status: str = "ok", title: str = "Essence of calculus") -> bytes:
    document = {
        "generated_at": generated,
        "schema_version": "1.1.0",
        "resources": [
            {
                "id": "essence-of-calculus",
                "title": title,
                "added": "2026-11-01",
                "health": {"status": status, "checked_at": checked, "last_ok_at": checked, "uptime": 1.0},
            }
        ],
    }
    return json.dumps(document, indent=2).encode()


HEALTH_MD_1 = """# Link health report

**Latest run:** #1 (nightly, complete), started 2026-11-25T03:00:00Z, 3 of 3 checked.

| ok | 3 |
- [Calculus](https://example.org/c) — ok (HTTP 200), last checked 2026-11-25
"""
HEALTH_MD_3 = """# Link health report

**Latest run:** #3 (nightly, complete), started 2026-11-27T03:00:00Z, 1 of 1 checked.
**Previous conclusive run:** #2 (nightly, complete), started 2026-11-26T03:00:00Z, 3 of 3 checked.

| ok | 3 |
- [Calculus](https://example.org/c) — ok (HTTP 200), last checked 2026-11-27
"""
CELL = '<i class="{c}" title="run {n} · 2026-11-{d} · ok"></i>'
PAGE = (
    '<p class="meta">Latest run #{n} (nightly, complete), started {t} · 3 resources</p>'
    "<td>{cells}</td>{badge}"
)


def page(n: int, badge: str = '<span class="badge ok">ok</span>') -> bytes:
    cells = "".join(CELL.format(c="o", n=i, d=20 + i) for i in range(1, n + 1))
    return PAGE.format(n=n, t=f"2026-11-{20 + n}T03:00:00Z", cells=cells, badge=badge).encode()


SCENARIOS = {
    # name: (file name, old, new, same content?)
    "export: only generated_at and checked_at moved": (
        "roadmap.json",
        export("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z"),
        export("2026-11-26T03:00:00Z", "2026-11-26T03:00:00Z"),
        True,
    ),
    "export: a status changed": (
        "roadmap.json",
        export("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z"),
        export("2026-11-26T03:00:00Z", "2026-11-26T03:00:00Z", status="broken"),
        False,
    ),
    "export: a title changed, stamps equal": (
        "roadmap.json",
        export("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z"),
        export("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z", title="Essence of Calculus"),
        False,
    ),
    "export: the file on disk is not JSON": ("roadmap.json", b"<<<", export("a", "b"), False),
    "README: only the last-checked date moved": (
        "README.md",
        b"# List\n\n<sub>Links last checked on 2026-11-25.</sub>\n",
        b"# List\n\n<sub>Links last checked on 2026-11-26.</sub>\n",
        True,
    ),
    "README: a note appeared": (
        "README.md",
        b"* [A](https://a.example)\n<sub>Links last checked on 2026-11-25.</sub>\n",
        b"* [A](https://a.example) \xe2\x9a\xa0\xef\xb8\x8f link failing since 2026-11-26\n"
        b"<sub>Links last checked on 2026-11-26.</sub>\n",
        False,
    ),
    "health.md: a later run, a previous-run line, new check dates": (
        "health.md",
        HEALTH_MD_1.encode(),
        HEALTH_MD_3.encode(),
        True,
    ),
    "health.md: a resource needs a human": (
        "health.md",
        HEALTH_MD_1.encode(),
        HEALTH_MD_1.replace("| ok | 3 |", "| ok | 2 |\n| broken | 1 |").encode(),
        False,
    ),
    "index.html: one more run in the timeline": ("index.html", page(2), page(3), True),
    "index.html: a badge changed": (
        "index.html",
        page(2),
        page(3, badge='<span class="badge broken">broken</span>'),
        False,
    ),
}


@pytest.mark.parametrize(("name", "old", "new", "same"), SCENARIOS.values(), ids=list(SCENARIOS))
def test_same_content(name: str, old: bytes, new: bytes, same: bool) -> None:
    assert same_content(Path(name), old, new) is same


def test_a_stamp_alone_keeps_the_file_and_a_real_change_rewrites_it(tmp_path: Path) -> None:
    path = tmp_path / "out" / "roadmap.json"
    first = export("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z")
    assert write_outputs({path: first}) == [path]  # missing: written, folder created
    assert write_outputs({path: export("2026-11-26T03:00:00Z", "2026-11-26T03:00:00Z")}) == []
    assert path.read_bytes() == first
    assert stale_outputs({path: export("2026-11-27T03:00:00Z", "2026-11-27T03:00:00Z")}) == []
    changed = export("2026-11-27T03:00:00Z", "2026-11-27T03:00:00Z", status="soft_404")
    assert write_outputs({path: changed}) == [path]
    assert path.read_bytes() == changed  # the whole new file, its stamps included
    assert sorted(p.name for p in path.parent.iterdir()) == ["roadmap.json"]  # no temporary file left


def unwritable_folder() -> Path:
    """A folder that refuses new files even to root (sysfs)."""
    folder = Path("/sys/kernel")
    probe = folder / ".roadmap-probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return folder
    probe.unlink()
    pytest.skip("no unwritable folder on this machine")


def test_an_unwritable_folder_is_named_not_the_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    folder = unwritable_folder()
    database = f"sqlite:///{tmp_path / 'r.db'}"
    args = ("export", "--catalogue", str(REPO / "catalogue"), "--database", database, "--out", str(folder))
    code, out, err = roadmap(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        f"roadmap: error: cannot write README.md in {folder}: Permission denied "
        "(choose a folder you can write to, or fix its permissions)\n"
    )
    assert ".tmp" not in err


def test_a_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OutputError) as raised:
        write_outputs({blocker / "reports" / "health.md": b"x"})
    assert str(raised.value).startswith(f"cannot create the folder {blocker / 'reports'}: ")
    assert os.listdir(tmp_path) == ["taken"]


def status_page(uptime: int, ms: str, runs: int) -> bytes:
    from pipeline.publish.status_page import script_json

    row = ["alpha", "Alpha", "https://a.example", 0, 7, -1, uptime, 0, 1, 1440 * runs, "a" * runs, ms, "", []]
    data = {"format": 1, "base": 29926260, "runs": [[i, 1440 * i] for i in range(runs)], "rows": [row]}
    return f'<h1>Status</h1><script type="application/json" id="data">{script_json(data)}</script>'.encode()


@pytest.mark.parametrize(
    ("new", "same"),
    [(status_page(1000, "0a0b", 2), True), (status_page(950, "0a0b", 2), False)],
    ids=["one more run, other response times", "the uptime moved"],
)
def test_the_status_page_compares_its_packed_data_without_times(new: bytes, same: bool) -> None:
    from pipeline.publish.status_page import page_content

    old = status_page(1000, "0a", 1)
    assert same_content(Path("index.html"), old, new, page_content) is same
