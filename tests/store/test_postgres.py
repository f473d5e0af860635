"""The store on a real PostgreSQL server: the same models, migrations and queries as on SQLite.

Runs when $ROADMAP_TEST_POSTGRES_URL names a server (skips otherwise, fails on CI: tests/store/postgres.py);
each test gets a database of its own. Scenarios that matter to reports run on SQLite and PostgreSQL alike
and must give the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlmodel import SQLModel

from pipeline.config import Config
from pipeline.status import Evidence, Hop, Outcome, Status
from pipeline.store.engine import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    open_store,
    revisions,
    upgrade,
)
from pipeline.store.health import (
    health_summaries,
    latest_runs,
    rebuild_health,
    run_results,
    status_history,
)
from pipeline.store.runs import abandon_stale_runs, due_resources, finish_run, record_result, start_run
from pipeline.store.sync import SyncReport, sync_catalogue
from tests.factory import catalogue, resource
from tests.store.postgres import pg_url, postgres_admin  # noqa: F401  (fixtures)
from tests.store.rows import fill_then_upgrade
from tests.store.shape import schema

T0 = datetime(2026, 3, 1, 3, 0, 0, 123456)  # microseconds: both databases must keep them


@pytest.fixture
def pg_engine(pg_url: str, catalogue_dir: Path) -> Iterator[Engine]:  # noqa: F811
    engine = open_store(pg_url, catalogue_dir)
    yield engine
    engine.dispose()


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of ours, ordered by primary key."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: [dict(r._mapping) for r in connection.execute(select(t).order_by(*t.primary_key))]
            for name, t in sorted(metadata.tables.items())
            if name != "alembic_version"
        }


# Migrations ------------------------------------------------------------------------------------------


def test_upgrade_from_empty_to_head(pg_url: str, catalogue_dir: Path) -> None:  # noqa: F811
    engine = open_store(pg_url, catalogue_dir)
    try:
        assert engine.dialect.name == "postgresql"
        tables = set(inspect(engine).get_table_names())
        assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
        assert current_revision(engine) == head_revision()
        open_store(pg_url, catalogue_dir).dispose()  # at head already: nothing to do, no error
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_every_revision_step_up_and_down(pg_url: str) -> None:  # noqa: F811
    """Each step up leaves the schema a later step down restores exactly; down to base leaves nothing."""
    engine = make_engine(pg_url)
    try:
        shapes = {None: schema(engine)}
        for revision in revisions():
            upgrade(engine, revision)
            assert current_revision(engine) == revision
            shapes[revision] = schema(engine)
        assert set(shapes[head_revision()]) == set(SQLModel.metadata.tables) | {"alembic_version"}
        for previous in [None, *revisions()][-2::-1]:
            downgrade(engine, previous or "base")
            assert current_revision(engine) == previous
            assert {k: v for k, v in schema(engine).items() if k != "alembic_version"} == {
                k: v for k, v in shapes[previous].items() if k != "alembic_version"
            }, f"downgrade to {previous} does not restore that revision's schema"
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_upgrade_from_an_earlier_revision_keeps_the_data(pg_url: str, revision: str) -> None:  # noqa: F811
    engine = make_engine(pg_url)
    try:
        written = fill_then_upgrade(engine, revision)
        stored = dump(engine)
        for name, rows in written.items():
            assert [
                {k: row[k] for k in before} for row, before in zip(stored[name], rows, strict=True)
            ] == rows
    finally:
        engine.dispose()


def test_models_and_migrations_agree(pg_url: str) -> None:  # noqa: F811
    engine = make_engine(pg_url)  # migrated: a new database opened by open_store is built from the models
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_a_new_database_gets_the_migrated_schema_at_once(pg_url: str, catalogue_dir: Path) -> None:  # noqa: F811
    engine = open_store(pg_url, catalogue_dir)  # no table yet: built from the models, stamped head
    try:
        created = schema(engine)
        downgrade(engine, "base")  # the migrations work on it as on their own
        upgrade(engine)
        assert schema(engine) == created
    finally:
        engine.dispose()


def test_naive_utc_times_and_json_round_trip(pg_engine: Engine) -> None:
    """Times come back naive and exact (no session time zone applied), JSON lists/dicts as written."""
    with pg_engine.connect() as connection:
        connection.execute(text("SET TIME ZONE 'America/Los_Angeles'"))  # must not shift naive UTC
        connection.commit()
    exceptions = {"short-description": "terse on purpose"}
    cat = catalogue([resource("a", topics=("vectors", "matrices"), quality_exceptions=exceptions)])
    sync_catalogue(pg_engine, cat, now=T0)
    row = dump(pg_engine)["resource"][0]
    assert row["first_seen"] == T0 and row["first_seen"].tzinfo is None
    assert row["topics"] == ["vectors", "matrices"]
    assert row["quality_exceptions"] == {"short-description": "terse on purpose"}


# The same scenario on both databases -----------------------------------------------------------------


def both(engine: Engine, pg_engine: Engine, scenario: Callable[[Engine], Any]) -> Any:
    """Run the scenario on SQLite and on PostgreSQL; they must observe the same; returns what they saw."""
    assert (engine.dialect.name, pg_engine.dialect.name) == ("sqlite", "postgresql")
    on_sqlite, on_postgres = scenario(engine), scenario(pg_engine)
    assert on_postgres == on_sqlite
    return on_postgres


def sync_scenario(engine: Engine) -> list[tuple[SyncReport, dict[str, list[dict[str, Any]]]]]:
    """add, no change, change + retire + section change, restore; what each sync reported and left."""
    a, b, c = resource("a", position=10), resource("b", position=20), resource("c", position=30)
    sections = catalogue([a]).sections
    steps = [
        catalogue([a, b, c], sections),
        catalogue([a, b, c], sections),
        catalogue(
            [a, replace(b, title="A better title", topics=("vectors",)), replace(c, section="calculus")][:2],
            (replace(sections[0], goals=("A new goal.",)), *sections[1:]),
        ),
        catalogue([a, replace(b, title="A better title", topics=("vectors",)), c], sections),
    ]
    seen = []
    for day, cat in enumerate(steps):
        report = sync_catalogue(engine, cat, now=T0 + timedelta(days=day))
        tables = dump(engine)
        seen.append((report, {k: tables[k] for k in ("section", "resource")}))
    return seen


def test_sync_add_change_retire_restore(engine: Engine, pg_engine: Engine) -> None:
    seen = both(engine, pg_engine, sync_scenario)
    reports = [report for report, _ in seen]
    assert reports[0].added == ("a", "b", "c")
    assert reports[1] == SyncReport()  # idempotent
    assert reports[2] == SyncReport(changed=("b",), retired=("c",), sections_changed=("linear-algebra",))
    assert reports[3] == SyncReport(restored=("c",), sections_changed=("linear-algebra",))
    assert seen[1][1] == seen[0][1]
    last = {r["id"]: r for r in seen[3][1]["resource"]}
    assert last["c"]["first_seen"] == T0 and last["c"]["retired_at"] is None  # back with its history
    assert last["b"]["last_changed"] == T0 + timedelta(days=2) and last["b"]["topics"] == ["vectors"]


def test_a_second_sync_writes_not_one_row(pg_engine: Engine) -> None:
    """PostgreSQL shows it directly: an UPDATE, even to the same values, gives the row a new xmin."""
    cat = catalogue([resource("a"), resource("b", awaiting_url="waiting for the publisher", url=None)])
    sync_catalogue(pg_engine, cat, now=T0)

    def versions() -> list[tuple[str, str]]:
        with pg_engine.connect() as connection:
            query = "SELECT id, xmin::text FROM {} ORDER BY id"
            return [
                tuple(r) for t in ("section", "resource") for r in connection.execute(text(query.format(t)))
            ]

    before = versions()
    assert sync_catalogue(pg_engine, cat, now=T0 + timedelta(days=1)) == SyncReport()
    assert versions() == before
    sync_catalogue(pg_engine, catalogue([resource("a", title="Changed")]), now=T0 + timedelta(days=2))
    assert versions() != before  # the probe does see writes


def runs_scenario(engine: Engine) -> dict[str, Any]:
    """Complete, interrupted, inconclusive, abandoned and complete runs over four resources; every read-side
    answer a report uses, then the same after rebuilding the summary from the results."""
    config = Config()
    ids = ("a", "b", "c", "d")
    sync_catalogue(engine, catalogue([resource(rid, position=10 * i) for i, rid in enumerate(ids)]), now=T0)
    plan = [
        ("complete", {"a": Status.OK, "b": Status.BROKEN, "c": Status.OK, "d": Status.BLOCKED}),
        ("interrupted", {"a": Status.OK, "b": Status.TIMEOUT, "c": Status.SOFT_404}),
        ("inconclusive", {"a": Status.BROKEN, "b": Status.BROKEN}),
        (None, {"a": Status.OK}),  # left running: the next lock holder aborts it
        ("complete", {"a": Status.REDIRECTED, "b": Status.OK, "c": Status.SOFT_404, "d": Status.OK}),
    ]
    for day, (outcome, results) in enumerate(plan, start=1):
        when = T0 + timedelta(days=day)
        with time_machine.travel(when, tick=False):
            abandon_stale_runs(engine)  # what the run lock's holder does first (checkrun.locked_store)
            run_id = start_run(engine, "nightly", len(results))
            for minute, (rid, status) in enumerate(results.items()):
                verdict = Outcome(
                    f"https://example.org/{rid}",
                    status,
                    http_status=200 if status in (Status.OK, Status.SOFT_404) else 404,
                    final_url=f"https://example.org/{rid}/",
                    redirect_chain=(Hop(f"https://example.org/{rid}", 301, f"https://example.org/{rid}/"),),
                    elapsed_ms=10 * minute,
                    evidence=(Evidence("title-not-found", "Seite nicht gefunden ✓"),),
                    network_failure=status is Status.TIMEOUT,
                )
                # folded as recorded (pending_health) but on the last day, which its conclusion folds
                recheck = config.recheck if day < len(plan) else None
                record_result(engine, run_id, rid, verdict, when + timedelta(minutes=minute), recheck)
            if outcome is not None:
                finish_run(engine, run_id, outcome, config, note=f"day {day}")
    with time_machine.travel(T0 + timedelta(days=9), tick=False):
        abandon_stale_runs(engine)
        last = start_run(engine, "manual", 0)
        finish_run(engine, last, "aborted", config)
    seen = {
        "summaries": health_summaries(engine),
        "summaries_window_2": health_summaries(engine, window=2),
        "history": status_history(engine),
        "conclusive_history": status_history(engine, conclusive_only=True),
        "latest": latest_runs(engine, n=3),
        "all_latest": latest_runs(engine, n=10, conclusive_only=False),
        "due_now": due_resources(engine, T0 + timedelta(days=5)),
        "due_later": due_resources(engine, T0 + timedelta(days=30)),
        "results": {rid: r.model_dump(exclude={"id"}) for rid, r in run_results(engine, 2).items()},
        "health_rows": dump(engine)["resource_health"],
        "schedule": [(r["resource_id"], r["next_check_at"]) for r in dump(engine)["resource_health"]],
    }
    rebuild_health(engine, config)
    seen["rebuilt_summaries"] = health_summaries(engine)
    seen["rebuilt_rows"] = dump(engine)["resource_health"]
    seen["rebuilt_schedule"] = [
        (r["resource_id"], r["next_check_at"]) for r in dump(engine)["resource_health"]
    ]
    return seen


def test_runs_and_health_agree_with_sqlite(engine: Engine, pg_engine: Engine) -> None:
    seen = both(engine, pg_engine, runs_scenario)
    assert seen["rebuilt_summaries"] == seen["summaries"]  # rebuild == incremental, on both
    assert seen["rebuilt_rows"] == seen["health_rows"] and seen["rebuilt_schedule"] == seen["schedule"]
    summaries = seen["summaries"]
    assert list(summaries) == ["a", "b", "c", "d"]
    assert summaries["b"].status is Status.OK and summaries["b"].consecutive_failures == 0
    assert summaries["c"].status is Status.SOFT_404 and summaries["c"].consecutive_failures == 2
    assert summaries["c"].failing_since == T0 + timedelta(days=2, minutes=2)
    # b's network-level time-out in the interrupted run is not judged: broken, then ok.
    assert summaries["a"].uptime == 1.0 and summaries["b"].uptime == 0.5
    assert summaries["c"].uptime == pytest.approx(1 / 3) and summaries["d"].uptime == 1.0
    assert seen["summaries_window_2"]["b"].uptime == 0.5
    assert summaries["a"].redirect_chain[0].status == 301 and summaries["a"].evidence[0].detail.endswith("✓")
    runs, history = seen["history"]
    assert [r.conclusion for r in runs] == [
        "complete",
        "interrupted",
        "inconclusive",
        "aborted",
        "complete",
        "aborted",
    ]
    assert history["d"] == ["blocked", None, None, None, "ok", None]
    assert [r.id for r in seen["latest"]] == [5, 2, 1]
    assert seen["results"]["b"]["network_failure"] is True and seen["results"]["c"]["status"] == "soft_404"
