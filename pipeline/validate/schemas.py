"""The JSON Schemas in `schema/` (the single source of truth) and errors a contributor can act on.

Two validators per schema: jsonschema-rs answers "valid?" in a few microseconds on the hot path; only for
a document it rejects does the reference `jsonschema` run, because its errors carry what we need to write
one sentence per problem (keyword, schema, instance, the branches of a oneOf).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from pipeline.catalogue.yamlfile import DocPath
from pipeline.errors import CatalogueError

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
BASE_URI = "https://ml-math-roadmap.example/schema/"
# Document kind -> schema file. common.schema.json only holds shared $defs.
KINDS = {
    "roadmap": "roadmap.schema.json",
    "sections": "sections.schema.json",
    "config": "config.schema.json",
    "resource": "resource.schema.json",
}
_FILES = (*KINDS.values(), "common.schema.json")


@dataclass(frozen=True)
class SchemaIssue:
    """One schema violation, before it is located in a file."""

    path: DocPath  # where in the document
    message: str
    hint: str
    rule: str
    at_key: bool = False  # locate at the key (unknown key) rather than at the value


class SchemaSet:
    """Loaded schemas with a fast and a reference validator for each document kind."""

    def __init__(self, schema_dir: Path = SCHEMA_DIR) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        for name in _FILES:
            try:
                self.documents[BASE_URI + name] = json.loads((schema_dir / name).read_text("utf-8"))
            except (OSError, ValueError) as error:
                raise CatalogueError(f"{schema_dir / name}: cannot load the schema: {error}") from error
        rs_registry = jsonschema_rs.Registry(list(self.documents.items()))
        self._fast = {}
        for kind, name in KINDS.items():
            schema = self.documents[BASE_URI + name]
            self._fast[kind] = jsonschema_rs.validator_for(schema, registry=rs_registry)
        self._reference_validators: dict[str, jsonschema.Draft202012Validator] | None = None

    @property
    def _reference(self) -> dict[str, jsonschema.Draft202012Validator]:
        """The reference validators, built on the first rejected document (a valid catalogue, the usual
        case, never imports jsonschema: 40 ms of start-up)."""
        if self._reference_validators is None:
            import jsonschema
            from referencing import Registry, Resource

            registry: Registry = Registry().with_resources(
                (uri, Resource.from_contents(doc)) for uri, doc in self.documents.items()
            )
            self._reference_validators = {
                kind: jsonschema.Draft202012Validator(self.documents[BASE_URI + name], registry=registry)
                for kind, name in KINDS.items()
            }
        return self._reference_validators

    def is_valid(self, kind: str, data: Any) -> bool:
        return self._fast[kind].is_valid(data)

    def issues(self, kind: str, data: Any) -> list[SchemaIssue]:
        """Every problem of data against the kind's schema, one sentence each (empty when valid)."""
        if self.is_valid(kind, data):
            return []
        out: list[SchemaIssue] = []
        seen: set[tuple[DocPath, str]] = set()
        errors = sorted(
            self._reference[kind].iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
        )
        for error in errors:
            for issue in self._explain(kind, error):
                if (issue.path, issue.message) not in seen:
                    seen.add((issue.path, issue.message))
                    out.append(issue)
        if not out:  # the two validators disagree: say so rather than pass silently
            out.append(SchemaIssue((), "the document does not match its schema", "", "schema"))
        return out

    # -- one sentence per error -------------------------------------------------------------------

    def _explain(self, kind: str, error: ValidationError) -> Iterator[SchemaIssue]:
        path: DocPath = tuple(error.absolute_path)
        keyword = error.validator
        value = error.instance
        rule = f"schema-{keyword}"
        where = _name(path)
        info = self.describe(kind, path)

        if keyword in ("oneOf", "anyOf"):
            yield from self._explain_choice(kind, error, path)
        elif keyword == "additionalProperties" and isinstance(value, dict):
            allowed = list((error.schema.get("properties") or {}).keys())
            for key in value:
                if key in allowed:
                    continue
                yield SchemaIssue(
                    (*path, key),
                    f"unknown key {key!r}" + (f" in {where}" if path else ""),
                    _allowed("allowed keys", allowed, key),
                    "schema-unknown-key",
                    at_key=True,
                )
        elif keyword == "required" and isinstance(value, dict):
            for key in error.validator_value:
                if key not in value:
                    about = self.describe(kind, (*path, key))
                    yield SchemaIssue(
                        path,
                        f"missing required key {key!r}" + (f" in {where}" if path else ""),
                        _description(about) or f"add {key}",
                        "schema-required",
                    )
        elif "propertyNames" in error.relative_schema_path:
            yield SchemaIssue(
                (*path, value),
                f"{value!r} is not allowed as a key of {where}",
                _description(error.schema) or "rename the key",
                "schema-key-name",
                at_key=True,
            )
        elif keyword in ("enum", "const"):
            allowed = error.validator_value if keyword == "enum" else [error.validator_value]
            yield SchemaIssue(
                path,
                f"{value!r} is not a valid {where}"
                if len(path) == 1
                else f"{value!r} is not allowed in {where}",
                _allowed("use one of", allowed, value),
                rule,
            )
        elif keyword == "type":
            expected = error.validator_value
            kinds = expected if isinstance(expected, list) else [expected]
            wanted = " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
            subject = "the file" if not path else where
            if not path:
                hint = "write the document as `key: value` lines (see catalogue/README.md)"
            else:
                hint = _description(info) or ""
            yield SchemaIssue(path, f"{subject} must be {wanted}, not {_type_of(value)}", hint, rule)
        elif keyword == "minLength":
            yield SchemaIssue(path, f"{where} is empty", _description(info) or "write some text", rule)
        elif keyword == "maxLength":
            yield SchemaIssue(
                path,
                f"{where} is {len(value):,} characters long; at most {error.validator_value:,} are allowed",
                "shorten it",
                rule,
            )
        elif keyword == "pattern" and isinstance(value, str):
            message, hint = _explain_pattern(error.schema.get("$anchor"), where, value, error.schema)
            yield SchemaIssue(path, message, hint, rule)
        elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bound = error.validator_value
            relation = {
                "minimum": f"at least {bound}",
                "maximum": f"at most {bound}",
                "exclusiveMinimum": f"more than {bound}",
                "exclusiveMaximum": f"less than {bound}",
            }[keyword]
            yield SchemaIssue(path, f"{where} is {value}; it must be {relation}", _description(info), rule)
        elif keyword in ("minItems", "maxItems", "minProperties", "maxProperties"):
            count = len(value)
            bound = error.validator_value
            noun = "entries" if keyword.endswith("Properties") else "items"
            if count == 0:
                message = f"{where} is empty"
                items = "one item" if bound == 1 else f"{bound} items"
                hint = "remove it or add an entry" if noun == "entries" else f"add at least {items}"
            else:
                limit = "at least" if keyword.startswith("min") else "at most"
                message = f"{where} has {count} {noun}; {limit} {bound} are allowed"
                hint = ""
            yield SchemaIssue(path, message, hint, rule)
        elif keyword == "uniqueItems":
            repeated = sorted({json.dumps(v) for v in value if value.count(v) > 1})
            yield SchemaIssue(
                path, f"{where} lists {', '.join(repeated)} more than once", "keep each item once", rule
            )
        else:  # a keyword our schemas do not use today: the library's own sentence
            yield SchemaIssue(path, error.message, _description(info), rule)

    def _explain_choice(self, kind: str, error: ValidationError, path: DocPath) -> Iterator[SchemaIssue]:
        """oneOf/anyOf: one useful sentence, not every branch's complaint."""
        branches = error.validator_value
        value = error.instance
        # "exactly one of these keys" (a resource's url / awaiting_url)
        if all(set(b) == {"required"} for b in branches):
            if not isinstance(value, dict):
                return  # not a mapping at all: the type error says so

            keys = [k for b in branches for k in b["required"]]
            present = [k for k in keys if k in value]
            if len(present) > 1:
                yield SchemaIssue(
                    (*path, present[-1]),
                    f"{' and '.join(repr(k) for k in present)} cannot both be given",
                    f"keep exactly one of {', '.join(keys)}",
                    "schema-one-of",
                    at_key=True,
                )
            else:
                yield SchemaIssue(
                    path,
                    f"missing required key {keys[0]!r}",
                    f"give {keys[0]}, or say in {', or '.join(keys[1:])} why it is not known yet",
                    "schema-one-of",
                )
            return
        from jsonschema.exceptions import best_match

        best = best_match(error.context) if error.context else None
        if best is None:
            yield SchemaIssue(path, error.message, "", f"schema-{error.validator}")
        else:
            yield from self._explain(kind, best)

    # -- schema lookup ----------------------------------------------------------------------------

    def describe(self, kind: str, path: DocPath) -> dict[str, Any]:
        """The (merged) subschema that governs path, following $ref; {} when unknown."""
        schema: dict[str, Any] = self._resolve(self.documents[BASE_URI + KINDS[kind]], BASE_URI + KINDS[kind])
        base = BASE_URI + KINDS[kind]
        for part in path:
            nxt: Any = None
            if isinstance(part, int):
                nxt = schema.get("items")
            else:
                nxt = (schema.get("properties") or {}).get(part)
                if nxt is None and isinstance(schema.get("additionalProperties"), dict):
                    nxt = schema["additionalProperties"]
            if not isinstance(nxt, dict):
                return {}
            schema = self._resolve(nxt, base)
        return schema

    def _resolve(self, schema: dict[str, Any], base: str) -> dict[str, Any]:
        """Merge a schema with what its $ref points at (the outer title/description win)."""
        merged = dict(schema)
        while "$ref" in merged:
            ref = merged.pop("$ref")
            target_doc, _, pointer = ref.partition("#")
            uri = BASE_URI + target_doc if target_doc else base
            node: Any = self.documents.get(uri, {})
            for token in filter(None, pointer.split("/")):
                node = node.get(token, {}) if isinstance(node, dict) else {}
            base = uri
            merged = {**node, **merged}
        return merged


