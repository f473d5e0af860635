"""The exports committed in this repository are what `roadmap export` makes of the bundled catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from pipeline.cli import cli

REPO = Path(__file__).resolve().parents[2]


def test_committed_exports_are_up_to_date(tmp_path: Path) -> None:
    # A database with no run: the health comes from the published roadmap.json, as on a fresh CI clone.
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--check",
            "--catalogue",
            str(REPO / "catalogue"),
            "--database",
            f"sqlite:///{tmp_path / 'fresh.db'}",
        ],
    )
    assert result.exit_code == 0, result.output + "\nrun `roadmap export` and commit exports/"


def test_committed_json_export_keeps_its_contract() -> None:
    document = json.loads((REPO / "exports" / "roadmap.json").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "schema" / "export.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema_version"].startswith("1.")  # this schema describes major version 1
