"""Does a page have the element a #fragment names? Pure: fragment and page facts in, evidence out.

Browsers percent-decode a fragment as UTF-8 and look for an element with that id (or an <a name>). We
forgive more than browsers do (case, Unicode normalisation, double or Latin-1 encoding, ids that are
themselves percent-encoded), and stay silent wherever scripts may make the anchor: a missing anchor must
be missing for every reader.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote

from pipeline.crawl import html
from pipeline.status import Evidence

APP_TEXT_MIN = 200  # visible characters below which a scripted page is treated as rendered by JS
_JS_ANCHORS = ("anchor-js", "anchor.min.js", "anchors.add(", "tocbot")
_LINE_FRAGMENT = re.compile(r"^L\d+(?:C\d+)?(?:-L?\d+(?:C\d+)?)?$")


def missing_anchor(
    fragment: str,
    facts: html.PageFacts,
    markup: str,
    *,
    truncated: bool,
    more: frozenset[str] | None = None,
) -> Evidence | None:
    """Evidence that no element of the page carries the fragment, or None when one does or when scripts
    may add it (markup lower-cased; `more`: the ids and names found in the rest of a long page)."""
    name = unquote(fragment)
    if not name or name.startswith(("!", "/", ":~:")) or "=" in name or name.lower() in {"top", "_top"}:
        return None  # empty, hash-bang routes, media/text fragments, the implicit top
    if _LINE_FRAGMENT.match(name):
        return None  # "#L10-L20": code viewers highlight lines with scripts, no element carries the id
    anchors = facts.anchors | more if more is not None else facts.anchors
    known = {_anchor_key(a) for a in anchors}
    if any(w in known or f"user-content-{w}" in known for w in _fragment_keys(fragment)):
        return None
    if (truncated and more is None) or facts.app_shell or not anchors:
        return None  # we saw only part of the page, or its anchors are made by scripts
    if facts.text_length < APP_TEXT_MIN and facts.scripts:
        return None
    if any(marker in markup for marker in _JS_ANCHORS):
        return None
    return Evidence("anchor-missing", f"no element with id or name {name!r} in the page")


def _anchor_key(value: str) -> str:
    """An id or fragment as browsers compare them, forgiving case: NFC, lower-cased."""
    return unicodedata.normalize("NFC", value).lower()


def _fragment_keys(fragment: str) -> set[str]:
    """Every reading of a fragment that may name an id: as written, percent-decoded as UTF-8 (once or
    twice: double-encoded links exist), as Latin-1 (old pages), and percent-encoded (ids that are)."""
    readings = {fragment, unquote(fragment), unquote(unquote(fragment))}
    readings.add(unquote(fragment, encoding="latin-1"))
    readings |= {quote(r, safe="") for r in list(readings)}
    return {_anchor_key(r) for r in readings}
