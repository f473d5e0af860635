"""Health summary: transitions, the checking schedule, runs that apply nothing, rebuild == incremental."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pipeline.config import Config, RecheckConfig
from pipeline.errors import StoreError
from pipeline.status import Evidence, Hop, Outcome, Status
from pipeline.store.engine import open_store
from pipeline.store.health import (
    HealthSummary,
    health_summaries,
    health_t,
    latest_runs,
    pending_t,
    rebuild_health,
    run_results,
    seed_health,
    status_history,
)
from pipeline.store.runs import (
    ABANDONED_NOTE,
    abandon_stale_runs,
    due_resources,
    finish_run,
    record_result,
    record_results,
    start_run,
)
from pipeline.store.summary import next_interval
from pipeline.store.sync import sync_catalogue
from tests.factory import catalogue, many, resource

DAY0 = datetime(2026, 3, 1, 3, 0)
H = timedelta(hours=1)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def run(
    engine: Engine, config: Config, results: dict[str, Status], when: datetime, conclusion="complete"
) -> int:
    run_id = start_run(engine, "manual", len(results))
    for rid, status in results.items():
        record_result(engine, run_id, rid, Outcome(f"https://example.org/{rid}", status, 200), when)
    finish_run(engine, run_id, conclusion, config)
    return run_id


@pytest.fixture
def synced(engine: Engine) -> Engine:
    sync_catalogue(engine, catalogue([resource("a", position=10), resource("b", position=20)]))
    return engine


OK, BROKEN, TIMEOUT, BLOCKED, SKIPPED = (
    Status.OK,
    Status.BROKEN,
    Status.TIMEOUT,
    Status.BLOCKED,
    Status.SKIPPED,
)


# statuses of applied runs on day 0, 1, ... -> status shown, failing since (day), streak, last ok (day)
TRANSITIONS = {
    "healthy": ([OK, OK], OK, None, 0, 1),
    "starts failing": ([OK, BROKEN], BROKEN, 1, 1, 0),
    "failure streak keeps its start": ([OK, BROKEN, TIMEOUT, BROKEN], BROKEN, 1, 3, 0),
    "ok resets the streak": ([BROKEN, BROKEN, OK], OK, None, 0, 2),
    "blocked neither resets nor extends": ([BROKEN, BLOCKED, BROKEN], BROKEN, 0, 2, None),
    "blocked is shown but keeps the streak": ([BROKEN, BROKEN, BLOCKED], BLOCKED, 0, 2, None),
    "skipped after ok keeps last ok": ([OK, SKIPPED], SKIPPED, None, 0, 0),
    "a new streak after recovery": ([BROKEN, OK, BROKEN], BROKEN, 2, 1, 1),
}


@pytest.mark.parametrize("statuses, shown, since, streak, last_ok", TRANSITIONS.values(), ids=TRANSITIONS)
def test_health_transitions(synced: Engine, config: Config, statuses, shown, since, streak, last_ok) -> None:
    for n, status in enumerate(statuses):
        run(synced, config, {"a": status}, day(n))
    summary = health_summaries(synced)["a"]
    assert summary.status == shown
    assert summary.checked_at == day(len(statuses) - 1)
    assert summary.failing_since == (day(since) if since is not None else None)
    assert summary.consecutive_failures == streak
    assert summary.last_ok_at == (day(last_ok) if last_ok is not None else None)
    assert health_summaries(synced)["b"].status is None  # never checked


def test_uptime_counts_conclusive_results_of_the_last_window(synced: Engine, config: Config) -> None:
    for n, status in enumerate([BROKEN, OK, BLOCKED, OK, BROKEN, OK]):
        run(synced, config, {"a": status}, day(n))
    assert health_summaries(synced, window=30)["a"].uptime == pytest.approx(3 / 5)
    assert health_summaries(synced, window=3)["a"].uptime == pytest.approx(2 / 3)  # OK, BROKEN, OK
    assert health_summaries(synced)["b"].uptime is None


def test_inconclusive_run_keeps_results_but_applies_nothing(synced: Engine, config: Config) -> None:
    run(synced, config, {"a": OK}, day(0))
    run_id = run(synced, config, {"a": BROKEN}, day(1), conclusion="inconclusive")
    summary = health_summaries(synced)["a"]
    assert (summary.status, summary.checked_at, summary.consecutive_failures) == (OK, day(0), 0)
    assert run_results(synced, run_id)["a"].status == "broken"
    assert [r.id for r in latest_runs(synced, 5)] == [1]
    assert [r.conclusion for r in latest_runs(synced, 5, conclusive_only=False)] == [
        "inconclusive",
        "complete",
    ]


def test_a_run_left_running_is_aborted_by_the_next_lock_holder(synced: Engine, config: Config) -> None:
    run(synced, config, {"a": OK}, day(0))
    killed = start_run(synced, "nightly", 2)
    record_result(synced, killed, "a", Outcome("https://example.org/a", BROKEN, 404), day(1))
    # ...the process dies here; the next one takes the run lock (pipeline.checkrun.locked_store), which
    # aborts what was left running, and starts its run:
    assert abandon_stale_runs(synced) == [killed]
    following = start_run(synced, "nightly", 2)
    info = latest_runs(synced, 3, conclusive_only=False)
    assert [(r.id, r.conclusion) for r in info] == [
        (following, "running"),
        (killed, "aborted"),
        (1, "complete"),
    ]
    assert info[1].note == ABANDONED_NOTE and info[1].counts == {"broken": 1} and info[1].checked == 1
    assert health_summaries(synced)["a"].status == OK  # the aborted run's result is kept, not applied
    assert set(run_results(synced, killed)) == {"a"}
    assert abandon_stale_runs(synced) == [following]


def test_results_cannot_be_added_to_a_concluded_run(synced: Engine, config: Config) -> None:
    run_id = run(synced, config, {"a": OK}, day(0))
    with pytest.raises(StoreError, match=f"run {run_id} is not running"):
        record_result(synced, run_id, "b", Outcome("https://example.org/b", OK), day(0))
    with pytest.raises(StoreError, match="already concluded as complete"):
        finish_run(synced, run_id, "complete", config)


@pytest.mark.parametrize("resource_id", ["a", "no-such-resource"], ids=["twice", "unknown"])
def test_a_result_that_cannot_be_stored_is_a_store_error(synced: Engine, resource_id: str) -> None:
    run_id = start_run(synced, "manual", 1)
    record_result(synced, run_id, "a", Outcome("https://example.org/a", OK), day(0))
    with pytest.raises(StoreError, match=f"cannot store the result for {resource_id}"):
        record_result(synced, run_id, resource_id, Outcome("https://example.org/x", OK), day(0))


def test_latest_result_details_and_run_counts(synced: Engine, config: Config) -> None:
    run_id = start_run(synced, "scheduled", 2)
    chain = (Hop("https://example.org/a", 301, "https://example.org/a2"), Hop("https://example.org/a2", 200))
    evidence = (Evidence("http-301", "moved permanently"),)
    outcome = Outcome(
        "https://example.org/a",
        Status.REDIRECTED,
        200,
        "https://example.org/a2",
        chain,
        120,
        evidence=evidence,
    )
    record_result(synced, run_id, "a", outcome, day(0))
    record_result(synced, run_id, "b", Outcome("https://example.org/b", BROKEN, 404), day(0))
    info = finish_run(synced, run_id, "interrupted", config, note="stopped at the time limit")
    assert (info.conclusion, info.checked, info.total, info.counts) == (
        "interrupted",
        2,
        2,
        {"broken": 1, "redirected": 1},
    )
    assert info.note == "stopped at the time limit" and info.finished_at is not None
    a = health_summaries(synced)["a"]
    assert (a.redirect_chain, a.evidence, a.final_url, a.http_status) == (
        chain,
        evidence,
        "https://example.org/a2",
        200,
    )
    runs, history = status_history(synced)
    assert [r.id for r in runs] == [run_id]
    assert history == {"a": ["redirected"], "b": ["broken"]}


def test_status_history_is_oldest_first_and_marks_unchecked(synced: Engine, config: Config) -> None:
    first = run(synced, config, {"a": OK, "b": BROKEN}, day(0))
    second = run(synced, config, {"b": OK}, day(1), conclusion="inconclusive")
    third = run(synced, config, {"a": TIMEOUT}, day(2))
    runs, history = status_history(synced, last_runs=2)
    assert [r.id for r in runs] == [second, third]
    assert history == {"a": [None, "timeout"], "b": ["ok", None]}
    runs, history = status_history(synced, conclusive_only=True)
    assert [r.id for r in runs] == [first, third]
    assert history == {"a": ["ok", "timeout"], "b": ["broken", None]}


RECHECK = RecheckConfig(min_hours=20, max_hours=168, growth=2)

# previous interval (hours or None), status -> next interval (hours)
INTERVALS = {
    "first healthy check grows from the minimum": (None, OK, 40),
    "healthy doubles": (40, OK, 80),
    "healthy is capped at the maximum": (120, Status.REDIRECTED, 168),
    "a failure drops to the minimum": (168, BROKEN, 20),
    "blocked keeps the interval": (80, BLOCKED, 80),
    "skipped with nothing known uses the minimum": (None, SKIPPED, 20),
    "a shrunken interval is raised to the minimum": (5, BLOCKED, 20),
}


@pytest.mark.parametrize("previous, status, expected", INTERVALS.values(), ids=INTERVALS)
def test_next_interval(previous, status, expected) -> None:
    before = None if previous is None else previous * H
    assert next_interval(before, status, RECHECK) == expected * H


def test_due_resources_follow_the_schedule(engine: Engine, config: Config) -> None:
    resources = [
        resource("a", position=30),
        resource("b", position=20),
        resource("c", "calculus", 10),
        resource("waiting", position=40, url=None, awaiting_url="the publisher is moving it"),
    ]
    sync_catalogue(engine, catalogue(resources))
    assert due_resources(engine, day(0)) == ["b", "a", "c"]  # catalogue order; no URL, never due
    run(engine, config, {"a": OK, "b": BROKEN}, day(0))
    assert due_resources(engine, day(0) + 19 * H) == ["c"]
    assert due_resources(engine, day(0) + 20 * H) == ["b", "c"]  # failing: confirmed after min_hours
    assert due_resources(engine, day(0) + 40 * H) == ["b", "a", "c"]  # healthy: 20 h x growth 2
    run(engine, config, {"a": OK}, day(0) + 40 * H)
    assert "a" not in due_resources(engine, day(0) + 119 * H)  # 40 h x 2 = 80 h after the second check
    assert "a" in due_resources(engine, day(0) + 120 * H)
    sync_catalogue(engine, catalogue(resources[1:]))
    assert "a" not in due_resources(engine, day(30))  # retired


def snapshot(engine: Engine) -> tuple[dict, dict]:
    with engine.connect() as connection:
        health = {r.resource_id: tuple(r) for r in connection.execute(select(health_t))}
        due = {
            rid: at
            for rid, at in connection.execute(select(health_t.c.resource_id, health_t.c.next_check_at))
        }
    return health, due


def _history(
    engine: Engine, config: Config, seed: int, *, staged: bool, resources: int = 12, runs: int = 30
) -> list[tuple[dict, dict]]:
    """A random run history (every conclusion, runs left running, network failures), each run recorded in
    batches as a check records them; the summary and schedule after each run."""
    rng = random.Random(seed)
    ids = [r.id for r in many(resources)]
    statuses = list(Status)
    when, after = day(0), []
    for _ in range(runs):
        when += timedelta(hours=rng.randint(1, 60))
        picked = rng.sample(ids, rng.randint(0, len(ids)))
        conclusion = rng.choice(["complete", "complete", "interrupted", "inconclusive", "aborted", None])
        abandon_stale_runs(engine)  # what the next run lock holder does (pipeline.checkrun.locked_store)
        run_id = start_run(engine, "nightly", len(picked))
        results = [
            (
                rid,
                Outcome(
                    f"https://example.org/{rid}", rng.choice(statuses), network_failure=rng.random() < 0.3
                ),
            )
            for rid in picked
        ]
        for start in range(0, len(results), 5):
            batch = [(rid, outcome, when, ()) for rid, outcome in results[start : start + 5]]
            record_results(engine, run_id, batch, config.recheck if staged else None)
        if conclusion is not None:  # None: left running, aborted by the next lock holder
            finish_run(engine, run_id, conclusion, config)
        after.append(snapshot(engine))
    return after


@pytest.mark.parametrize("chunk", [2000, 3], ids=["one-step", "chunks-of-3"])
def test_rebuild_equals_the_incremental_summary(
    engine: Engine, config: Config, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with a run's results folded a few at a time (apply_run reads them in chunks)."""
    monkeypatch.setattr("pipeline.store.health.APPLY_CHUNK", chunk)
    sync_catalogue(engine, catalogue(many(25)))
    _history(engine, config, 20260301, staged=False, resources=25, runs=40)
    incremental = snapshot(engine)
    assert len(incremental[0]) > 15  # the sequence did apply results
    assert any(r.consecutive_failures > 1 for r in health_summaries(engine).values())
    with engine.begin() as connection:  # lose the summary, then rebuild it from the results
        connection.execute(health_t.delete())
    rebuild_health(engine, config)
    assert snapshot(engine) == incremental


