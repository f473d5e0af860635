"""A default is written in three places a maintainer reads: its value in pipeline/config.py, the bundled
catalogue/config.yaml (whose header says the values written out ARE the defaults) and the schema's
description of the key ("(default N)", what an editor shows). A default changed in one of them alone
would leave the other two saying something the tool does not do."""

from __future__ import annotations

import json
import re
from dataclasses import fields

import pytest
import yaml

from pipeline.config import CheckConfig, Config, RecheckConfig, ScheduleConfig
from tests.conftest import REPO

SECTIONS = {"check": CheckConfig, "recheck": RecheckConfig, "schedule": ScheduleConfig}


@pytest.mark.parametrize("section", SECTIONS)
def test_the_bundled_config_writes_out_the_defaults(section: str) -> None:
    written = yaml.safe_load((REPO / "catalogue" / "config.yaml").read_text())
    assert getattr(Config.from_dict(written), section) == SECTIONS[section]()


@pytest.mark.parametrize("section", SECTIONS)
def test_the_schema_states_the_defaults(section: str) -> None:
    schema = json.loads((REPO / "schema" / "config.schema.json").read_text())
    stated = {
        key: float(found.group(1))
        for key, spec in schema["properties"][section]["properties"].items()
        if (found := re.search(r"\(default (\d+(?:\.\d+)?)", spec.get("description", "")))
    }
    assert stated, f"no default stated in the schema's {section} section"
    defaults = {f.name: f.default for f in fields(SECTIONS[section])}
    assert {key: defaults[key] for key in stated} == stated
