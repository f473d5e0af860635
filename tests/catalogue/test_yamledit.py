"""The surgical YAML edit: only the bytes of the edited value change, in any layout; or a clear refusal."""

from __future__ import annotations

import pytest
import yaml

from pipeline.catalogue.yamledit import EditRefused, edit_values, render_scalar, replace_url
from pipeline.catalogue.yamlfile import parse_yaml_text

OLD = "https://old.example.org/course"
NEW = "https://new.example.org/course/v2?lang=en"


def _changed_only(before: str, after: str, old: str, new: str) -> None:
    """after is before with exactly one occurrence of old replaced by new (same position)."""
    at = before.index(old)
    assert after == before[:at] + new + before[at + len(old) :]


@pytest.mark.parametrize(
    ("text", "new_text"),
    [
        ("url: {}\n", NEW),
        ("url: {}\n", f"'{NEW}'"),
        ("url: {}\n", f'"{NEW}"'),
        ("url: >-\n  {}\n", NEW),
        ("url: |-\n      {}\n", NEW),
        ("url: >2-\n  {}\nid: x\n", NEW),
        ("{{id: x, url: {}}}\n", NEW),
        ("{{id: x, url: {} }}", NEW),
        ("id: x\nurl:\n  {}\n", NEW),
        ("  id: x\n  url:    {}    # moved?\n  tags:\n    - a\n", NEW),
        ("id: x\r\nurl: {}\r\n# end\r\n", NEW),
        ("\ufeffid: x\nurl: {}\n", f"'{NEW}'"),
        ("id: é\ntitle: «ü»\nurl: {}\n", NEW),
        ("url: {}", NEW),
        ("[not, this]: 1\nurl: {}\n", NEW),
    ],
    ids=[
        "plain",
        "single",
        "double",
        "folded",
        "literal",
        "indent-indicator",
        "flow-map",
        "flow-map-no-newline",
        "value-on-next-line",
        "indented-root-comment",
        "crlf",
        "bom",
        "non-ascii-before",
        "no-final-newline",
        "complex-key-elsewhere",
    ],
)
def test_replaces_only_the_value(text: str, new_text: str) -> None:
    quote = new_text[0] if new_text[0] in "'\"" else ""
    before = text.format(f"{quote}{OLD}{quote}")
    if before.startswith("[not"):
        with pytest.raises(EditRefused, match="does not load"):  # our loader allows text keys only
            replace_url(before, OLD, NEW)
        return
    after = replace_url(before, OLD, NEW)
    _changed_only(before, after, f"{quote}{OLD}{quote}", new_text)


@pytest.mark.parametrize(
    ("value", "style", "flow", "expected"),
    [
        ("https://a.org/x", None, False, "https://a.org/x"),
        ("https://a.org/x", "", False, "https://a.org/x"),
        ("https://a.org/x?a=b,c", None, True, '"https://a.org/x?a=b,c"'),
        ("https://a.org/x?a=b,c", None, False, "https://a.org/x?a=b,c"),
        ("https://a.org/x #y", None, False, '"https://a.org/x #y"'),
        ("key: value", None, False, '"key: value"'),
        ("- a", None, False, '"- a"'),
        ("true", None, False, '"true"'),
        ("12", None, False, '"12"'),
        ("it's", "'", False, "'it''s'"),
        ('say "x" \\ y', '"', False, '"say \\"x\\" \\\\ y"'),
        ("tab\there", '"', False, '"tab\\there"'),
        ("bell\x07", "'", False, '"bell\\x07"'),
    ],
)
def test_render_scalar_reads_back_as_the_same_text(
    value: str, style: str | None, flow: bool, expected: str
) -> None:
    rendered = render_scalar(value, style, flow=flow)
    assert rendered == expected
    document = f"{{k: {rendered}}}" if flow else f"k: {rendered}\n"
    assert yaml.safe_load(document) == {"k": value}
    assert parse_yaml_text(document)[0] == {"k": value}


def test_plain_value_that_would_not_stay_plain_becomes_double_quoted() -> None:
    text = "{id: x, url: https://old.example.org/}\n"
    after = replace_url(text, "https://old.example.org/", "https://new.example.org/?a=1,2")
    assert after == '{id: x, url: "https://new.example.org/?a=1,2"}\n'


def test_a_new_key_is_added_after_url_in_the_same_layout() -> None:
    text = "id: x\r\nurl: https://old.example.org/  # was here\r\ntitle: T\r\n"
    after = edit_values(
        text, {"url": "https://web.archive.org/web/1/x", "archived_from": "https://old.example.org/"}
    )
    assert after == (
        "id: x\r\nurl: https://web.archive.org/web/1/x  # was here\r\n"
        "archived_from: https://old.example.org/\r\ntitle: T\r\n"
    )
    flow = edit_values(
        "{id: x, url: 'https://o.org/'}", {"url": "https://n.org/", "archived_from": "https://o.org/"}
    )
    assert flow == "{id: x, url: 'https://n.org/', archived_from: https://o.org/}"
    block = edit_values(
        "  id: x\n  url: >-\n    https://o.org/\n\n  z: 1\n", {"archived_from": "https://o.org/"}
    )
    assert block == "  id: x\n  url: >-\n    https://o.org/\n  archived_from: https://o.org/\n\n  z: 1\n"


def test_an_existing_key_is_replaced_in_place() -> None:
    text = "url: https://b.org/\narchived_from: 'https://a.org/'\n"
    assert (
        edit_values(text, {"archived_from": "https://c.org/"})
        == "url: https://b.org/\narchived_from: 'https://c.org/'\n"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id: x\nurl: https://elsewhere.org/\n", "its url is no longer https://old.example.org/course"),
        ("id: x\n", "its url is no longer"),
        ("- a\n- b\n", "its document is not a mapping"),
        ("url: [https://old.example.org/course]\n", "its url is no longer"),
        ("url: &a https://old.example.org/course\n", "does not load: the anchor '&a' is not allowed"),
        ("url: >-\n  https://old.example.org/\n  course\n", "its url is no longer"),
        ("id: x\nurl: https://old.example.org/course\nurl: y\n", "does not load"),
        ("id: [unclosed\n", "does not load"),
    ],
    ids=[
        "edited since",
        "no url",
        "not a mapping",
        "url is a list",
        "anchor",
        "multi-line",
        "duplicate",
        "broken",
    ],
)
def test_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(EditRefused, match=reason.replace("?", r"\?").replace("[", r"\[")):
        replace_url(text, OLD, NEW)


def test_refuses_a_block_scalar_that_cannot_hold_the_new_value() -> None:
    with pytest.raises(EditRefused, match="same one-line block scalar"):
        replace_url(f"url: >-\n  {OLD}\n", OLD, "two\nlines")


def test_refuses_when_the_result_would_not_load_the_same() -> None:
    # A literal block with clip chomping keeps a final newline: the block cannot hold the URL alone.
    text = f"url: |\n  {OLD}\n"
    with pytest.raises(EditRefused, match="would not load as the original with only the new values"):
        edit_values(text, {"url": NEW}, expect={"url": OLD + "\n"})
