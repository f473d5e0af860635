"""Catalogue -> store: make the section and resource rows say what the validated catalogue says.

One transaction (all of it or none of it, even if the process is killed), idempotent (a second sync
writes nothing), and nothing is ever deleted: a removed entry is retired, a re-added one restored with
its history. A resource's catalogue fields are compared through one content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, select, update

from pipeline.clock import utcnow
from pipeline.collector import collector_paused
from pipeline.model import LIST_FIELDS, Catalogue, Resource, Section
from pipeline.store.bulk import insert_many, update_many
from pipeline.store.engine import write_transaction
from pipeline.store.health import health_t, resource_t, section_t


@dataclass(frozen=True)
class SyncReport:
    added: tuple[str, ...] = ()  # resource ids, catalogue order
    changed: tuple[str, ...] = ()  # active resources whose catalogue fields changed
    retired: tuple[str, ...] = ()  # no longer in the catalogue (rows kept)
    restored: tuple[str, ...] = ()  # back in the catalogue after being retired
    sections_changed: tuple[str, ...] = ()  # section ids added, changed, retired or restored

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.retired or self.restored or self.sections_changed)


def resource_values(resource: Resource) -> dict[str, Any]:
    """The resource's catalogue fields as stored, its content hash included."""
    values = resource.to_dict()
    values["section_id"] = values.pop("section")
    extra = {name: values.pop(name) for name in LIST_FIELDS if name in values}
    values["extra"] = extra or None
    for name in ("description", "medium", "cost", "provider", "origin", "added"):
        values.setdefault(name, None)
    values["content_hash"] = hashlib.sha256(canonical_json(values)).hexdigest()
    return values


def canonical_json(values: Mapping[str, Any]) -> bytes:
    """values as canonical JSON, UTF-8: sorted keys, no spaces, non-ASCII as is. What the content hash is
    taken of, so the bytes must never change (a store synced before would see every resource as changed).

    orjson writes the same bytes as `json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))`
    for the values a catalogue holds (text, whole numbers, true/false, null, lists, mappings with text
    keys; tests/store/test_sync.py holds it to that), five times faster; what it refuses (an integer beyond
    64 bits, a key that is not text) goes through json.
    """
    try:
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


# New and changed resource rows are written this many at a time, in the sync's one transaction: 100,000
# rows' values held until the end cost more memory than the catalogue itself.
WRITE_BATCH = 5_000

SECTION_COLUMNS = ("id", "title", "position", "kind", "stage", "introduction", "goals", "coverage")


def section_values(section: Section) -> dict[str, Any]:
    """The section's fields as stored: an imported list's own ones (level, prose, table) in `extra`."""
    values = section.to_dict()
    extra = {k: values.pop(k) for k in list(values) if k not in SECTION_COLUMNS}
    values["extra"] = extra or None
    return values


def sync_catalogue(engine: Engine, catalogue: Catalogue, *, now: datetime | None = None) -> SyncReport:
    """Bring section/resource rows in line with the catalogue, in one transaction; report what moved."""
    now = now or utcnow()
    with collector_paused(), write_transaction(engine) as connection:
        sections_changed = _sync_sections(connection, catalogue, now)
        added, changed, retired, restored = _sync_resources(connection, catalogue, now)
    return SyncReport(added, changed, retired, restored, sections_changed)


def _sync_sections(connection: Connection, catalogue: Catalogue, now: datetime) -> tuple[str, ...]:
    stored = {row.id: row for row in connection.execute(select(section_t))}
    fields = (*SECTION_COLUMNS[1:], "extra")
    inserts: list[dict[str, Any]] = []
    updates, touched = [], []
    for values, row in _with_stored(map(section_values, catalogue.sections), stored, now, inserts):
        if row is None:
            touched.append(values["id"])
            continue
        differs = any(getattr(row, f) != values[f] for f in fields)
        if differs or row.retired_at is not None:
            updates.append(
                {**values, "last_changed": now if differs else row.last_changed, "retired_at": None}
            )
            touched.append(values["id"])
    wanted = {s.id for s in catalogue.sections}
    retire = sorted(sid for sid, row in stored.items() if sid not in wanted and row.retired_at is None)
    insert_many(connection, section_t, inserts)
    update_many(connection, section_t, "id", updates)
    # Sections are retired after the resources that point at them (see _sync_resources), never deleted.
    _set_by_id(connection, section_t, retire, retired_at=now)
    return (*touched, *retire)


def _sync_resources(
    connection: Connection, catalogue: Catalogue, now: datetime
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    stored = {
        row.id: (row.content_hash, row.retired_at, row.url)
        for row in connection.execute(
            select(resource_t.c.id, resource_t.c.content_hash, resource_t.c.retired_at, resource_t.c.url)
        )
    }
    added, changed, restored, moved = [], [], [], []
    inserts: list[dict[str, Any]] = []
    updates = []
    for values, known in _with_stored(map(resource_values, catalogue.resources), stored, now, inserts):
        if known is None:
            added.append(values["id"])
            if len(inserts) >= WRITE_BATCH:  # the new rows of a big first sync are not all held at once
                insert_many(connection, resource_t, inserts)
                inserts.clear()
            continue
        content_hash, retired_at, stored_url = known
        differs = content_hash != values["content_hash"]
        if stored_url != values["url"]:
            moved.append(values["id"])
        if retired_at is not None:
            restored.append(values["id"])
        elif differs:
            changed.append(values["id"])
        else:
            continue
        update_values = {**values, "retired_at": None}
        if differs:
            update_values["last_changed"] = now
        updates.append(update_values)
        if len(updates) >= WRITE_BATCH:
            _update_resources(connection, updates)
            updates.clear()
    wanted = {r.id for r in catalogue.resources}
    retired = sorted(rid for rid, (_, at, _) in stored.items() if at is None and rid not in wanted)
    insert_many(connection, resource_t, inserts)
    _update_resources(connection, updates)
    # A new URL (e.g. `roadmap fix redirects`) is due now: the schedule and health were about the old one,
    # and waiting out a healthy interval would keep reporting "moved" for a URL already fixed.
    _set_by_id(connection, health_t, moved, key="resource_id", next_check_at=None)
    _set_by_id(connection, resource_t, retired, retired_at=now)
    return tuple(added), tuple(changed), tuple(retired), tuple(restored)


def _update_resources(connection: Connection, updates: list[dict[str, Any]]) -> None:
    # executemany needs one statement shape: group updates by whether last_changed moves.
    update_many(connection, resource_t, "id", [u for u in updates if "last_changed" in u])
    update_many(connection, resource_t, "id", [u for u in updates if "last_changed" not in u])


def _with_stored(
    rows: Iterable[dict[str, Any]], stored: Mapping[str, Any], now: datetime, inserts: list[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each catalogue row's values with what the store holds for its id (None: new, and queued in
    `inserts` as they are, first seen and last changed now)."""
    for values in rows:
        known = stored.get(values["id"])
        if known is None:
            values.update(first_seen=now, last_changed=now, retired_at=None)
            inserts.append(values)
        yield values, known


def _set_by_id(connection: Connection, table: Any, ids: list[str], key: str = "id", **values: Any) -> None:
    """One executemany UPDATE setting the same `values` on the rows whose `key` is one of these ids."""
    if ids:
        statement = update(table).where(table.c[key] == bindparam("b_id")).values(**values)
        connection.execute(statement, [{"b_id": i} for i in ids])