def test_seeded_health_fills_gaps_and_never_overwrites_results(synced: Engine, config: Config) -> None:
    run(synced, config, {"a": OK}, day(5))
    seeds = [
        HealthSummary("a", BROKEN, day(1), None, day(0), 2, None, 404, 0.5),
        HealthSummary("b", BROKEN, day(1), day(0), day(1), 1, None, 404, 0.8),
        HealthSummary("gone", BROKEN, day(1), None, day(1), 1, None, 404, 0.1),
        HealthSummary("a", None, None, None, None, 0, None, None, None),
    ]
    assert seed_health(synced, seeds) == 1
    summaries = health_summaries(synced)
    assert summaries["a"].status == OK and not summaries["a"].seeded
    b = summaries["b"]
    assert (b.seeded, b.status, b.uptime, b.consecutive_failures, b.failing_since) == (
        True,
        BROKEN,
        0.8,
        1,
        day(1),
    )
    run(synced, config, {"b": BROKEN}, day(6))  # our own result continues the seeded streak
    b = health_summaries(synced)["b"]
    assert (b.seeded, b.consecutive_failures, b.failing_since, b.uptime) == (False, 2, day(1), 0.0)


def test_results_folded_as_they_are_recorded_conclude_as_if_folded_at_the_conclusion(
    engine: Engine, config: Config, tmp_path: Path
) -> None:
    """record_results with the run's recheck folds each batch ahead (pending_health); the conclusion then
    copies it in. Summary and schedule are the very ones the conclusion's own fold gives, after every run
    of a history with every conclusion, and every conclusion leaves no pending row."""
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    for store in (engine, other):
        sync_catalogue(store, catalogue(many(12)))
    staged = _history(engine, config, 7, staged=True)
    folded = _history(other, config, 7, staged=False)
    assert staged == folded
    assert sum(1 for health, _ in staged[-1:] for row in health.values() if row) > 5  # results did apply
    abandon_stale_runs(engine)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(pending_t)).scalar() == 0
    other.dispose()


