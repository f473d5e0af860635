"""The JSON export's contract (schema/export.schema.json), for the tests that check documents against it."""

from __future__ import annotations

import json

import jsonschema

from tests.conftest import REPO

SCHEMA = json.loads((REPO / "schema" / "export.schema.json").read_text())


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)
