"""Where a catalogue's files live: one module, light enough for a command's first line to read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.model import Resource

REQUIRED_TOP_FILES = ("roadmap.yaml", "sections.yaml")
RESOURCES_DIR = "resources"
CATALOGUE_LAYOUT = "roadmap.yaml, sections.yaml, config.yaml and resources/<id>.yaml"


def resource_path(root: Path, resource_id: str) -> Path:
    return root / RESOURCES_DIR / f"{resource_id}.yaml"


def file_of(resource: Resource, root: Path | None) -> Path:
    """The YAML file a resource lives in: the one it names (`source`), else resources/<id>.yaml in its
    catalogue (root; a catalogue/ folder when unknown). Validation makes sure each file is named so."""
    if resource.source is not None:
        return Path(resource.source)
    return resource_path(root if root is not None else Path("catalogue"), resource.id)


def resource_files(root: Path) -> int:
    """How many resource files the catalogue holds, counted without reading one (0: no such folder)."""
    try:
        with os.scandir(root / RESOURCES_DIR) as entries:
            return sum(1 for entry in entries if entry.name.endswith(".yaml"))
    except OSError:
        return 0
