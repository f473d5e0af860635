# ruff: noqa: E501  (expected lines are what a user sees, kept whole to be searchable)
"""Hostile or broken files: one clear line naming the file, exit 1, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.validate.fixtures import Catalogue, Run, resource_text

R = "catalogue/resources"

HOSTILE = [
    pytest.param(
        "bad-yaml.yaml",
        "id: bad-yaml\ntitle: a: b\n",
        f"{R}/bad-yaml.yaml:2:9: invalid YAML: mapping values are not allowed in this context — check the "
        "indentation and quoting here (a ':' or '#' inside text needs quotes)",
        id="malformed-yaml",
    ),
    pytest.param(
        "bomb.yaml",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(
            f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        f"{R}/bomb.yaml:1:4: the anchor '&a' is not allowed — remove the anchor and write each value out in full",
        id="alias-bomb",
    ),
    pytest.param(
        "alias.yaml",
        "title: *nowhere\n",
        f"{R}/alias.yaml:1:8: the alias '*nowhere' is not allowed — write the value out in full; anchors and "
        "aliases are refused (they can expand a small file into gigabytes)",
        id="bare-alias",
    ),
    pytest.param(
        "deep.yaml",
        "a: " + "[" * 200 + "]" * 200 + "\n",
        f"{R}/deep.yaml:1:19: the document nests deeper than 16 levels — catalogue files need only a few levels "
        "of nesting; flatten this part",
        id="deep-nesting",
    ),
    pytest.param(
        "deeper.yaml",
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        f"{R}/deeper.yaml:1:1003: the document nests deeper than 16 levels — catalogue files need only a few "
        "levels of nesting; flatten this part",
        id="very-deep-nesting",
    ),
    pytest.param(
        "dup-key.yaml",
        "id: dup-key\nid: dup-key\n",
        f"{R}/dup-key.yaml:2:1: the key 'id' appears twice in the same mapping (first on line 1) — keep one of "
        "them; YAML would otherwise silently use the last",
        id="duplicate-key",
    ),
    pytest.param(
        "two-docs.yaml",
        "id: a\n---\nid: b\n",
        f"{R}/two-docs.yaml:2:1: the file holds more than one YAML document — keep one document per file: "
        "remove the '---' separator and what follows it",
        id="two-documents",
    ),
    pytest.param(
        "junk.yaml",
        bytes(range(256)) * 4,
        f"{R}/junk.yaml:1:1: the file contains NUL bytes: it is binary, not YAML text — replace it with a "
        "UTF-8 text file in the catalogue's YAML format",
        id="binary-junk",
    ),
    pytest.param(
        "latin.yaml",
        "id: latin\ntitle: Caf\u00e9 math\n".encode("latin-1"),
        f"{R}/latin.yaml:2:11: the file is not valid UTF-8 (byte 0xe9 cannot start or continue a character) — "
        "save it as UTF-8; it is probably Latin-1 or Windows-1252, re-encode it (e.g. `iconv -f latin1 -t utf-8`)",
        id="latin-1",
    ),
    pytest.param(
        "utf16.yaml",
        "id: utf16\n".encode("utf-16"),
        f"{R}/utf16.yaml:1:1: the file is encoded as UTF-16 — save it as UTF-8 (without a byte order mark)",
        id="utf-16-bom",
    ),
    pytest.param(
        "utf16le.yaml",
        "id: utf16le\n".encode("utf-16-le"),
        f"{R}/utf16le.yaml:1:2: the file looks UTF-16 encoded (NUL bytes between the letters) — save it as UTF-8",
        id="utf-16-no-bom",
    ),
    pytest.param(
        "control.yaml",
        "id: control\ntitle: bell\x07\n",
        f"{R}/control.yaml:2:12: the file contains the control character U+0007, which YAML does not allow — "
        "remove it (it is often an invisible paste artefact)",
        id="control-character",
    ),
    pytest.param(
        "empty.yaml",
        b"",
        f"{R}/empty.yaml:1:1: the file is empty — write the document this file should hold (see catalogue/README.md)",
        id="empty-file",
    ),
    pytest.param(
        "blank.yaml",
        "\n   \n",
        f"{R}/blank.yaml:1:1: the file is empty — write the document this file should hold (see catalogue/README.md)",
        id="whitespace-only",
    ),
    pytest.param(
        "comments.yaml",
        "# nothing here yet\n",
        f"{R}/comments.yaml:1:1: the file holds only comments, no document — write the document this file should "
        "hold (see catalogue/README.md)",
        id="comments-only",
    ),
    pytest.param(
        "list.yaml",
        "- id: list\n",
        f"{R}/list.yaml:1:1: the file must be a mapping of keys to values, not a list — write the document as "
        "`key: value` lines (see catalogue/README.md)",
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), HOSTILE)
def test_hostile_file_gives_one_clear_line(
    catalogue: Catalogue, cli: Run, name: str, content: str | bytes, expected: str
) -> None:
    catalogue.write(f"resources/{name}", content.encode() if isinstance(content, str) else content)
    code, out, err = cli("validate")
    assert (code, err) == (1, "")
    assert out.splitlines() == [expected, "1 problem in 1 file"]


URLS = [
    (
        "javascript:alert(1)",
        "url uses the javascript: scheme — only http:// and https:// addresses are allowed",
    ),
    ("file:///etc/passwd", "url uses the file: scheme — only http:// and https:// addresses are allowed"),
    (
        "ftp://example.org/notes.pdf",
        "url uses the ftp: scheme — only http:// and https:// addresses are allowed",
    ),
    (
        "'data:text/html,<b>hi</b>'",
        "url uses the data: scheme — only http:// and https:// addresses are allowed",
    ),
    (
        "https://user:secret@example.org/x",
        "url contains a user name or password (the part before '@') — remove it: catalogue URLs are public "
        "and never carry credentials",
    ),
    (
        "https://token@example.org/x",
        "url contains a user name or password (the part before '@') — remove it: "
        "catalogue URLs are public and never carry credentials",
    ),
    ("https://example.org/a b", "url contains a space — encode spaces as %20 or remove them"),
    (
        "example.org/page",
        "url 'example.org/page' is not a web address — only http:// and https:// addresses are "
        "allowed, e.g. https://example.org/page",
    ),
    ("https://", "url 'https://' has no host — write the full address, e.g. https://example.org/page"),
    (
        "https://example.org/" + "a" * 2100,
        "url is 2,120 characters long; at most 2,048 are allowed — shorten it",
    ),
]


@pytest.mark.parametrize(("url", "message"), URLS, ids=[u[:20] for u, _ in URLS])
def test_refused_urls(catalogue: Catalogue, cli: Run, url: str, message: str) -> None:
    catalogue.resource("bad-url", url=url, position=30)
    code, out, err = cli("validate")
    assert (code, err) == (1, "")
    assert out.splitlines() == [f"{R}/bad-url.yaml:3:6: {message}", "1 problem in 1 file"]


def test_python_tag_is_never_executed(catalogue: Catalogue, cli: Run, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    catalogue.write(
        "resources/pwn.yaml",
        f"id: !!python/object/apply:os.system ['touch {marker}']\n"
        f"title: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]\n",
    )
    code, out, _ = cli("validate")
    assert code == 1
    assert out.splitlines() == [
        f"{R}/pwn.yaml:1:5: the tag '!!python/object/apply:os.system' is not allowed — write a plain list "
        "without a '!' tag",
        "1 problem in 1 file",
    ]
    assert not marker.exists()


def test_python_tag_on_a_scalar(catalogue: Catalogue, cli: Run) -> None:
    catalogue.write("resources/name.yaml", "id: !!python/name:os.system\n")
    _, out, _ = cli("validate")
    assert out.splitlines()[0] == (
        f"{R}/name.yaml:1:5: the tag '!!python/name:os.system' is not allowed — write plain values "
        "(text, numbers, true/false, lists, mappings) without a '!' tag"
    )


def test_file_of_tens_of_megabytes_is_not_read(
    catalogue: Catalogue, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = catalogue.write("resources/big.yaml", b"")
    with open(big, "wb") as handle:  # sparse: 30 MB on the size, nothing on disk
        handle.truncate(30 * 1024 * 1024)
    opened: list[str] = []
    real_open = open

    def spy(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    code, out, _ = cli("validate")
    assert code == 1
    assert out.splitlines() == [
        f"{R}/big.yaml: the file is 31,457,280 bytes; at most 1,048,576 are allowed — a catalogue file holds "
        "one small document; this is not one",
        "1 problem in 1 file",
    ]
    assert not any(name.endswith("big.yaml") for name in opened)


def test_every_broken_file_is_reported_in_one_run(catalogue: Catalogue, cli: Run) -> None:
    catalogue.write("resources/empty.yaml", b"")
    catalogue.resource("js", url="javascript:alert(1)", position=30)
    catalogue.write(
        "resources/typo.yaml",
        resource_text("typo", position=40).replace("medium: video-series", "medium: vidoe"),
    )
    catalogue.write("sections.yaml", "sections: []\n")
    code, out, _ = cli("validate")
    assert code == 1
    assert out.splitlines() == [
        f"{R}/empty.yaml:1:1: the file is empty — write the document this file should hold (see catalogue/README.md)",
        f"{R}/js.yaml:3:6: url uses the javascript: scheme — only http:// and https:// addresses are allowed",
        f"{R}/typo.yaml:8:9: 'vidoe' is not a valid medium — use one of: video-series, video, interactive, course, "
        "book, paper, article, lecture-notes, code, dataset, cheatsheet, website, tool; did you mean 'video'?",
        "catalogue/sections.yaml:1:11: sections is empty — add at least one item",
        "4 problems in 4 files",
    ]


def test_yaml_12_scalars_no_stays_text(catalogue: Catalogue, cli: Run) -> None:
    """`no`, `on` and dates are text under YAML 1.2; a title of `no` is valid, `yes` is not a boolean."""
    catalogue.write(
        "resources/immersive-math.yaml",
        resource_text("immersive-math", position=20).replace('title: "Resource immersive-math"', "title: no"),
    )
    code, out, _ = cli("validate")
    assert (code, out) == (0, "catalogue/: 3 resources in 2 sections, valid\n")


def test_tab_indentation_says_to_indent_with_spaces(catalogue: Catalogue, cli: Run) -> None:
    catalogue.write("resources/tabby.yaml", "id: tabby\n\ttitle: x\n")
    code, out, _ = cli("validate")
    assert code == 1
    assert out.splitlines() == [
        f"{R}/tabby.yaml:2:1: invalid YAML: found a tab character that violates indentation (while scanning a "
        "plain scalar) — indent with spaces: YAML does not allow tab characters in indentation",
        "1 problem in 1 file",
    ]


def test_bom_and_crlf_line_endings_are_accepted(catalogue: Catalogue, cli: Run) -> None:
    text = resource_text("immersive-math", position=20).replace("\n", "\r\n")
    catalogue.write("resources/immersive-math.yaml", b"\xef\xbb\xbf" + text.encode())
    assert cli("validate") == (0, "catalogue/: 3 resources in 2 sections, valid\n", "")


LINK = (
    f"{R}/passwd.yaml: is a symbolic link (to /etc/passwd); catalogue files must be regular files, so it was "
    "not read — replace the link with the file itself, or remove it"
)


@pytest.mark.parametrize("files", [[], [f"{R}/passwd.yaml"]], ids=["whole-catalogue", "files-mode"])
def test_a_symbolic_link_is_never_read(catalogue: Catalogue, cli: Run, files: list[str]) -> None:
    (catalogue.root / "resources/passwd.yaml").symlink_to("/etc/passwd")
    code, out, err = cli("validate", *files)
    assert (code, err) == (1, "")
    assert out.splitlines() == [LINK, "1 problem in 1 file"]


def test_a_named_pipe_is_not_opened(catalogue: Catalogue, cli: Run) -> None:
    """Opening a FIFO would block for ever; in FILES mode it is one of the files only consulted."""
    os.mkfifo(catalogue.root / "resources/pipe.yaml")
    code, out, _ = cli("validate")
    assert code == 1
    assert out.splitlines() == [
        f"{R}/pipe.yaml: is not a regular file (a pipe, socket or device), so it was not read — replace it "
        "with a UTF-8 text file in the catalogue's YAML format, or remove it",
        "1 problem in 1 file",
    ]
    assert cli("validate", f"{R}/immersive-math.yaml")[0] == 0
