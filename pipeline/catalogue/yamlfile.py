"""Read one catalogue YAML file safely: bytes -> checked text (filebytes) -> plain data (+ line/column marks
on demand).

Why not `yaml.safe_load`: it reads YAML 1.1 (`no` becomes False, `2026-11-25` a date), follows aliases
(a small "billion laughs" file expands into gigabytes), silently keeps the last of two duplicate keys and
recurses once per nesting level. `StrictLoader` drives libyaml's event stream itself (no recursion, no
Python objects ever constructed from tags) and refuses each of those with a `LoadError` that names the
line and column. The caller turns a `LoadError` into a reported problem; nothing here raises past
`load_yaml_file`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)

from pipeline.catalogue.filebytes import MAX_FILE_BYTES, LoadError, decode_text, position, read_file_bytes

try:  # the C parser is ~4x faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

# Catalogue documents nest at most 4 levels (config: domains -> host -> status_overrides -> code).
MAX_DEPTH = 16

# A path inside a document: keys and list indexes from the root, e.g. ("sections", 2, "id").
DocPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_MAP_TAG = _TAG + "map"
_SEQ_TAG = _TAG + "seq"
# A container start: the only explicit tag it may carry, what to call it in the hint, its empty value.
_MAPPING = (_MAP_TAG, "mapping", dict)
_SEQUENCE = (_SEQ_TAG, "list", list)

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), nothing from 1.1.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT10 = re.compile(r"[-+]?[0-9]+\Z")
_INT8 = re.compile(r"0o[0-7]+\Z")
_INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = frozenset({".nan", ".NaN", ".NAN"})
# A plain scalar can only be something other than text if it starts with one of these.
_SPECIAL_START = frozenset("0123456789+-.~nNtTfF")
_WORD_START = frozenset("nNtTfF")  # null, true, false (above) or text


@dataclass
class Marks:
    """Where each value (and each mapping key) starts in the file, 1-based, by document path."""

    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: DocPath) -> tuple[int, int] | None:
        """The nearest marked value at or above path (a missing key points at its mapping)."""
        while True:
            if path in self.values:
                return self.values[path]
            if not path:
                return None
            path = path[:-1]

    def of_key(self, path: DocPath) -> tuple[int, int] | None:
        return self.keys.get(path) or self.of_value(path)


@dataclass(frozen=True)
class Loaded:
    """One file's outcome: data when it parsed, otherwise error; marks only when asked for."""

    path: Path
    data: Any = None
    error: LoadError | None = None
    marks: Marks | None = None


class _Refused(Exception):
    """Internal: a construct the catalogue never allows (alias, tag, duplicate key, ...)."""

    def __init__(self, error: LoadError) -> None:
        super().__init__(error.message)
        self.error = error


