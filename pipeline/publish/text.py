"""Text helpers for the templates: GitHub heading anchors, Markdown escaping, medium markers."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

# One small, consistent marker per medium; the README prints a legend of the ones it uses.
MEDIUM_MARKERS: dict[str, tuple[str, str]] = {
    "video-series": ("📺", "video series"),
    "video": ("🎬", "video"),
    "interactive": ("🕹️", "interactive"),
    "course": ("🎓", "course"),
    "book": ("📖", "book"),
    "paper": ("📄", "paper"),
    "article": ("📰", "article"),
    "lecture-notes": ("📝", "lecture notes"),
    "code": ("💻", "code"),
    "dataset": ("🗃️", "dataset"),
    "cheatsheet": ("📋", "cheatsheet"),
    "website": ("🌐", "website"),
    "tool": ("🛠️", "tool"),
}


def medium_marker(medium: str) -> str:
    return MEDIUM_MARKERS.get(medium, ("🔗", medium))[0]


def medium_label(medium: str) -> str:
    return MEDIUM_MARKERS.get(medium, ("🔗", medium.replace("-", " ")))[1]


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower-case; keep letters, digits, marks, "_" and "-"; drop other
    punctuation and symbols (emoji too); each space becomes "-" (so " — " becomes "--")."""
    out = []
    for char in heading.lower():
        if char == " ":
            out.append("-")
        elif char == "-" or char == "_" or char.isalnum() or unicodedata.category(char).startswith("M"):
            out.append(char)
    return "".join(out)


class Slugger:
    """Unique anchors in one document, as GitHub numbers repeated headings: x, x-1, x-2."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        base = github_slug(heading)
        slug = base
        while slug in self._seen:
            self._seen[base] += 1
            slug = f"{base}-{self._seen[base]}"
        self._seen[slug] = 0
        return slug


# Characters that would start emphasis, code, a link or an HTML tag ("<" only where a tag could start, so
# "size < 1MB" stays readable in the raw file).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]]|<(?=[A-Za-z/!?]))")


def md_escape(text: str) -> str:
    """Plain text that renders as itself in Markdown (titles and descriptions written by contributors)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def link_file(text: str, name: str, target: str) -> str:
    """Maintainer Markdown with a bare mention of a file (CONTRIBUTING.md) turned into a link to it."""
    if f"]({target})" in text or f"[{name}]" in text:
        return text
    return re.sub(rf"(?<![\w/.\[`]){re.escape(name)}(?![\w\]`])", f"[{name}]({target})", text)


def md_url(url: str) -> str:
    """A URL safe inside `[text](url)`: spaces, parentheses and angle brackets percent-encoded."""
    return quote(url, safe="!#$%&'*+,/:;=?@[]~-._")


def md_code_block(text: str) -> str:
    """A fenced code block that survives backticks inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def date_text(moment: datetime | None) -> str:
    """The day of a moment, YYYY-MM-DD, for people; "an unknown date" when there is none."""
    return moment.date().isoformat() if moment is not None else "an unknown date"