@cache
def schema_set() -> SchemaSet:
    """The schemas of this checkout, loaded once per process."""
    return SchemaSet()


# -- wording ---------------------------------------------------------------------------------------

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping of keys to values",
    "boolean": "true or false",
    "null": "empty",
}


def _type_of(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}" if not (isinstance(value, float) and math.isnan(value)) else "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _name(path: DocPath) -> str:
    """How a message names the place: "medium", "topics item 3", "sections item 2 > id"."""
    if not path:
        return "the document"
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]} item {part + 1}" if parts else f"item {part + 1}"]
        else:
            parts.append(part)
    return " > ".join(parts)


def _description(schema: dict[str, Any]) -> str:
    text = schema.get("description") or ""
    title = schema.get("title")
    if text and title and not text.lower().startswith(title.lower()):
        return f"{title}: {text}"
    return text


def _closest(value: Any, allowed: list[Any]) -> str | None:
    if not isinstance(value, str):
        value = str(value)
    candidates = [str(a) for a in allowed]
    match = difflib.get_close_matches(value.lower(), candidates, n=1, cutoff=0.5)
    return match[0] if match else None


def _allowed(lead: str, allowed: list[Any], value: Any) -> str:
    hint = f"{lead}: {', '.join(str(a) for a in allowed)}"
    closest = _closest(value, allowed)
    if closest is not None and closest != value:
        hint += f"; did you mean {closest!r}?"
    return hint


