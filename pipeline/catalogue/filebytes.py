"""A catalogue file's bytes, safely: only regular files of a bounded size are read (never through a link,
a pipe or a device), and the text is strict UTF-8, naming what the file really is when it is not.

Every failure is a LoadError (message, hint, rule, 1-based line/column where known), never an exception.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path

# Bounds. A resource file is well under 4 KiB; the roadmap text a few KiB. Checked before reading.
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class LoadError:
    """Why a file could not be read as a catalogue document (1-based line/column where known)."""

    message: str
    hint: str
    rule: str
    line: int | None = None
    column: int | None = None


def position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index in text."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def decode_text(raw: bytes) -> tuple[str | None, LoadError | None]:
    """Decode strictly as UTF-8, naming what the file really is when it is not."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None, LoadError(
            "the file is encoded as UTF-32", "save it as UTF-8 (without a byte order mark)", "encoding", 1, 1
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, LoadError(
            "the file is encoded as UTF-16", "save it as UTF-8 (without a byte order mark)", "encoding", 1, 1
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        text = raw[:nul].decode("utf-8", "replace")
        line, column = position(text, len(text))
        # UTF-16 without a BOM looks like ASCII with a NUL after every letter
        odd, even = raw[1::2].count(0), raw[0::2].count(0)
        if max(odd, even) > len(raw) // 4 and min(odd, even) < len(raw) // 16:
            return None, LoadError(
                "the file looks UTF-16 encoded (NUL bytes between the letters)",
                "save it as UTF-8",
                "encoding",
                line,
                column,
            )
        return None, LoadError(
            "the file contains NUL bytes: it is binary, not YAML text",
            "replace it with a UTF-8 text file in the catalogue's YAML format",
            "binary",
            line,
            column,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", "replace")
        line, column = position(before, len(before))
        bad = raw[error.start : error.start + 1].hex()
        return None, LoadError(
            f"the file is not valid UTF-8 (byte 0x{bad} cannot start or continue a character)",
            "save it as UTF-8; it is probably Latin-1 or Windows-1252, re-encode it "
            "(e.g. `iconv -f latin1 -t utf-8`)",
            "encoding",
            line,
            column,
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _read_bounded(fd: int, size: int, max_bytes: int) -> bytes:
    """Up to max_bytes + 1 bytes of an open file descriptor (closed here), expecting size of them.

    One read of the expected size plus one byte (a read of max_bytes would allocate a megabyte per small
    file); more reads only when that read did not return exactly size bytes (the file grew or shrank since
    it was measured, or a short read), so a file that grew past max_bytes is still caught.
    """
    try:
        chunks = [os.read(fd, size + 1)]
        total = len(chunks[0])
        while chunks[-1] and total != size and total <= max_bytes:
            chunks.append(os.read(fd, max_bytes + 1 - total))
            total += len(chunks[-1])
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_file_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes | None, LoadError | None]:
    """The bytes of a regular catalogue file, or why it was not read (links, pipes, huge files never are)."""
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            # A link could point anywhere (/etc/passwd, a device): never read through it.
            return None, LoadError(
                f"is a symbolic link (to {os.readlink(path)}); catalogue files must be regular files, "
                "so it was not read",
                "replace the link with the file itself, or remove it",
                "not-a-file",
            )
        if stat.S_ISDIR(info.st_mode):
            return None, LoadError("is a directory, not a file", "list or keep only files here", "not-a-file")
        if not stat.S_ISREG(info.st_mode):
            return None, LoadError(
                "is not a regular file (a pipe, socket or device), so it was not read",
                "replace it with a UTF-8 text file in the catalogue's YAML format, or remove it",
                "not-a-file",
            )
        if info.st_size > max_bytes:
            return None, LoadError(
                f"the file is {info.st_size:,} bytes; at most {max_bytes:,} are allowed",
                "a catalogue file holds one small document; this is not one",
                "too-large",
            )
        # O_NOFOLLOW: a link swapped in after the lstat above fails here instead of being followed.
        raw = _read_bounded(os.open(path, os.O_RDONLY | _NOFOLLOW), info.st_size, max_bytes)
    except OSError as error:
        return None, LoadError(
            f"cannot be read: {error.strerror}",
            "check that the file exists and is readable by this user",
            "unreadable",
        )
    if len(raw) > max_bytes:  # grew while we looked
        return None, LoadError(
            f"the file is over {max_bytes:,} bytes",
            "a catalogue file holds one small document; this is not one",
            "too-large",
        )
    return raw, None
