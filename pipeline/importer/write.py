"""Catalogue documents -> YAML files in a catalogue directory (the layout `roadmap validate` reads)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from pipeline.catalogue.layout import RESOURCES_DIR, resource_path
from pipeline.catalogue.yamlfile import parse_yaml_text
from pipeline.errors import UsageError

try:  # the C emitter is several times faster; both write the same YAML
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Block style; multi-line text as `|` blocks; text that YAML 1.2 would read as something else quoted."""


def _reads_as_text(value: str) -> bool:
    """Whether the plain scalar `value` is read back as the same text by our YAML 1.2 loader."""
    if not value or value != value.strip() or "\n" in value:
        return False
    data, error, _ = parse_yaml_text(f"k: {value}\n")
    return error is None and isinstance(data, dict) and data.get("k") == value


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value[:1] in "0123456789+-.~nNtTfFyYoO" and not _reads_as_text(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def dump(document: Any) -> str:
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100000, default_flow_style=False
    )


CONFIG_TEMPLATE = """\
# Made by `roadmap import {source}`. Every key is optional; see schema/config.schema.json.

# What kind of list this is: none of a roadmap's features (stages, medium, cost, provenance,
# descriptions) are required of its resources. Turn one on when every resource has what it needs.
features:
  stages: false
  medium: false
  cost: false
  provenance: false
  descriptions: false

# The list's quality bar. The same link listed under two headings is a warning (real lists do it);
# make it an error once the duplicates are resolved.
quality:
  not-free:
    severity: "off"
  not-visual:
    severity: "off"
  weak-description:
    severity: "off"
  duplicate:
    severity: warning
  dead:
    severity: error
  moved:
    severity: warning
  # Entries the list names without a link (group labels, in-repository links) are not pending URLs:
  # listed, never fetched, and no to-do. Turn it on to be reminded of them.
  awaiting-url:
    severity: "off"

# Real lists link with click trackers (utm_* ...): validate lists them as warnings; import changes no URL.
validate:
  tracking-parameter: warning

# The README in the list's own style (roadmap export).
readme:
{readme}"""


def config_text(source: str, style: dict[str, Any]) -> str:
    readme = {"template": "list.md.j2", **style}
    lines = "".join(f"  {line}\n" for line in dump(readme).splitlines())
    return CONFIG_TEMPLATE.format(source=source, readme=lines)


TOP_FILES = ("roadmap.yaml", "sections.yaml", "config.yaml")


def prepare(into: Path, replace: bool) -> None:
    """Make `into` ready for a catalogue: new or empty, or (with replace) a catalogue made before."""
    if into.exists() and not into.is_dir():
        raise UsageError(f"{into}: exists and is not a directory")
    if not into.exists() or not any(into.iterdir()):
        (into / RESOURCES_DIR).mkdir(parents=True, exist_ok=True)
        return
    if not replace:
        raise UsageError(
            f"{into}: the directory is not empty; choose a new one, or pass --replace to import again "
            "over a catalogue made by roadmap import"
        )
    if not (into / "roadmap.yaml").is_file():
        raise UsageError(f"{into}: not a catalogue (no roadmap.yaml); --replace only replaces a catalogue")
    for name in TOP_FILES:
        (into / name).unlink(missing_ok=True)
    resources = into / RESOURCES_DIR
    if resources.is_dir():
        shutil.rmtree(resources)
    resources.mkdir()


def write_catalogue(
    into: Path,
    roadmap: dict[str, Any],
    sections: list[dict[str, Any]],
    resources: list[dict[str, Any]],
    config: str,
) -> None:
    (into / "roadmap.yaml").write_text(dump(roadmap), encoding="utf-8")
    (into / "sections.yaml").write_text(dump({"sections": sections}), encoding="utf-8")
    (into / "config.yaml").write_text(config, encoding="utf-8")
    for resource in resources:
        path = resource_path(into, resource["id"])
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dump(resource))
