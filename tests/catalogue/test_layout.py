"""Where a resource's file is: the one it names, else resources/<id>.yaml in its catalogue."""

from __future__ import annotations

from pathlib import Path

from pipeline.catalogue.layout import file_of
from pipeline.model import Resource


def test_a_validated_resource_lives_where_the_layout_puts_it(tmp_path: Path) -> None:
    resource = Resource("essence", "Essence", "linear-algebra", 10, url="https://example.org/")
    assert file_of(resource, tmp_path / "catalogue") == tmp_path / "catalogue/resources/essence.yaml"
    assert file_of(resource, None) == Path("catalogue/resources/essence.yaml")


def test_a_resource_that_names_its_file_lives_there(tmp_path: Path) -> None:
    elsewhere = tmp_path / "drafts" / "essence.yaml"
    resource = Resource("essence", "Essence", "linear-algebra", 10, source=str(elsewhere))
    assert file_of(resource, tmp_path / "catalogue") == elsewhere
