"""A click group that imports a command's module only when that command runs.

`roadmap --help` and `roadmap --version` must start at once; importing every command would pull in
httpx, sqlalchemy, alembic, jinja2 and jsonschema first. The group knows each command by name, the
"module:attribute" that defines it and a short help line, and imports nothing else until asked.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    target: str  # "package.module:attribute"
    short_help: str  # the line `roadmap --help` shows, without importing the command


class LazyGroup(click.Group):
    """A group whose commands are listed from a table and imported on first use."""

    def __init__(self, *args: object, lazy_commands: Mapping[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module_name, _, attribute = self.lazy_commands[cmd_name].target.partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"{self.lazy_commands[cmd_name].target} is not the {cmd_name!r} command")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: `--help` imports no command module."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands:  # the table's line, whole, loaded or not: never cut mid-sentence
                rows.append((name, self.lazy_commands[name].short_help))
                continue
            command = self.commands[name]
            if not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
