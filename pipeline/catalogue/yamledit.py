"""Surgical edits of one catalogue file: change a top-level value by replacing only its bytes.

Re-emitting a document (even with a round-trip library) reformats what it does not understand and then
has to refuse the edit. Here the value is located by its source position instead: PyYAML's composer
gives each node the character offsets where it starts and ends, and exactly those characters are
replaced by the new value written in the same style (plain stays plain when the new text is safe as a
plain scalar, otherwise it becomes double-quoted; quoted values keep their quotes with proper escaping;
a folded or literal block keeps its header and indentation). Everything else in the file (comments,
indentation, flow or block collections, CRLF line ends, a byte order mark) is untouched.

Every edit is verified: the result must load, with the catalogue's own loader, as the original document
with only the edited keys changed. Otherwise `EditRefused` says why, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from pipeline.catalogue.yamlfile import EMPTY, parse_yaml_text

try:  # the C composer is faster; both give character offsets into the text (without a BOM)
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_BOM = "\ufeff"
# Characters that may not start a plain scalar (YAML 1.2 c-indicator), and ones a flow context ends at.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_INDICATORS = frozenset(",[]{}")


class EditRefused(ValueError):
    """The file cannot be edited in place; the message (one line) says why."""


def _compose(body: str) -> MappingNode:
    try:
        root = yaml.compose(body, Loader=_Loader)
    except yaml.YAMLError as error:
        raise EditRefused(f"it is not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(root, MappingNode):
        raise EditRefused("its document is not a mapping")
    return root


def _entry(root: MappingNode, key: str) -> tuple[ScalarNode, Any] | None:
    found = [(k, v) for k, v in root.value if isinstance(k, ScalarNode) and k.value == key]
    if len(found) > 1:
        raise EditRefused(f"the key {key!r} appears more than once")
    return found[0] if found else None


def _in_flow(root: MappingNode, body: str) -> bool:
    return bool(root.flow_style) or body[root.start_mark.index : root.start_mark.index + 1] == "{"


def _plain_is_safe(value: str, flow: bool) -> bool:
    """Whether value, written plain, reads back as exactly this text (conservatively)."""
    if not value or value != value.strip() or value[0] in _INDICATORS:
        return False
    if any(c in value for c in "\n\r\t\x85\u2028\u2029") or not value.isprintable():
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if flow and any(c in _FLOW_INDICATORS for c in value):
        return False
    # Only text: a URL never resolves to a number, boolean or null, but a replacement value might.
    try:
        resolved = yaml.compose(value, Loader=_Loader)
    except yaml.YAMLError:
        return False
    return isinstance(resolved, ScalarNode) and resolved.tag == "tag:yaml.org,2002:str"


def double_quoted(value: str) -> str:
    out = []
    for c in value:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif not c.isprintable() or c in "\x85\u2028\u2029\ufeff":
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def single_quoted(value: str) -> str:
    if not value.isprintable():
        return double_quoted(value)
    return "'" + value.replace("'", "''") + "'"


def render_scalar(value: str, style: str | None, *, flow: bool = False) -> str:
    """value written in the given scalar style (None or '' plain, "'" or '"'), safely."""
    if style == "'":
        return single_quoted(value)
    if style == '"':
        return double_quoted(value)
    return value if _plain_is_safe(value, flow) else double_quoted(value)


def _replace_block(body: str, node: ScalarNode, value: str) -> str:
    """A folded/literal block: keep the header line and the content's indentation, swap the content."""
    if "\n" in value or value != value.strip() or not value.isprintable():
        raise EditRefused("the new value cannot be written as the same one-line block scalar")
    start, end = node.start_mark.index, node.end_mark.index
    header_end = body.find("\n", start, end)
    if header_end < 0:
        raise EditRefused("its block scalar has no content line")
    region = body[header_end + 1 : end]
    first = len(region) - len(region.lstrip(" \t\r\n"))
    last = len(region.rstrip(" \t\r\n"))
    if last <= first:
        raise EditRefused("its block scalar is empty")
    content = region[first:last]
    if "\n" in content:
        raise EditRefused("its block scalar spans several lines")
    at = header_end + 1
    return body[: at + first] + value + body[at + last :]


def _replace_value(body: str, root: MappingNode, key: str, value: str) -> str:
    found = _entry(root, key)
    if found is None:
        raise EditRefused(f"it has no {key!r} key")
    _, node = found
    if not isinstance(node, ScalarNode):
        raise EditRefused(f"its {key!r} is not a single value")
    if node.style in ("|", ">"):
        return _replace_block(body, node, value)
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("'", '"') and not (body[start] == body[end - 1] == node.style):
        raise EditRefused(f"the position of its {key!r} value could not be located")  # pragma: no cover
    return body[:start] + render_scalar(value, node.style, flow=_in_flow(root, body)) + body[end:]


def _newline(body: str) -> str:
    return "\r\n" if "\r\n" in body else "\n"


def _insert_after(body: str, root: MappingNode, anchor: str, key: str, value: str) -> str:
    """A new `key: value` entry right after the anchor key's entry, in the mapping's own layout."""
    found = _entry(root, anchor)
    if found is None:
        raise EditRefused(f"it has no {anchor!r} key")
    anchor_key, node = found
    if _in_flow(root, body):
        at = node.end_mark.index
        return body[:at] + f", {key}: " + render_scalar(value, None, flow=True) + body[at:]
    newline = _newline(body)
    entry = " " * anchor_key.start_mark.column + f"{key}: " + render_scalar(value, None)
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        # A block scalar ends after its trailing line breaks: insert right after its last content line.
        region = body[node.start_mark.index : node.end_mark.index]
        line_end = body.find("\n", node.start_mark.index + len(region.rstrip(" \t\r\n")))
    else:
        line_end = body.find("\n", node.end_mark.index)  # after a trailing comment, if any
    if line_end < 0:
        return body + newline + entry + newline
    return body[: line_end + 1] + entry + newline + body[line_end + 1 :]


def _load(body: str) -> dict[str, Any]:
    data, error, _ = parse_yaml_text(body)
    if error is not None:
        raise EditRefused(f"it does not load: {error.message}")
    if data is EMPTY or not isinstance(data, dict):
        raise EditRefused("its document is not a mapping")
    return data


def edit_values(
    text: str,
    updates: Mapping[str, str],
    *,
    expect: Mapping[str, Any] | None = None,
    insert_after: str = "url",
) -> str:
    """text with each top-level key of updates set to its value, every other character unchanged.

    A key already present has its value's characters replaced (same style); a missing one is added as a
    new entry right after `insert_after`. expect: values the document must have before the edit (the
    file may have been edited since the data was read). Raises EditRefused with a one-line reason.
    """
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom) :]
    before = _load(body)
    for key, wanted in (expect or {}).items():
        if before.get(key) != wanted:
            raise EditRefused(f"its {key} is no longer {wanted}")
    for key, value in updates.items():
        root = _compose(body)
        if _entry(root, key) is not None:
            body = _replace_value(body, root, key, value)
        else:
            body = _insert_after(body, root, insert_after, key, value)
    after = _load(body)
    if after != {**before, **updates}:
        raise EditRefused("the edited file would not load as the original with only the new values")
    return bom + body


def replace_url(text: str, old_url: str, new_url: str) -> str:
    """text with the top-level `url` changed from old_url to new_url and nothing else."""
    return edit_values(text, {"url": new_url}, expect={"url": old_url})
