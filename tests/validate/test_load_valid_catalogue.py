"""load_valid_catalogue: the frozen model from a valid catalogue; CatalogueError with every problem."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest

from pipeline.catalogue.layout import file_of
from pipeline.config import (
    CheckConfig,
    Config,
    DomainRule,
    PathsConfig,
    QualityRule,
    RecheckConfig,
    ScheduleConfig,
)
from pipeline.errors import CatalogueError
from pipeline.validate import load_valid_catalogue
from tests.validate.fixtures import Catalogue, resource_text

SCHEMA = Path(__file__).resolve().parents[2] / "schema"


def test_model(catalogue: Catalogue) -> None:
    catalogue.write(
        "resources/cs229.yaml",
        resource_text("cs229", section="cheatsheets", position=5).replace(
            "url: https://example.org/cs229\n", ""
        )
        + "awaiting_url: not verified yet\neffort: 15 hours total\n"
        "quality_exceptions:\n  not-visual: The notes are the derivations the exam asks for.\n",
    )
    cat = load_valid_catalogue(catalogue.root)
    assert [s.id for s in cat.sections] == ["linear-algebra", "cheatsheets"]
    assert [(s.position, s.stage, s.kind) for s in cat.sections] == [(0, 1, "stage"), (1, None, "collection")]
    assert cat.sections[0].goals == ("Perform matrix multiplication by hand.",)
    assert [r.id for r in cat.resources] == [
        "essence-of-linear-algebra",
        "immersive-math",
        "cs229",
        "stanford-cs229-cheatsheets",
    ]
    cs229 = cat.resource("cs229")
    assert (cs229.url, cs229.awaiting_url, cs229.has_url, cs229.effort) == (
        None,
        "not verified yet",
        False,
        "15 hours total",
    )
    assert dict(cs229.quality_exceptions) == {
        "not-visual": "The notes are the derivations the exam asks for."
    }
    essence = cat.resource("essence-of-linear-algebra")
    assert (essence.added, essence.topics, file_of(essence, cat.root)) == (
        "2026-11-25",
        ("vectors",),
        catalogue.root / "resources/essence-of-linear-algebra.yaml",
    )
    assert essence.source is None  # where the layout puts it: nothing held (a Path each: 40 MB at 100,000)
    assert cat.roadmap.how_to_use.diagram == "Linear Algebra → Calculus\n"
    assert cat.config.check.concurrency == 8 and cat.config.check.per_host == 2
    assert cat.root == catalogue.root


def test_invalid_catalogue_raises_with_every_problem(catalogue: Catalogue) -> None:
    catalogue.resource("js", url="javascript:alert(1)", position=30)
    catalogue.write("resources/empty.yaml", b"")
    with pytest.raises(CatalogueError) as raised:
        load_valid_catalogue(catalogue.root)
    assert str(raised.value) == (
        "catalogue/resources/empty.yaml:1:1: the file is empty — write the document this file should "
        "hold (see catalogue/README.md) (and 1 more problem; run `roadmap validate`)"
    )
    assert [p.rule for p in raised.value.problems] == ["empty", "schema-pattern"]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no such catalogue directory"):
        load_valid_catalogue(tmp_path / "nope")


def test_bundled_catalogue_loads(repo_root: Path) -> None:
    cat = load_valid_catalogue(repo_root / "catalogue")
    assert len(cat.sections) == 8
    assert all(any(True for _ in cat.resources_in(s.id)) for s in cat.sections)
    awaiting = [r.id for r in cat.resources if not r.has_url]
    assert awaiting == ["aml-cheat-sheet"]


@pytest.mark.parametrize("name", ["common", "resource", "sections", "roadmap", "config"])
def test_schemas_are_valid_draft_2020_12_with_descriptions(name: str) -> None:
    schema = json.loads((SCHEMA / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, prop in (node.get("properties") or {}).items():
                assert prop.get("title") and prop.get("description"), (
                    f"{name}: {where}.{key} lacks title/description"
                )
            for key, value in node.items():
                if key not in ("if", "then", "else"):  # conditions, not properties a contributor writes
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(schema, "$")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("check",), CheckConfig),
        (("recheck",), RecheckConfig),
        (("schedule",), ScheduleConfig),
        (("paths",), PathsConfig),
        (("$defs", "domainRule"), DomainRule),
        (("$defs", "qualityRule"), QualityRule),
        ((), Config),
    ],
)
def test_config_schema_matches_config_py_field_by_field(path: tuple[str, ...], kind: type) -> None:
    schema = json.loads((SCHEMA / "config.schema.json").read_text())
    node = schema if not path else (schema["properties"] if path[0] != "$defs" else schema)
    for part in path:
        node = node[part]
    assert set(node["properties"]) == {f.name for f in fields(kind)}


@pytest.mark.parametrize("name", ["resource", "sections", "roadmap", "config"])
def test_shared_definitions_are_exact_copies_of_common(name: str) -> None:
    common = json.loads((SCHEMA / "common.schema.json").read_text())["$defs"]
    schema = json.loads((SCHEMA / f"{name}.schema.json").read_text())
    shared = {key: value for key, value in schema["$defs"].items() if key in common}
    assert shared, f"{name} uses none of the common definitions"
    assert shared == {key: common[key] for key in shared}
    assert "common.schema.json" not in json.dumps(schema)  # self-contained: no cross-file $ref


def test_urls_are_normalised_as_each_file_is_checked_not_all_at_the_end(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`roadmap check` validates a file between two turns of its event loop: the duplicate check's key of
    each URL is worked out then, so that the checks across files at the end hold the loop up for little
    (normalising 20,000 URLs there took 0.3 s). A duplicate is still found at the end."""
    from pipeline.validate import run
    from pipeline.validate.load import CatalogueLoading

    catalogue.resource("copy", url="https://WWW.example.org/immersive-math/", position=30)
    normalised: list[str] = []
    real = run.normalise_url
    monkeypatch.setattr(run, "normalise_url", lambda url: normalised.append(url) or real(url))
    loading = CatalogueLoading(catalogue.root)
    assert len(list(loading.resources())) == 4 and len(normalised) == 4
    with pytest.raises(CatalogueError, match="the same resource as"):
        loading.catalogue()
    assert len(normalised) == 4  # none at the end


def test_values_many_resources_spell_are_held_once(catalogue: Catalogue) -> None:
    # Each file's parse makes its own strings; the model keeps one of each shared value (memory at scale).
    catalogue.write("resources/second.yaml", resource_text("second", position=90))
    cat = load_valid_catalogue(catalogue.root)
    first, second = (r for r in cat.resources if r.id in {"essence-of-linear-algebra", "second"})
    for name in ("section", "medium", "cost", "provider", "origin", "added"):
        assert getattr(first, name) == getattr(second, name)
        assert getattr(first, name) is getattr(second, name), name
