"""What a block of a Markdown list is: a list of entries, a table of contents, a group label; web links."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from markdown_it.token import Token

from pipeline.importer.markdown import Block, children

LIST_KINDS = ("bullet_list", "ordered_list")


def is_web_url(target: str | None) -> bool:
    return (
        bool(target)
        and target.startswith(("http://", "https://"))
        and not any(  # type: ignore[union-attr]
            c.isspace() or ord(c) < 0x20
            for c in target  # type: ignore[union-attr]
        )
    )


def links_in(tokens: list[Token]) -> list[str]:
    """Destinations of the links (not images) in some tokens, nested inlines included."""
    out: list[str] = []
    for token in tokens:
        if token.type == "link_open":
            out.append(str(token.attrs.get("href", "")))
        if token.children:
            out.extend(links_in(token.children))
    return out


def is_toc_list(block: Block) -> bool:
    """A list whose every item starts with a link and whose links all point inside the page."""
    links = links_in(block.tokens)
    if not links or not all(link.startswith("#") for link in links):
        return False
    for token in block.tokens:
        if token.type == "inline" and token.children:
            first = next(
                (c for c in token.children if not (c.type == "text" and not c.content.strip())), None
            )
            if first is None or first.type != "link_open":
                return False
    return True


def has_text_items(block: Block) -> bool:
    """Whether some item of a list starts with text ("0." alone is an empty numbered item, not an entry)."""
    return any(
        token.type == "inline" and token.content.strip() and token.level == 3 for token in block.tokens
    )


def list_items(tokens: list[Token]) -> list[list[Token]]:
    """A list's items, each its tokens from list_item_open to list_item_close."""
    return [item for item in children(tokens) if item and item[0].type == "list_item_open"]


def list_marker(tokens: list[Token]) -> str:
    """A list's marker as the export writes it: "-", "*" or "+", or "1." / "1)" for a numbered list."""
    markup = tokens[0].markup
    return markup if markup in ("-", "*", "+") else f"1{markup}"


def numbered_alike(block: Block) -> bool:
    """A numbered list that writes "1." before every item (so that items move without renumbering)."""
    numbers = [item[0].info for item in list_items(block.tokens)]
    return block.kind == "ordered_list" and len(numbers) > 1 and all(n == "1" for n in numbers)


def is_loose(block: Block, lines: list[str]) -> bool:
    """Whether a blank line parts two of the list's items where the export would write none: a blank line
    after an item whose last written block is its details (further paragraphs) is the export's own."""
    for before, item in pairwise(list_items(block.tokens)):
        start = (item[0].map or (0, 0))[0]
        if 0 < start <= len(lines) and not lines[start - 1].strip() and not _ends_with_details(before):
            return True
    return False


def _ends_with_details(item: list[Token]) -> bool:
    """Whether the export writes an item's details last (after them, a blank line): its last sub-item's
    if it has sub-items, else its own (blocks after its first paragraph that are not lists)."""
    blocks = children(item)
    lists = [b for b in blocks[1:] if b[0].type in (f"{kind}_open" for kind in LIST_KINDS)]
    if lists:
        last = list_items(lists[-1])
        return bool(last) and _ends_with_details(last[-1])
    return len(blocks) > 1 or bool(blocks and blocks[0][0].type != "paragraph_open")


def is_label(block: Block) -> bool:
    """A paragraph that is only a bold or italic label ("**AI & ML**"), as used to group a ToC."""
    inline = block.inline
    if block.kind != "paragraph" or inline is None or not inline.children:
        return False
    kids = [c for c in inline.children if not (c.type == "text" and not c.content.strip())]
    return (
        bool(kids)
        and kids[0].type in ("strong_open", "em_open")
        and kids[-1].type in ("strong_close", "em_close")
    )


# Link texts that say how to reach a resource, not what it is ("| Deep Learning | [PDF](…) |"). Compared
# after casefolding, without surrounding punctuation, arrows and emoji.
# fmt: off
GENERIC_LABELS = frozenset({
    "link", "links", "here", "click here", "url", "website", "web site", "site", "homepage", "home page",
    "official site", "online", "read", "read online", "read here", "read it", "free", "free online", "pdf",
    "free pdf", "html", "epub", "download", "view", "open", "visit", "go", "access", "watch", "video",
    "videos", "playlist", "youtube", "course", "book", "paper", "slides", "notes", "lectures", "docs",
    "documentation", "source", "source code", "code", "repo", "repository", "github", "demo", "more",
    "more info", "details",
})
# Headers of the column that names the entries when the link column does not, most telling first.
NAME_HEADERS = (
    "title", "name", "book", "course", "paper", "resource", "project", "tool", "library", "lecture",
    "tutorial", "talk", "video", "app", "service", "class", "topic", "subject",
)
# fmt: on
_DECORATION = " \t.,:;!?()[]<>→»«›‹-–—*_`'\"🔗📖📄📘📚🎥▶️➡"


def is_generic_label(label: str, header: str) -> bool:
    """Whether a link's text says how to reach the resource ("PDF", "Read", a bare address), not its name."""
    words = " ".join(label.casefold().strip(_DECORATION).split())
    return (
        not words
        or words in GENERIC_LABELS
        or words == header.casefold().strip()
        or words.startswith(("http://", "https://", "www."))
    )


def name_column(
    names: list[str], rows: list[list[str]], labels: list[str | None], link: int, description: int | None
) -> int | None:
    """The column that names a table's entries when its link column does not. That is so when most links
    read "PDF", "Read", an address or the same text in three rows or more; the name column is then the
    one with distinct words in most rows whose header names things best ("Title", then "Name", "Book",
    …; the leftmost among equals). None when the links are the names or no column can name the rows."""
    linked = [label.casefold().strip() for label in labels if label is not None]
    if not linked:
        return None
    times = Counter(linked)
    generic = sum(1 for label in linked if is_generic_label(label, names[link]) or times[label] >= 3)
    if generic * 2 < len(linked):
        return None
    candidates = [index for index in range(len(names)) if index not in (link, description)]
    candidates = [
        index for index in candidates if _names_rows([c[index] for c in rows if index < len(c)], rows)
    ]
    ranked = sorted((_rank(names[index]), index) for index in candidates)
    return ranked[0][1] if ranked else None


def _names_rows(cells: list[str], rows: list[list[str]]) -> bool:
    """Whether a column's cells could name its rows: words without a link (not "3", not "2019", not
    empty) in most rows, and no word repeated much ("Yes", "No", "apiKey" are not names)."""
    words = [cell for cell in cells if "](" not in cell and any(c.isalpha() for c in cell)]
    return len(words) * 2 > len(rows) and len(set(words)) * 5 >= len(words) * 4


def _rank(header: str) -> int:
    """Where a header's words come in NAME_HEADERS (len(NAME_HEADERS) when none does)."""
    words = "".join(c if c.isalnum() else " " for c in header.casefold()).split()
    ranks = [
        NAME_HEADERS.index(w) for word in words for w in (word, word.removesuffix("s")) if w in NAME_HEADERS
    ]
    return min(ranks, default=len(NAME_HEADERS))
