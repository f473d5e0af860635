"""One place that reads the clock, so tests can control time (time-machine) and stored times agree.

Stored times are naive UTC datetimes (portable across SQLite and PostgreSQL); rendered with a trailing Z.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime truncated to microseconds (what the database stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(moment: datetime | None) -> str | None:
    """Render a stored naive-UTC time as RFC 3339 with a Z, to the second."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat() + "Z"


def readable(moment: datetime | None, unknown: str = "-") -> str:
    """A stored time as a person reads it, to the minute: 2026-11-20 03:00 UTC (`unknown` when None)."""
    return unknown if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")