def _at(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _refuse(mark: Any, message: str, hint: str, rule: str) -> _Refused:
    line, column = _at(mark)
    return _Refused(LoadError(message, hint, rule, line, column))


def _resolve_plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if value and value[0] not in _SPECIAL_START:
        return value
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value[0] in _WORD_START:  # a word such as "title" or "topics": no number starts with a letter
        return value
    if _INT10.match(value):
        return int(value, 10)
    if _INT8.match(value):
        return int(value[2:], 8)
    if _INT16.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value[0] == "-" else float("inf")
    if value in _NAN:
        return float("nan")
    return value


def _scalar(event: ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        # plain -> resolve; quoted, literal or folded -> text
        return _resolve_plain(event.value) if event.implicit[0] else event.value
    if tag not in _SCALAR_TAGS:
        raise _refuse(
            event.start_mark,
            f"the tag {tag.replace(_TAG, '!!')!r} is not allowed",
            "write plain values (text, numbers, true/false, lists, mappings) without a '!' tag",
            "yaml-tag",
        )
    value = _resolve_plain(event.value)
    kind = tag[len(_TAG) :]
    if kind == "str":
        return event.value
    expected = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[kind]
    if (isinstance(value, bool) and kind != "bool") or not isinstance(value, expected):
        raise _refuse(
            event.start_mark,
            f"{event.value!r} is not a valid !!{kind}",
            "remove the tag or write a value of that type",
            "yaml-tag",
        )
    return float(value) if kind == "float" else value


def _anchor_refused(event: Any) -> _Refused:
    return _refuse(
        event.start_mark,
        f"the anchor '&{event.anchor}' is not allowed",
        "remove the anchor and write each value out in full",
        "yaml-alias",
    )


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's parser with our own data builder on top of its events (see the module docstring).

    `yaml.load(text, Loader=StrictLoader)` works too and raises `StrictLoader.Refused` for what we refuse.
    """

    Refused = _Refused

    def build(self, marks: Marks | None = None) -> Any:
        """The single document of the stream as plain data; records marks when given a Marks.

        The loop runs once per event of every catalogue file, so the usual cases come first and cost a
        few attribute reads: a plain or quoted scalar without tag or anchor, a key not seen before.
        """
        get = self.get_event
        get()  # StreamStartEvent
        event = get()
        if isinstance(event, StreamEndEvent):
            return _EMPTY
        assert isinstance(event, DocumentStartEvent)
        root: Any = _EMPTY
        # Frames: [container, path, pending key or _NOKEY, key mark, first-seen key marks]
        stack: list[list[Any]] = []
        record = marks is not None
        special = _SPECIAL_START
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None:
                    raise _anchor_refused(event)
                if event.tag is None:
                    value: Any = event.value
                    # plain -> resolved (when it could be other than text); quoted or block -> text
                    if event.implicit[0] and (not value or value[0] in special):
                        value = _resolve_plain(value)
                else:
                    value = _scalar(event)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                stack.pop()
                continue
            elif kind is DocumentEndEvent:
                break
            elif kind is AliasEvent:
                raise _refuse(
                    event.start_mark,
                    f"the alias '*{event.anchor}' is not allowed",
                    "write the value out in full; anchors and aliases are refused (they can expand "
                    "a small file into gigabytes)",
                    "yaml-alias",
                )
            else:
                if event.anchor is not None:
                    raise _anchor_refused(event)
                tag, plain, empty = _MAPPING if kind is MappingStartEvent else _SEQUENCE
                if event.tag not in (None, "!", tag):
                    raise _refuse(
                        event.start_mark,
                        f"the tag {event.tag.replace(_TAG, '!!')!r} is not allowed",
                        f"write a plain {plain} without a '!' tag",
                        "yaml-tag",
                    )
                value = empty()
            if not stack:
                root = value
                path: DocPath = ()
            else:
                frame = stack[-1]
                container = frame[0]
                if type(container) is dict:
                    key = frame[2]
                    if key is _NOKEY:
                        seen = frame[4]
                        if type(value) is str and value not in seen:
                            seen[value] = event.start_mark
                            frame[2] = value
                        else:
                            frame[2] = self._key(value, event, frame)
                        if record:
                            frame[3] = event.start_mark
                        continue
                    container[key] = value
                    frame[2] = _NOKEY
                    if record:
                        path = (*frame[1], key)
                        marks.keys[path] = _at(frame[3])  # type: ignore[union-attr]
                else:
                    if record:
                        path = (*frame[1], len(container))
                    container.append(value)
            if record:
                marks.values[path] = _at(event.start_mark)  # type: ignore[union-attr]
            if kind is not ScalarEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _refuse(event.start_mark, _DEEP, _DEEP_HINT, "yaml-depth")
                stack.append([value, path if record else (), _NOKEY, None, {}])
        if not isinstance(get(), StreamEndEvent):
            raise _refuse(
                event.end_mark,
                "the file holds more than one YAML document",
                "keep one document per file: remove the '---' separator and what follows it",
                "yaml-multiple-documents",
            )
        return root

    @staticmethod
    def _key(value: Any, event: Any, frame: list[Any]) -> str:
        if type(value) is int:  # e.g. status_overrides: {403: blocked}
            value = str(value)
        if not isinstance(value, str):
            raise _refuse(
                event.start_mark,
                "a mapping key must be plain text",
                "use a word as the key (quote it if it looks like a number, true/false or null)",
                "yaml-key",
            )
        seen: dict[str, Any] = frame[4]
        if value in seen:
            first_line, _ = _at(seen[value])
            raise _refuse(
                event.start_mark,
                f"the key {value!r} appears twice in the same mapping (first on line {first_line})",
                "keep one of them; YAML would otherwise silently use the last",
                "yaml-duplicate-key",
            )
        seen[value] = event.start_mark
        return value

    def get_single_data(self) -> Any:  # used by yaml.load(..., Loader=StrictLoader)
        data = self.build()
        return None if data is _EMPTY else data


_NOKEY = object()
_DEEP = f"the document nests deeper than {MAX_DEPTH} levels"
_DEEP_HINT = "catalogue files need only a few levels of nesting; flatten this part"
_EMPTY = object()  # the stream holds no document at all (empty file or only comments)


def parse_yaml_text(text: str, with_marks: bool = False) -> tuple[Any, LoadError | None, Marks | None]:
    """Text -> (data, error, marks). Data is `EMPTY` for a file without a document."""
    marks = Marks() if with_marks else None
    loader = StrictLoader(text)
    try:
        return loader.build(marks), None, marks
    except _Refused as refused:
        return None, refused.error, marks
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = _at(mark) if mark is not None else (None, None)
        what = error.problem or "cannot be parsed"
        if "nesting depth" in what:  # libyaml's own bound (1000 levels) hit before ours
            return None, LoadError(_DEEP, _DEEP_HINT, "yaml-depth", line, column), marks
        context = f" ({error.context})" if error.context else ""
        if "tab character" in what:
            return (
                None,
                LoadError(
                    f"invalid YAML: {what}{context}",
                    "indent with spaces: YAML does not allow tab characters in indentation",
                    "yaml-syntax",
                    line,
                    column,
                ),
                marks,
            )
        return (
            None,
            LoadError(
                f"invalid YAML: {what}{context}",
                "check the indentation and quoting here (a ':' or '#' inside text needs quotes)",
                "yaml-syntax",
                line,
                column,
            ),
            marks,
        )
    except yaml.reader.ReaderError as error:
        line, column = position(text, error.position)
        return (
            None,
            LoadError(
                f"the file contains the control character U+{error.character:04X}, which YAML does not allow",
                "remove it (it is often an invisible paste artefact)",
                "control-character",
                line,
                column,
            ),
            marks,
        )
    except yaml.YAMLError as error:  # pragma: no cover - libyaml errors are MarkedYAMLErrors
        return None, LoadError(f"invalid YAML: {error}", "", "yaml-syntax"), marks
    finally:
        loader.dispose()


EMPTY = _EMPTY


def load_yaml_file(path: Path, with_marks: bool = False, max_bytes: int = MAX_FILE_BYTES) -> Loaded:
    """Read and parse one file; every failure comes back as `Loaded.error`, never as an exception."""
    raw, error = read_file_bytes(path, max_bytes)
    if raw is None:
        return Loaded(path, error=error)
    text, error = decode_text(raw)
    if error is not None:
        return Loaded(path, error=error)
    assert text is not None
    if not text.strip():
        return Loaded(
            path,
            error=LoadError(
                "the file is empty",
                "write the document this file should hold (see catalogue/README.md)",
                "empty",
                1,
                1,
            ),
        )
    data, error, marks = parse_yaml_text(text, with_marks)
    if error is None and data is _EMPTY:
        error = LoadError(
            "the file holds only comments, no document",
            "write the document this file should hold (see catalogue/README.md)",
            "empty",
            1,
            1,
        )
    if error is not None:
        return Loaded(path, error=error, marks=marks)
    return Loaded(path, data=data, marks=marks)
