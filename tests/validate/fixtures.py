"""A small valid catalogue in tmp_path (the working directory), and a way to run the real CLI entry point."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import main

ROADMAP = """\
title: The Math Behind Machine Learning
tagline: A roadmap for students.
introduction:
  - Every resource shows the math running.
how_to_use:
  introduction:
    - This is a sequential curriculum.
  diagram: |
    Linear Algebra → Calculus
  paths:
    - audience: If you are a complete beginner
      advice: Start at Stage 1.
quality_bar: A resource must be free and visual.
contributing:
  - Contributions are welcome.
"""

SECTIONS = """\
sections:
  - id: linear-algebra
    title: Stage 1 — Linear Algebra
    kind: stage
    stage: 1
    introduction: ["The language of ML."]
    goals: ["Perform matrix multiplication by hand."]
  - id: cheatsheets
    title: Cheatsheets & Quick References
    kind: collection
"""

# The roadmap's features (a list made by `roadmap import` has none of them).
CONFIG = """\
check:
  concurrency: 8
features: {stages: true, medium: true, cost: true, provenance: true, descriptions: true}
"""

RESOURCE = """\
id: {id}
title: "Resource {id}"
url: {url}
section: {section}
position: {position}
description: >-
  What the student will understand, in one full sentence.
medium: video-series
cost: free
provider: Someone
topics: [vectors]
origin: seed
added: 2026-11-25
"""


def resource_text(
    id: str, url: str | None = None, section: str = "linear-algebra", position: int = 10
) -> str:
    return RESOURCE.format(id=id, url=url or f"https://example.org/{id}", section=section, position=position)


class Catalogue:
    """The catalogue directory under test, with helpers to write its files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def resource(self, id: str, **fields: object) -> Path:
        return self.write(f"resources/{id}.yaml", resource_text(id, **fields))  # type: ignore[arg-type]


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Catalogue:
    """catalogue/ in the working directory: 2 sections, 3 resources, valid."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_CATALOGUE", raising=False)
    cat = Catalogue(tmp_path / "catalogue")
    cat.write("roadmap.yaml", ROADMAP)
    cat.write("sections.yaml", SECTIONS)
    cat.write("config.yaml", CONFIG)
    cat.resource("essence-of-linear-algebra", position=10)
    cat.resource("immersive-math", position=20)
    cat.resource("stanford-cs229-cheatsheets", section="cheatsheets")
    return cat


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run `roadmap ARGS...` through the console entry point; (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as stop:
            main(list(args))
        out, err = capsys.readouterr()
        return int(stop.value.code or 0), out, err

    return run
