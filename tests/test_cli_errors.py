"""Errors from the file system reach the user as one line naming the path, never as a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_an_unwritable_output_folder_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be\n")
    database = f"sqlite:///{tmp_path / 'roadmap.db'}"
    command = ["export", "--catalogue", str(REPO / "catalogue"), "--database", database]
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *command, "--out", str(blocker / "site")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"roadmap: error: cannot create the folder {blocker / 'site'}: Not a directory\n"
    assert "Traceback" not in result.stdout + result.stderr
