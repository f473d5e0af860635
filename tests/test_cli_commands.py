"""The command table of the lazy `roadmap` group: nothing dropped, nothing heavy imported for --help."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys

import click
import pytest

import pipeline.cli
from pipeline.cli import COMMANDS, cli
from tests.cli import roadmap

HEAVY = (
    "httpx",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "jinja2",
    "rich",
    "jsonschema",
    "selectolax",
    "apscheduler",
)


def _command_modules() -> dict[str, click.Command]:
    """Every module of pipeline/cli that defines a `command`, by that command's name."""
    found = {}
    for info in pkgutil.iter_modules(pipeline.cli.__path__):
        module = importlib.import_module(f"pipeline.cli.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            found[command.name] = command
    return found


def _listed(help_text: str) -> list[str]:
    section = help_text.split("Commands:", 1)[1]
    return re.findall(r"^  (\S+)\s", section, flags=re.MULTILINE)


def test_help_lists_every_command_module(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = roadmap(capsys, "--help")
    assert code == 0
    defined = _command_modules()
    assert len(defined) >= 9
    assert sorted(defined) == _listed(out) == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_name_loads_its_module_command(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = click.Context(cli)
    assert cli.get_command(ctx, name) is _command_modules()[name]
    code, out, _ = roadmap(capsys, name, "--help")
    assert code == 0
    assert out.startswith(f"Usage: roadmap {name} ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = roadmap(capsys, "chek")
    assert code == 2
    assert "No such command 'chek'" in err


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_start_up_imports_no_heavy_dependency(args: list[str]) -> None:
    probe = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = [m for m, module in sys.modules.items() if module is not None]\n"  # None: refused
        "print(sorted(m for m in loaded if m.split('.')[0] in heavy or m.startswith('pipeline.cli.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "['pipeline.cli.lazy']"