def test_a_pending_row_is_written_with_its_results_and_goes_with_the_conclusion(
    synced: Engine, config: Config
) -> None:
    run_id = start_run(synced, "manual", 2)
    record_results(
        synced, run_id, [("a", Outcome("https://example.org/a", BROKEN, 404), day(0), ())], config.recheck
    )

    def pending() -> list[tuple]:
        with synced.connect() as connection:
            return [tuple(r) for r in connection.execute(select(pending_t.c.run_id, pending_t.c.resource_id))]

    assert pending() == [(run_id, "a")]
    with pytest.raises(StoreError):  # the same resource again: neither its result nor its pending row
        record_results(
            synced,
            run_id,
            [
                ("b", Outcome("https://example.org/b", OK), day(0), ()),
                ("a", Outcome("https://example.org/a", OK), day(0), ()),
            ],
            config.recheck,
        )
    assert pending() == [(run_id, "a")]
    assert health_summaries(synced)["a"].status is None  # nothing applied while it runs
    finish_run(synced, run_id, "inconclusive", config)
    assert pending() == [] and health_summaries(synced)["a"].status is None


MOVES = {
    # what moves the summary or schedule between a batch's fold and its run's conclusion
    "a newer run concluded first": "newer",
    "a summary restored from an export": "seeded",
    "the schedule changed": "schedule",
    "the summary was rebuilt without it": "rebuilt",
}


