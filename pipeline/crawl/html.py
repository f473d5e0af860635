"""What an HTML page says about itself, as plain facts for classify: title, headings, anchors, JSON-LD
freeness, password forms, visible text. Pure: bytes in, PageFacts out (selectolax's lexbor parser).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser

TEXT_KEEP = 20_000  # characters of visible text kept for phrase rules; enough for any wall or notice
# How much of a page's raw text is collapsed first, then next: enough for TEXT_KEEP collapsed characters
# unless one in five, then three in four, are whitespace (then all of it is collapsed).
_HEADS_RAW = (TEXT_KEEP * 5 // 4, TEXT_KEEP * 4)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_SCRIPT_REDIRECT = re.compile(
    r"""\b(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*["'`]([^"'`]+)["'`]"""
    r"""|\blocation\.(?:replace|assign)\(\s*["'`]([^"'`]+)["'`]"""
)
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[;,]\s*(?:url\s*=\s*)?['\"]?([^'\"]*)['\"]?)?\s*$", re.I)
# Elements a client-side app mounts into; with little server-rendered text they mean "rendered by JS":
# these ids (looked up in the page's ids, which parse collects anyway, as written: as getElementById and
# so the app itself reads them), or an element matching _APP_ROOTS.
_APP_ROOT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte"})
_APP_ROOTS = "[data-reactroot], app-root, [ng-app], [ng-version]"


@dataclass(frozen=True)
class PageFacts:
    title: str
    headings: tuple[str, ...]  # h1 texts, at most a few
    anchors: frozenset[str]  # every id and name attribute value
    not_free: str | None  # where schema.org isAccessibleForFree=false was declared, if it was
    password_form: bool  # a form with a password field
    text: str  # visible text, whitespace collapsed, first TEXT_KEEP characters
    text_length: int  # length of the visible text, counted up to TEXT_KEEP + 1 (rules read at most 2,500)
    scripts: int  # <script> elements (inline or not)
    app_shell: bool  # a client-side app root or a "please enable JavaScript" notice
    meta_refresh: tuple[float, str] | None  # (delay seconds, target) of <meta http-equiv=refresh>
    script_redirect: str | None = None  # target of an inline `window.location = "..."` (not followed)
    content_text: str | None = None  # visible text outside header/nav/footer/aside (None: same as text)
    canonical: str | None = None  # href of <link rel=canonical>, as written

    @cached_property
    def lowered(self) -> str:
        """text lower-cased, once for every rule that reads it (the facts of a page are cached)."""
        return self.text.lower()


# Labels that browsers read as windows-1252 (the WHATWG Encoding Standard): Python's latin-1 would turn
# the curly quotes and dashes of 0x80-0x9F into control characters.
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"})
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(body: bytes, content_type: str | None) -> str:
    """Text of a body as a browser reads it: a BOM, else the charset the server declared, else a
    <meta charset>, else UTF-8 if the bytes are valid UTF-8, else windows-1252 (the web's legacy default).
    """
    for bom, charset in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(charset, errors="replace")
    candidates: list[str] = []
    if content_type and (m := _CT_CHARSET.search(content_type)):
        candidates.append(m.group(1))
    if m := _META_CHARSET.search(body[:4096]):
        candidates.append(m.group(1).decode("ascii", "replace"))
    for charset in candidates:
        charset = "cp1252" if charset.lower() in _AS_CP1252 else charset
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            continue  # an unknown label: the next declaration, or a guess
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(body) - 3:  # a prefix cut inside a multi-byte character
            return body.decode("utf-8", errors="replace")
        return body.decode("cp1252", errors="replace")


def looks_like_html(body: bytes) -> bool:
    """Sniff a body that came without a useful Content-Type."""
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title")) or b"<html" in head


def may_refresh(body: bytes) -> bool:
    """Whether a body may hold a <meta http-equiv=refresh>: False only when an ASCII-compatible body has
    no "refresh" in any case (a 200 KB page is lower-cased and searched in a fifteenth of its parse). A
    body in UTF-16 or UTF-32 (a byte-order mark, or NUL bytes in its first kilobyte) is always parsed."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body[:1024]:
        return True
    return b"refresh" in body.lower()


def _clean(text: str | None) -> str:
    """Whitespace runs collapsed to one space, none at the ends. str.split() splits on exactly the
    characters regex's \\s matches (Unicode whitespace), three times faster than re.sub on a long page."""
    return " ".join((text or "").split())


def _clean_head(text: str) -> tuple[str, int]:
    """_clean(text)[:TEXT_KEEP], and its length counted up to TEXT_KEEP + 1, from as little of text as
    gives them. Collapsing the words of a long page's whole text (140 KB of an article) took half the
    time its facts took; the collapsed head of a text is the head of the collapsed text (at most its last
    word is cut, and it falls beyond TEXT_KEEP)."""
    for size in _HEADS_RAW:
        if len(text) > size and len(head := _clean(text[:size])) > TEXT_KEEP:
            return head[:TEXT_KEEP], TEXT_KEEP + 1
    whole = _clean(text)
    return whole[:TEXT_KEEP], min(len(whole), TEXT_KEEP + 1)


def _json_ld_objects(document: object) -> Iterator[dict]:
    """Top-level JSON-LD objects, the members of an @graph, and their hasPart entries."""
    stack = list(document) if isinstance(document, list) else [document]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            yield item
            for key in ("@graph", "hasPart", "mainEntity"):
                if key in item:
                    stack.append(item[key])


def _is_false(value: object) -> bool:
    if isinstance(value, bool):
        return value is False
    return isinstance(value, str) and value.strip().lower() in {"false", "no", "0"}


def _not_free(tree: LexborHTMLParser, scripts: list) -> str | None:
    """Where the page declares itself not free to read (schema.org), if it does; scripts: its <script>s."""
    for script in scripts:
        if (script.attrs.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            document = json.loads(script.text(deep=True) or "null")
        except ValueError:
            continue  # broken JSON-LD is common and says nothing about access
        for item in _json_ld_objects(document):
            if "isAccessibleForFree" in item and _is_false(item["isAccessibleForFree"]):
                kind = item.get("@type", "item")
                return f"JSON-LD {kind} declares isAccessibleForFree={item['isAccessibleForFree']!r}"
    for node in tree.css('[itemprop="isAccessibleForFree" i]'):
        value = node.attributes.get("content") or node.text()
        if _is_false(value):
            return f"microdata declares isAccessibleForFree={value!r}"
    return None


_CHROME = frozenset({"header", "nav", "footer", "aside"})
_CHROME_TAG = re.compile(r"<(?:header|nav|footer|aside)", re.IGNORECASE)  # a start tag of one, or more


def _in_chrome(node: object) -> bool:
    parent = getattr(node, "parent", None)
    while parent is not None:
        if parent.tag in _CHROME:
            return True
        parent = parent.parent
    return False


def _in_noscript(node: object) -> bool:
    parent = getattr(node, "parent", None)
    while parent is not None:
        if parent.tag == "noscript":
            return True
        parent = parent.parent
    return False


def parse_refresh(content: str) -> tuple[float, str] | None:
    """(delay seconds, target) of a refresh that goes somewhere: a <meta http-equiv=refresh>'s content, or
    the Refresh header's value (browsers read both alike); None for a reload or an unreadable one."""
    m = _REFRESH.match(content)
    if m and m.group(2):
        return float(m.group(1)), m.group(2).strip()
    return None


def _meta_refresh(tree: LexborHTMLParser) -> tuple[float, str] | None:
    for node in tree.css('meta[http-equiv="refresh" i]'):
        if _in_noscript(node):
            continue  # only browsers without JavaScript follow it; it leads to a "please enable JS" page
        if refresh := parse_refresh(node.attributes.get("content") or ""):
            return refresh
    return None


def read(body: bytes, content_type: str | None) -> PageFacts:
    """The facts of a page's body, as a browser decodes it (Response.facts; a page reader's answer)."""
    return parse(decode(body, content_type))


def parse(markup: str) -> PageFacts:
    tree = LexborHTMLParser(markup)
    title_node = tree.css_first("title")
    title = _clean(title_node.text(deep=True)) if title_node else ""
    headings = tuple(h for h in (_clean(n.text(deep=True)) for n in tree.css("h1")[:5]) if h)
    # Two lean queries, not one building a dict of every attribute of every element: a long page has
    # thousands of ids. The <script>s are queried once for their count, JSON-LD and inline code.
    ids = {node.id for node in tree.css("[id]")}
    anchors = {value for value in (ids | {node.attrs.get("name") for node in tree.css("[name]")}) if value}
    script_nodes = tree.css("script")
    not_free = _not_free(tree, script_nodes)
    # A sign-in box in the header, navigation or footer is site chrome, not the page's content.
    password_form = any(not _in_chrome(node) for node in tree.css('input[type="password" i]'))
    scripts = len(script_nodes)
    noscript = " ".join(n.text(deep=True) or "" for n in tree.css("noscript")).lower()
    has_app_root = not _APP_ROOT_IDS.isdisjoint(ids) or bool(tree.css_first(_APP_ROOTS))
    refresh = _meta_refresh(tree)
    canonical = next(
        (
            (node.attributes.get("href") or "").strip() or None
            for node in tree.css("link[rel]")
            if "canonical" in (node.attributes.get("rel") or "").lower().split()
        ),
        None,
    )
    script_redirect = None
    for node in script_nodes:
        if "src" in node.attrs:
            continue
        code = node.text(deep=True) or ""
        if "location" in code and (m := _SCRIPT_REDIRECT.search(code)):  # every match says "location"
            script_redirect = (m.group(1) or m.group(2)).strip()
            break
    tree.strip_tags(["script", "style", "noscript", "template", "svg", "head"])
    root = tree.body or tree.root
    text, text_length = _clean_head(root.text(deep=True, separator=" ")) if root else ("", 0)
    # What the page offers, without its chrome: a "buy the print edition" box in a sidebar is no paywall.
    # No chrome element without its start tag in the markup: then the text is all content already.
    content_text = text
    if _CHROME_TAG.search(markup):
        tree.strip_tags(sorted(_CHROME))
        root = tree.body or tree.root
        content_text = _clean_head(root.text(deep=True, separator=" "))[0] if root else ""
    app_shell = has_app_root or (
        "javascript" in noscript and ("enable" in noscript or "requires" in noscript)
    )
    return PageFacts(
        title=title,
        headings=headings,
        anchors=frozenset(anchors),
        not_free=not_free,
        password_form=password_form,
        text=text,
        text_length=text_length,
        scripts=scripts,
        app_shell=app_shell,
        meta_refresh=refresh,
        script_redirect=script_redirect,
        content_text=None if content_text == text else content_text,
        canonical=canonical,
    )
