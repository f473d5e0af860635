"""Read-side history: incidents from the first failure to the recovery, one resource's checks, recent runs,
and the `roadmap runs` / `roadmap history` commands (exit codes and the exact text a user sees)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pipeline.status import Evidence
from pipeline.store.history import CheckRecord, find_resource, incidents, recent_runs, resource_checks
from tests.cli import roadmap
from tests.factory import T0, days, make_catalogue, make_store, outcome, record_run


def check(n: int, status: str, run_conclusion: str = "complete", **fields) -> CheckRecord:
    values = {
        "run_id": n,
        "run_conclusion": run_conclusion,
        "checked_at": T0 + days(n),
        "url": "https://example.org/x",
        "status": status,
        "http_status": 200 if status == "ok" else 404,
        "final_url": None,
        "elapsed_ms": 100,
        "evidence": (),
    }
    values.update(fields)
    return CheckRecord(**values)


INCIDENT_CASES = {
    "never failed": (["ok", "ok", "redirected"], []),
    "one recovered": (["ok", "broken", "broken", "ok"], [(1, 3, 2)]),
    "ongoing": (["ok", "timeout", "broken"], [(1, None, 2)]),
    "two": (["broken", "ok", "server_error", "ok"], [(0, 1, 1), (2, 3, 1)]),
    "blocked neither starts nor ends": (["blocked", "broken", "blocked", "ok"], [(1, 3, 1)]),
}


@pytest.mark.parametrize(("statuses", "expected"), INCIDENT_CASES.values(), ids=INCIDENT_CASES.keys())
def test_incidents(statuses: list[str], expected: list[tuple[int, int | None, int]]) -> None:
    found = incidents(check(n, s) for n, s in enumerate(statuses))
    assert [(i.started_run, i.ended_run, i.failures) for i in found] == expected
    for incident, (start, end, _) in zip(found, expected, strict=True):
        assert incident.started_at == T0 + days(start)
        assert incident.ended_at == (None if end is None else T0 + days(end))
        assert incident.ongoing is (end is None)


def test_an_inconclusive_run_neither_starts_nor_ends_an_incident() -> None:
    checks = [
        check(0, "ok"),
        check(1, "broken", "inconclusive"),  # the network was down: not judged
        check(2, "broken"),
        check(3, "ok", "aborted"),
        check(4, "ok"),
    ]
    [incident] = incidents(checks)
    assert (incident.started_run, incident.ended_run, incident.failures) == (2, 4, 1)


def test_incident_evidence_is_the_first_failures() -> None:
    first = check(1, "soft_404", evidence=(Evidence("title-not-found", "title says 'Page not found'"),))
    [incident] = incidents([check(0, "ok"), first, check(2, "broken", http_status=410)])
    assert incident.status == "soft_404"
    assert incident.evidence == "HTTP 404 — title-not-found: title says 'Page not found'"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    catalogue = make_catalogue()
    engine = make_store(tmp_path, catalogue)
    url = "https://example.org/essence-of-calculus"
    record_run(
        engine, catalogue, T0, {"essence-of-calculus": outcome(url, "ok", elapsed_ms=120), "cs229": "ok"}
    )
    record_run(
        engine,
        catalogue,
        T0 + days(1),
        {
            "essence-of-calculus": outcome(
                url, "broken", evidence=(Evidence("http-404", "the server said 404 Not Found"),)
            )
        },
        conclusion="inconclusive",
        note="the network looks down",
    )
    record_run(
        engine,
        catalogue,
        T0 + days(2),
        {"essence-of-calculus": outcome(url, "broken", evidence=(Evidence("http-404", "404 Not Found"),))},
    )
    record_run(engine, catalogue, T0 + days(3), {"essence-of-calculus": outcome(url, "redirected")})
    yield engine, f"{engine.url}"
    engine.dispose()


def test_queries(store) -> None:
    engine, _ = store
    assert [r.id for r in recent_runs(engine, 3)] == [4, 3, 2]
    checks = resource_checks(engine, "essence-of-calculus")
    assert [(c.run_id, c.status, c.judged) for c in checks] == [
        (1, "ok", True),
        (2, "broken", False),
        (3, "broken", True),
        (4, "redirected", True),
    ]
    assert checks[0].elapsed_ms == 120
    assert [c.run_id for c in resource_checks(engine, "essence-of-calculus", limit=2)] == [3, 4]
    assert find_resource(engine, "cs229").title == "Stanford CS229 — Machine Learning"
    assert find_resource(engine, "nope") is None


def test_runs_command_text(capsys, store) -> None:
    _, database = store
    code, out, err = roadmap(capsys, "runs", "--database", database, "--limit", "2")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "run  started               trigger  outcome   checked  duration  results",
        "#4   2026-11-23 03:00 UTC  nightly  complete  1/1      0s        1 redirected",
        "#3   2026-11-22 03:00 UTC  nightly  complete  1/1      0s        1 broken",
    ]
    code, out, _ = roadmap(capsys, "runs", "--database", database)
    assert code == 0
    assert out.splitlines()[-1] == "#2: the network looks down"
    assert "#1   2026-11-20 03:00 UTC  nightly  complete      2/2      0s        2 ok" in out


def test_runs_command_json(capsys, store) -> None:
    _, database = store
    code, out, _ = roadmap(capsys, "runs", "--database", database, "--limit", "1", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "runs": [
            {
                "id": 4,
                "started_at": "2026-11-23T03:00:00Z",
                "finished_at": "2026-11-23T03:00:00Z",
                "duration_s": 0.0,
                "trigger": "nightly",
                "outcome": "complete",
                "total": 1,
                "checked": 1,
                "counts": {"redirected": 1},
                "note": None,
            }
        ]
    }


def test_runs_reads_the_database_from_the_environment_without_the_flag(
    capsys, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, database = store
    monkeypatch.setenv("ROADMAP_DATABASE_URL", database)
    code, out, _ = roadmap(capsys, "runs", "--limit", "1")
    assert code == 0
    assert out.splitlines()[1].startswith("#4   2026-11-23 03:00 UTC  nightly  complete")


def test_runs_on_an_empty_database(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    code, out, _ = roadmap(capsys, "runs", "--database", f"sqlite:///{tmp_path}/new.db")
    assert (code, out) == (0, "No check has run yet. Run `roadmap check` or `roadmap nightly`.\n")


def test_history_command_text(capsys, store) -> None:
    _, database = store
    code, out, err = roadmap(capsys, "history", "essence-of-calculus", "--database", database)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "essence-of-calculus · 3Blue1Brown: Essence of Calculus · calculus",
        "URL: https://example.org/essence-of-calculus",
        "",
        "Checks (oldest first):",
        "when                  run  status                                 HTTP  final URL"
        "                                      evidence",
        "2026-11-20 03:00 UTC  #1   ok                                     200   -"
        "                                              -",
        "2026-11-21 03:00 UTC  #2   broken (run inconclusive: not judged)  404   -"
        "                                              http-404: the server said 404 Not Found",
        "2026-11-22 03:00 UTC  #3   broken                                 404   -"
        "                                              http-404: 404 Not Found",
        "2026-11-23 03:00 UTC  #4   redirected                             301   "
        "https://example.org/essence-of-calculus/moved  -",
        "",
        "Incidents (1):",
        "  broken from 2026-11-22 03:00 UTC (run #3), recovered 2026-11-23 03:00 UTC (run #4); "
        "1 failing check — HTTP 404 — http-404: 404 Not Found",
    ]


def test_history_command_json_and_limit(capsys, store) -> None:
    _, database = store
    code, out, _ = roadmap(
        capsys, "history", "essence-of-calculus", "--database", database, "--limit", "1", "--format", "json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["resource"]["id"] == "essence-of-calculus"
    assert [c["run_id"] for c in document["checks"]] == [4]
    assert document["checks"][0]["final_url"] == "https://example.org/essence-of-calculus/moved"
    assert document["incidents"] == [
        {
            "status": "broken",
            "started_at": "2026-11-22T03:00:00Z",
            "started_run": 3,
            "ended_at": "2026-11-23T03:00:00Z",
            "ended_run": 4,
            "failures": 1,
            "evidence": "HTTP 404 — http-404: 404 Not Found",
        }
    ]


def test_history_of_a_resource_never_checked(capsys, store) -> None:
    _, database = store
    code, out, _ = roadmap(capsys, "history", "aml-cheat-sheet", "--database", database)
    assert code == 0
    assert out.splitlines() == [
        "aml-cheat-sheet · aml-cheat-sheet · cheatsheets",
        "URL: (none: awaiting a verified URL)",
        "",
        "Never checked.",
    ]


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_history_of_an_unknown_id_exits_2_with_one_line(capsys, store, output_format: str) -> None:
    _, database = store
    code, out, err = roadmap(
        capsys, "history", "no-such-thing", "--database", database, "--format", output_format
    )
    assert (code, out) == (2, "")
    assert err == (
        "roadmap: error: no resource 'no-such-thing' in the database (see `roadmap runs`; "
        "`roadmap sync` records new catalogue entries)\n"
    )


def test_duration_is_readable() -> None:
    from pipeline.cli.runs import duration

    start = datetime(2026, 11, 20, 3, 0)
    assert duration(start, None) == "running"
    assert duration(start, start + timedelta(seconds=42)) == "42s"
    assert duration(start, start + timedelta(minutes=20, seconds=3)) == "20m 03s"
    assert duration(start, start + timedelta(hours=2, minutes=5)) == "2h 05m"
