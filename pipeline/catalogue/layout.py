"""Where a catalogue's files live: one module, light enough for a command's first line to read."""

from __future__ import annotations

import os
from pathlib import Path

REQUIRED_TOP_FILES = ("roadmap.yaml", "sections.yaml")
RESOURCES_DIR = "resources"
CATALOGUE_LAYOUT = "roadmap.yaml, sections.yaml, config.yaml and resources/<id>.yaml"


def resource_path(root: Path, resource_id: str) -> Path:
    return root / RESOURCES_DIR / f"{resource_id}.yaml"


def resource_files(root: Path) -> int:
    """How many resource files the catalogue holds, counted without reading one (0: no such folder)."""
    try:
        with os.scandir(root / RESOURCES_DIR) as entries:
            return sum(1 for entry in entries if entry.name.endswith(".yaml"))
    except OSError:
        return 0
