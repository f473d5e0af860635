"""Unique, stable ids for imported sections and resources, made from their names."""

from __future__ import annotations

import unicodedata


def slugify(text: str, limit: int) -> str:
    """Lower-case ASCII words joined by single hyphens, at most limit characters ("" when none)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in folded.lower()).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


class Ids:
    """Unique ids from names, in source order: the same source always gives the same ids."""

    def __init__(self, limit: int, fallback: str) -> None:
        self.limit, self.fallback = limit, fallback
        self.seen: set[str] = set()

    def make(self, name: str) -> str:
        base = slugify(name, self.limit - 4) or self.fallback
        candidate, number = base, 1
        while candidate in self.seen:
            number += 1
            candidate = f"{base}-{number}"
        self.seen.add(candidate)
        return candidate
