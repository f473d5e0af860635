"""CONTRIBUTING.md tells the truth: its example file is valid, its sample error is what validate prints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

TEXT = (Path(__file__).resolve().parents[2] / "CONTRIBUTING.md").read_text(encoding="utf-8")


BROKEN = """\
# yaml-language-server: $schema=../../schema/resource.schema.json
id: my-new-resource
title: "Some Explainer"
url: https://example.org/explainer
section: linear-algebra
position: 60
description: Drag the vectors and watch the matrix move every point of the plane with them.
medium: podcast
cost: free
provider: Someone
topics: [vectors]
origin: added
added: 2026-11-25
"""


def validate(capsys, catalogue: Path, *files: Path) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--catalogue", str(catalogue), *map(str, files)])
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out + err


@pytest.fixture
def catalogue(tmp_path: Path, repo_root: Path) -> Path:
    shutil.copytree(repo_root / "catalogue", tmp_path / "catalogue")
    return tmp_path / "catalogue"


def test_the_example_resource_is_valid(capsys, catalogue: Path) -> None:
    example = re.search(r"```yaml\n(# yaml-language-server.*?)```", TEXT, re.DOTALL).group(1)
    rid = re.search(r"^id: (\S+)", example, re.MULTILINE).group(1)
    path = catalogue / "resources" / f"{rid}.yaml"
    assert path.exists()  # the example is a real entry: replace it with the documented text
    path.write_text(example, encoding="utf-8")
    code, out = validate(capsys, catalogue, path)
    assert code == 0, out


def test_the_sample_error_is_what_validate_prints(capsys, catalogue: Path, monkeypatch) -> None:
    shown = re.search(r"^(catalogue/resources/my-new-resource\.yaml:8:9: .*)$", TEXT, re.MULTILINE).group(1)
    broken = BROKEN
    assert broken.splitlines()[7] == "medium: podcast"  # line 8, column 9
    (catalogue / "resources" / "my-new-resource.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(catalogue.parent)
    code, out = validate(capsys, Path("catalogue"), Path("catalogue/resources/my-new-resource.yaml"))
    assert code == 1
    assert out.splitlines()[0] == shown
