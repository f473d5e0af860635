"""Run the real `roadmap` entry point in-process, as a user would: exit code, stdout, stderr."""

from __future__ import annotations

import pytest

from pipeline.cli import main


def roadmap(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err
