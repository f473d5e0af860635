"""sync_catalogue: add, change, retire, restore; idempotent; one transaction."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from pipeline.model import Link
from pipeline.store.engine import open_store
from pipeline.store.health import resource_t, section_t
from pipeline.store.runs import due_resources
from pipeline.store.sync import SyncReport, canonical_json, resource_values, section_values, sync_catalogue
from tests.factory import catalogue, resource, section

T1 = datetime(2026, 1, 1, 3, 0)
T2 = datetime(2026, 1, 2, 3, 0)
T3 = datetime(2026, 1, 3, 3, 0)


def rows(engine: Engine, table=resource_t) -> dict[str, dict]:
    with engine.connect() as connection:
        return {r.id: dict(r._mapping) for r in connection.execute(select(table))}


def test_first_sync_adds_everything(engine: Engine) -> None:
    cat = catalogue([resource("b", position=20), resource("a", position=10, topics=("vectors", "matrices"))])
    report = sync_catalogue(engine, cat, now=T1)
    assert report.added == ("a", "b")  # catalogue order
    assert report.changed == report.retired == report.restored == ()
    assert len(report.sections_changed) == len(cat.sections)
    stored = rows(engine)
    assert stored["a"]["first_seen"] == stored["a"]["last_changed"] == T1
    assert stored["a"]["topics"] == ["vectors", "matrices"]
    assert stored["a"]["retired_at"] is None
    assert due_resources(engine, T1) == ["a", "b"]  # never checked: due now


def test_second_sync_changes_nothing(engine: Engine) -> None:
    cat = catalogue([resource("a"), resource("b", awaiting_url="waiting for the publisher", url=None)])
    sync_catalogue(engine, cat, now=T1)
    before = (rows(engine), rows(engine, section_t))
    dump = full_dump(engine)
    report = sync_catalogue(engine, cat, now=T2)
    assert report == SyncReport()
    assert not report.changed_anything
    assert (rows(engine), rows(engine, section_t)) == before  # last_changed untouched, not one row written
    assert full_dump(engine) == dump  # nor in any other table


def full_dump(engine: Engine) -> list[str]:
    """Every table's schema and rows as SQL text (sqlite3's .dump), to compare whole databases."""
    engine.dispose()  # let the WAL be checkpointed; the dump reads through its own connection
    connection = sqlite3.connect(engine.url.database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.parametrize(
    "change",
    [
        {"title": "A new title"},
        {"url": "https://example.org/moved"},
        {"position": 15},
        {"topics": ("vectors",)},
        {"effort": "3 hours"},
        {"quality_exceptions": {"not-visual": "The notes are the point."}},
        {"section": "calculus"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_changed_field_is_reported_and_stored(engine: Engine, change: dict) -> None:
    sync_catalogue(engine, catalogue([resource("a"), resource("b")]), now=T1)
    report = sync_catalogue(engine, catalogue([resource("a", **change), resource("b")]), now=T2)
    assert report == SyncReport(changed=("a",))
    stored = rows(engine)
    assert stored["a"]["last_changed"] == T2 and stored["a"]["first_seen"] == T1
    assert stored["b"]["last_changed"] == T1
    key, value = next(iter(change.items()))
    column = {"section": "section_id"}.get(key, key)
    expected = list(value) if isinstance(value, tuple) else value
    assert stored["a"][column] == expected


def test_a_new_url_is_due_at_once_and_the_others_keep_their_schedule(engine: Engine) -> None:
    """Its next check was about the old URL (`roadmap fix redirects` writes the new one)."""
    from pipeline.config import Config
    from pipeline.status import Outcome, Status
    from pipeline.store.runs import finish_run, record_result, start_run

    sync_catalogue(engine, catalogue([resource("a", position=10), resource("b", position=20)]), now=T1)
    run_id = start_run(engine, "manual", 2)
    for rid in ("a", "b"):
        record_result(engine, run_id, rid, Outcome(f"https://example.org/{rid}", Status.OK, 200), T1)
    finish_run(engine, run_id, "complete", Config())
    assert due_resources(engine, T2) == []
    moved = catalogue(
        [resource("a", position=10, url="https://example.org/a-moved"), resource("b", position=20)]
    )
    sync_catalogue(engine, moved, now=T2)
    assert due_resources(engine, T2) == ["a"]


def test_removed_resource_is_retired_not_deleted_and_restored_with_its_history(engine: Engine) -> None:
    sync_catalogue(engine, catalogue([resource("a"), resource("b")]), now=T1)
    assert sync_catalogue(engine, catalogue([resource("a")]), now=T2) == SyncReport(retired=("b",))
    assert rows(engine)["b"]["retired_at"] == T2
    # Retiring twice is not news.
    assert sync_catalogue(engine, catalogue([resource("a")]), now=T2) == SyncReport()
    report = sync_catalogue(engine, catalogue([resource("a"), resource("b")]), now=T3)
    assert report == SyncReport(restored=("b",))
    b = rows(engine)["b"]
    assert b["retired_at"] is None and b["first_seen"] == T1 and b["last_changed"] == T1


def test_restored_with_new_content_takes_the_new_content(engine: Engine) -> None:
    sync_catalogue(engine, catalogue([resource("a"), resource("b")]), now=T1)
    sync_catalogue(engine, catalogue([resource("a")]), now=T2)
    report = sync_catalogue(engine, catalogue([resource("a"), resource("b", title="Back again")]), now=T3)
    assert report == SyncReport(restored=("b",))
    b = rows(engine)["b"]
    assert (b["title"], b["last_changed"], b["retired_at"]) == ("Back again", T3, None)


def test_sections_are_added_changed_retired_and_restored(engine: Engine) -> None:
    one, two = section("linear-algebra", 1), section("calculus", 2)
    sync_catalogue(engine, catalogue([resource("a")], sections=(one, two)), now=T1)
    changed = replace(two, goals=("Differentiate anything.",))
    assert sync_catalogue(engine, catalogue([resource("a")], sections=(one, changed)), now=T2) == SyncReport(
        sections_changed=("calculus",)
    )
    assert rows(engine, section_t)["calculus"]["goals"] == ["Differentiate anything."]
    assert sync_catalogue(engine, catalogue([resource("a")], sections=(one,)), now=T2) == SyncReport(
        sections_changed=("calculus",)
    )
    assert rows(engine, section_t)["calculus"]["retired_at"] == T2
    report = sync_catalogue(engine, catalogue([resource("a")], sections=(one, changed)), now=T3)
    assert report == SyncReport(sections_changed=("calculus",))
    assert rows(engine, section_t)["calculus"]["retired_at"] is None


def test_a_failing_sync_writes_nothing(engine: Engine) -> None:
    sync_catalogue(engine, catalogue([resource("a")]), now=T1)
    before = rows(engine)
    # A resource in an unknown section violates the foreign key half-way through the transaction.
    broken = catalogue([resource("a", title="changed"), resource("zz", section="no-such-section")])
    with pytest.raises(Exception, match="FOREIGN KEY"):
        sync_catalogue(engine, broken, now=T2)
    assert rows(engine) == before


# JSON values as a catalogue holds them: text (any Unicode but lone surrogates), whole numbers, true/false,
# null, and lists and mappings with text keys of those.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _JSON, max_size=8))
def test_the_content_hash_is_of_the_same_bytes_as_json_dumps(values: dict) -> None:
    # The hash of every resource a store already holds was taken of json.dumps' bytes: a faster encoder
    # that wrote other bytes would report every resource as changed.
    reference = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert canonical_json(values) == reference


def test_values_orjson_refuses_still_hash_as_json_writes_them() -> None:
    values = {"position": 2**70, "fields": {"b": 1, "a": None}}
    assert canonical_json(values) == b'{"fields":{"a":null,"b":1},"position":1180591620717411303424}'


def test_a_fresh_sync_stores_the_bytes_sqlalchemy_would(engine: Engine, tmp_path: Path) -> None:
    # The new rows are bound without SQLAlchemy's per-row machinery; the database must not tell.
    cat = catalogue(
        [
            resource("a", topics=("vectors", "matrices"), quality_exceptions={"not-visual": "Notes."}),
            resource("b", url=None, awaiting_url="waiting for the publisher", topics=()),
            resource("c", tags=("one",), links=(Link("Demo", "https://example.org/demo"),), parent="a"),
            resource("d", position=20, topics=("vectors", "matrices")),  # a's topics again
            resource("e", position=30, topics=("vectors",)),
        ]
    )
    sync_catalogue(engine, cat, now=T1)
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}", tmp_path)
    with reference.begin() as connection:
        connection.execute(
            insert(section_t),
            [
                {**section_values(s), "first_seen": T1, "last_changed": T1, "retired_at": None}
                for s in cat.sections
            ],
        )
        connection.execute(
            insert(resource_t),
            [
                {**resource_values(r), "first_seen": T1, "last_changed": T1, "retired_at": None}
                for r in cat.resources
            ],
        )
    # The rows as SQL text (the schema's index order may differ between two databases: alembic's batch
    # mode walks a set).
    inserted = [line for line in full_dump(engine) if line.startswith("INSERT")]
    assert any('"resource"' in line for line in inserted)
    assert inserted == [line for line in full_dump(reference) if line.startswith("INSERT")]


def test_a_first_sync_bigger_than_a_batch_stores_every_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pipeline.store.sync.WRITE_BATCH", 2)
    cat = catalogue([resource(f"r{i}", position=10 * i) for i in range(5)])
    report = sync_catalogue(engine, cat, now=T1)
    assert report.added == tuple(f"r{i}" for i in range(5))
    stored = rows(engine)
    assert sorted(stored) == [f"r{i}" for i in range(5)]
    assert all(row["first_seen"] == T1 and row["content_hash"] for row in stored.values())
    assert sync_catalogue(engine, cat, now=T2) == SyncReport()


def test_more_changes_than_a_batch_are_all_stored(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.store.sync.WRITE_BATCH", 2)
    ids = [f"r{i}" for i in range(5)]
    sync_catalogue(engine, catalogue([resource(rid, position=10 * i) for i, rid in enumerate(ids)]), now=T1)
    sync_catalogue(engine, catalogue([resource(ids[0])]), now=T2)  # four retired
    changed = catalogue([resource(rid, position=10 * i, title=f"New {rid}") for i, rid in enumerate(ids)])
    report = sync_catalogue(engine, changed, now=T3)
    assert report == SyncReport(changed=(ids[0],), restored=tuple(ids[1:]))
    stored = rows(engine)
    assert all(stored[rid]["title"] == f"New {rid}" and stored[rid]["retired_at"] is None for rid in ids)
    assert all(stored[rid]["last_changed"] == T3 for rid in ids)