@pytest.mark.parametrize("move", MOVES.values(), ids=MOVES)
def test_a_fold_whose_summary_moved_since_is_done_again(
    engine: Engine, config: Config, tmp_path: Path, move: str
) -> None:
    """The conclusion folds again from the summary as it stands: the result is the one a fold at the
    conclusion gives, never one computed from a summary that is gone."""

    def scenario(store: Engine, staged: bool) -> tuple[dict, dict]:
        recheck = config.recheck if staged else None
        sync_catalogue(store, catalogue([resource("a", position=10), resource("b", position=20)]))
        run(store, config, {"a": BROKEN if move != "schedule" else OK}, day(0))
        late = start_run(store, "manual", 2)
        # a failure's next check does not depend on the schedule before it; a healthy result's does
        late_status = OK if move == "schedule" else BROKEN
        batch = [(rid, Outcome(f"https://example.org/{rid}", late_status), day(2), ()) for rid in ("a", "b")]
        record_results(store, late, batch, recheck)
        if move == "newer":
            run(store, config, {"a": OK, "b": OK}, day(3))
        elif move == "seeded":
            seed_health(store, [HealthSummary("b", BROKEN, day(1), None, day(1), 4, None, 500, 0.5)])
        elif move == "schedule":
            with store.begin() as connection:
                connection.execute(health_t.update().values(next_check_at=day(1)))
        else:
            with store.begin() as connection:
                connection.execute(health_t.delete())
        finish_run(store, late, "complete", config)
        return snapshot(store)

    other = open_store(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    assert scenario(engine, staged=True) == scenario(other, staged=False)
    other.dispose()
