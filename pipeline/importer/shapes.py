"""What a block of a Markdown list is: a list of entries, a table of contents, a group label; web links."""

from __future__ import annotations

from markdown_it.token import Token

from pipeline.importer.markdown import Block

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