_CONTROL_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def _first_control(value: str, allow_newline: bool) -> tuple[int, str] | None:
    for index, char in enumerate(value):
        code = ord(char)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and not (allow_newline and char == "\n"):
            return index, _CONTROL_NAMES.get(char, f"the control character U+{code:04X}")
    return None


def _explain_pattern(anchor: str | None, where: str, value: str, schema: dict[str, Any]) -> tuple[str, str]:
    if anchor == "url":
        return explain_url(where, value)
    if anchor in ("line", "text"):
        found = _first_control(value, allow_newline=anchor == "text")
        if found is not None:
            index, what = found
            if what == "a line break":
                return f"{where} must be a single line but contains a line break", (
                    "write it on one line (or with `>-`, which folds lines into one)"
                )
            return (
                f"{where} contains {what} at character {index + 1}",
                "remove it; text may not hold control characters",
            )
    if anchor in ("id", "topic"):
        return explain_id(where, value)
    if anchor == "date":
        return f"{where} {value!r} is not a date written YYYY-MM-DD", "write the day as e.g. 2026-11-25"
    return f"{where} {value!r} is not in the expected form", _description(
        schema
    ) or f"it must match {schema.get('pattern')}"


def explain_url(where: str, value: str) -> tuple[str, str]:
    """Why value is not an acceptable catalogue URL, in one sentence and a fix."""
    allowed = "only http:// and https:// addresses are allowed"
    scheme, sep, rest = value.partition(":")
    if not sep or not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return f"{where} {value!r} is not a web address", f"{allowed}, e.g. https://example.org/page"
    if scheme.lower() not in ("http", "https"):
        return f"{where} uses the {scheme.lower()}: scheme", allowed
    if scheme not in ("http", "https"):
        return f"{where} has an upper-case scheme {scheme}:", f"write it in lower case: {scheme.lower()}://"
    if not rest.startswith("//") or len(rest) == 2:
        return f"{where} {value!r} has no host", "write the full address, e.g. https://example.org/page"
    authority = rest[2:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        return (
            f"{where} contains a user name or password (the part before '@')",
            "remove it: catalogue URLs are public and never carry credentials",
        )
    found = _first_control(value, allow_newline=False)
    if found is not None:
        return f"{where} contains {found[1]} at character {found[0] + 1}", "remove it"
    if any(c.isspace() for c in value):
        return f"{where} contains a space", "encode spaces as %20 or remove them"
    if "\\" in authority:
        return f"{where} has a backslash in its host", "use forward slashes"
    if not authority:
        return f"{where} {value!r} has no host", "write the full address, e.g. https://example.org/page"
    return f"{where} {value!r} is not an acceptable web address", allowed


def explain_id(where: str, value: str) -> tuple[str, str]:
    suggestion = "-".join(
        filter(None, "".join(c if c.isascii() and c.isalnum() else "-" for c in value.lower()).split("-"))
    )
    example = suggestion if suggestion and suggestion != value else "essence-of-linear-algebra"
    return (
        f"{where} {value!r} must be lower-case letters and digits in words joined by single hyphens",
        f"e.g. {example!r}",
    )
