"""Small spellings every output shares (the CLI's lines, the nightly headline, the reports)."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """ "1 file", "2 files"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
