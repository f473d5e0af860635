"""The Jinja2 environment for every generated file. Templates live in `pipeline/templates/` (shipped as
package data) so a maintainer changes the look without touching Python; no SQL and no logic beyond loops
and conditions belongs in them: the Python side hands them plain values."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.clock import isoformat
from pipeline.publish.text import (
    date_text,
    link_file,
    md_code_block,
    md_escape,
    md_url,
    medium_label,
    medium_marker,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


def _autoescape(name: str | None) -> bool:
    # HTML is escaped; Markdown is escaped explicitly with the `md` filter where text comes from contributors.
    return bool(name) and name.endswith((".html.j2", ".html"))


def _tojson_script(value: Any) -> str:
    # JSON inside <script>: no "</" sequence may close the element early.
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


@cache
def environment(templates_dir: Path = TEMPLATES_DIR, catalogue_dir: Path | None = None) -> Environment:
    """The environment; a list's own templates in its catalogue directory come before the shipped ones."""
    search = [str(catalogue_dir), str(templates_dir)] if catalogue_dir is not None else [str(templates_dir)]
    env = Environment(
        loader=FileSystemLoader(search),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        md=md_escape,
        md_url=md_url,
        code_block=md_code_block,
        marker=medium_marker,
        medium_label=medium_label,
        iso=isoformat,
        date=date_text,
        tojson_script=_tojson_script,
        link_file=link_file,
    )
    return env


def render(template: str, catalogue_dir: Path | None = None, /, **context: Any) -> str:
    """catalogue_dir: where a list keeps its own templates (searched first), if any."""
    env = environment(TEMPLATES_DIR, Path(catalogue_dir).resolve() if catalogue_dir is not None else None)
    text = env.get_template(template).render(**context)
    # One trailing newline, whatever the template's last line does.
    return text.rstrip("\n") + "\n"
