"""The strict loader: YAML 1.2 core scalars, marks, and what it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from pipeline.catalogue import filebytes
from pipeline.catalogue.yamlfile import MAX_FILE_BYTES, StrictLoader, load_yaml_file, parse_yaml_text

SCALARS = [
    ("no", "no"),
    ("yes", "yes"),
    ("On", "On"),
    ("off", "off"),
    ("true", True),
    ("False", False),
    ("2026-11-25", "2026-11-25"),
    ("12:30:00", "12:30:00"),
    ("~", None),
    ("null", None),
    ("", None),
    ("017", 17),
    ("0o17", 15),
    ("0x1F", 31),
    ("-3", -3),
    ("1_000", "1_000"),
    ("2.5", 2.5),
    ("1e3", 1000.0),
    (".inf", float("inf")),
    ("-.Inf", float("-inf")),
    ("'true'", "true"),
    ('"12"', "12"),
    ("!!str 12", "12"),
    ("!!int '12'", 12),
    ("!!float 1", 1.0),
    ("3Blue1Brown", "3Blue1Brown"),
]


@pytest.mark.parametrize(("text", "expected"), SCALARS, ids=[s or "empty" for s, _ in SCALARS])
def test_yaml_12_core_scalars(text: str, expected: object) -> None:
    data, error, _ = parse_yaml_text(f"v: {text}\n")
    assert error is None
    assert data == {"v": expected}
    assert type(data["v"]) is type(expected)


def test_nan() -> None:
    data, _, _ = parse_yaml_text("v: .nan\n")
    assert data["v"] != data["v"]


def test_marks_of_values_and_keys() -> None:
    text = "id: x\nsections:\n  - id: a\n    goals: [one, two]\n"
    _, _, marks = parse_yaml_text(text, with_marks=True)
    assert marks is not None
    assert marks.of_value(("id",)) == (1, 5)
    assert marks.of_key(("sections",)) == (2, 1)
    assert marks.of_value(("sections", 0, "goals", 1)) == (4, 18)
    assert marks.of_value(("sections", 0, "missing")) == (3, 5)  # falls back to the mapping


@pytest.mark.parametrize(
    ("text", "rule", "line", "column"),
    [
        ("a: &x 1\nb: *x\n", "yaml-alias", 1, 4),
        ("a: [*x]\n", "yaml-alias", 1, 5),
        ("a: 1\na: 2\n", "yaml-duplicate-key", 2, 1),
        ("a: !!python/object:os.system {}\n", "yaml-tag", 1, 4),
        ("a: !custom 1\n", "yaml-tag", 1, 4),
        ("a: !!int abc\n", "yaml-tag", 1, 4),
        ("? [a]\n: 1\n", "yaml-key", 1, 3),
        ("true: 1\n", "yaml-key", 1, 1),
        ("a: 1\n---\nb: 2\n", "yaml-multiple-documents", 2, 1),
        ("a: " + "[" * 17 + "]" * 17, "yaml-depth", 1, 19),
        ("a: [\n", "yaml-syntax", 2, 1),
    ],
)
def test_refusals(text: str, rule: str, line: int, column: int) -> None:
    data, error, _ = parse_yaml_text(text)
    assert data is None and error is not None
    assert (error.rule, error.line, error.column) == (rule, line, column)


def test_yaml_load_with_the_loader_class() -> None:
    assert yaml.load("a: no\nb: 2026-01-01\n", Loader=StrictLoader) == {"a": "no", "b": "2026-01-01"}
    with pytest.raises(StrictLoader.Refused):
        yaml.load("a: !!python/object/apply:os.getcwd []\n", Loader=StrictLoader)


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    loaded = load_yaml_file(path)
    assert loaded.error is not None and loaded.error.rule == "too-large"
    assert load_yaml_file(path, max_bytes=MAX_FILE_BYTES * 2).error.rule == "binary"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("measured", "rule", "data"),
    [
        (4, "too-large", None),  # grew past the bound after it was measured: still refused
        (1, None, {"id": "a-longer-id"}),  # grew, within the bound: read whole
        (500, None, {"id": "a-longer-id"}),  # shrank: what is there
    ],
    ids=["grew-too-large", "grew", "shrank"],
)
def test_a_file_that_changes_size_after_it_was_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measured: int, rule: str | None, data: object
) -> None:
    path = tmp_path / "changing.yaml"
    path.write_text("id: a-longer-id\n")
    real_lstat = os.lstat

    def lstat_of_another_moment(target: object) -> os.stat_result:
        info = real_lstat(target)  # type: ignore[arg-type]
        return os.stat_result((*info[:6], measured, *info[7:]))  # st_size as it was measured

    monkeypatch.setattr(filebytes.os, "lstat", lstat_of_another_moment)
    loaded = load_yaml_file(path, max_bytes=10 if rule else MAX_FILE_BYTES)
    assert (loaded.error.rule if loaded.error else None) == rule
    assert loaded.data == data


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: x\n")
    assert load_yaml_file(path).data == {"id": "x"}


def test_directory_and_missing_file(tmp_path: Path) -> None:
    assert load_yaml_file(tmp_path).error.rule == "not-a-file"  # type: ignore[union-attr]
    assert load_yaml_file(tmp_path / "nope.yaml").error.rule == "unreadable"  # type: ignore[union-attr]
