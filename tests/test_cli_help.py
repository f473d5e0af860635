"""`--help` reads well: summaries are whole sentences, several examples are "Examples:", defaults read
as words, shared options say the same thing in every command."""

from __future__ import annotations

import re

import pytest

from pipeline.cli import COMMANDS
from tests.cli import roadmap

GROUPS = {"db": ("current", "upgrade"), "fix": ("redirects",)}
EVERY = [(name,) for name in COMMANDS] + [(g, sub) for g, subs in GROUPS.items() for sub in subs]


def help_text(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    code, out, err = roadmap(capsys, *command, "--help")
    assert (code, err) == (0, "")
    return out


@pytest.mark.parametrize("command", EVERY, ids=" ".join)
def test_help_reads_well(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    text = help_text(capsys, *command)
    assert "(or $" not in text and "[default: (" not in text  # defaults read as words
    if re.search(r"^  --database\b", text, flags=re.MULTILINE):
        assert "--database URL" in text
    for label, block in re.findall(r"\n  (Examples?):\n((?:    .*\n)+)", text):
        assert label == ("Examples" if len(block.strip().splitlines()) > 1 else "Example"), block


@pytest.mark.parametrize("group", ["", *GROUPS])
def test_command_summaries_are_not_cut(capsys: pytest.CaptureFixture[str], group: str) -> None:
    text = help_text(capsys, *([group] if group else []))
    listed = text.split("Commands:\n", 1)[1]
    assert "..." not in listed
    for summary in re.findall(r"^  \S+\s+(.*(?:\n {4,}\S.*)*)", listed, flags=re.MULTILINE):
        assert " ".join(summary.split()).endswith("."), summary


def test_allow_private_addresses_has_one_wording(capsys: pytest.CaptureFixture[str]) -> None:
    wordings = set()
    for command in ("check", "nightly", "schedule"):
        text = help_text(capsys, command)
        option = re.search(r"--allow-private-addresses\s+(.*?)(?=\n  -)", text, flags=re.S)
        assert option is not None, command
        wordings.add(" ".join(option.group(1).split()))
    assert wordings == {
        "Let the crawler connect to loopback and private addresses (tests and local mirrors only; never "
        "in production)."
    }
