"""Issue 10 §1: an outage or an interrupted run never reads "broken" on any surface.

A failure at the network level (refused, no name, unreachable) is judged only by a run that went to the
end without looking like an outage. Everywhere else (the live progress line, `check` text and JSON, the
nightly summary and its JSON, health.md/.json, index.html) it reads pipeline.status.NOT_JUDGED.
Loopback hosts: a stopped server refuses every connection (network down); 127.0.0.9 has no listener.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from pipeline.cli.nightly import render_text
from pipeline.cli.render import live_line
from pipeline.nightly import NightlyRequest, run_nightly
from pipeline.status import NOT_JUDGED, Outcome, Status
from tests.cli import roadmap
from tests.crawl.server import LoopbackServer, Request, reply
from tests.nightly.conftest import IPS, page, query, serve_ok, write_catalogue

NIGHT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
NOBODY = "127.0.0.9"  # no server listens there: every connection is refused
BOUND_S = 30
FAILING_WORDS = re.compile(r"\b(broken|timeout|server_error|tls_error)\b")


def fast(catalogue: Path) -> Path:
    """No politeness gap and short back-off: refused connections are retried, but quickly."""
    config = catalogue / "config.yaml"
    text = re.sub(r"(?m)^  host_delay_ms: \d+", "  host_delay_ms: 0", config.read_text())
    text = re.sub(r"(?m)^  backoff_base_s: [\d.]+", "  backoff_base_s: 0.05", text)
    config.write_text(text)
    return catalogue


@pytest.fixture
def on_three_hosts(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "1")
    urls = {rid: serve_ok(server, rid, ip) for rid, ip in zip(("alpha", "beta", "gamma"), IPS, strict=True)}
    return fast(write_catalogue(tmp_path, urls))


def refused(outcome_status: Status = Status.BROKEN) -> Outcome:
    return Outcome(
        url="https://x.example/", status=outcome_status, error_class="connect", network_failure=True
    )


# ----------------------------------------------------------------------------------- the live line


@pytest.mark.parametrize(
    ("outcome", "line"),
    [
        (refused(), f"kaggle-datasets: {NOT_JUDGED}"),
        (refused(Status.TIMEOUT), f"kaggle-datasets: {NOT_JUDGED}"),  # unreachable, connect time-out
        (Outcome(url="https://x.example/", status=Status.BROKEN, http_status=404), "kaggle-datasets: broken"),
        (Outcome(url="https://x.example/", status=Status.OK, http_status=200), "kaggle-datasets: ok"),
    ],
    ids=["refused", "unreachable", "http-404", "ok"],
)
def test_the_live_line_never_calls_a_network_failure_broken(outcome: Outcome, line: str) -> None:
    assert live_line("kaggle-datasets", outcome) == line


def test_the_nightly_progress_uses_the_same_live_line() -> None:
    import io

    from rich.console import Console

    from pipeline.cli.nightly import terminal_progress

    with terminal_progress(True, Console(file=io.StringIO(), force_terminal=True, width=200)) as progress:
        assert progress is not None
        progress.stage("check")
        advance = progress.checking(2)
        advance("kaggle-datasets", refused())
        (task,) = progress.bar.tasks
        assert task.fields["now"] == f"kaggle-datasets: {NOT_JUDGED}"


def test_the_live_progress_on_a_terminal_with_the_network_down(
    on_three_hosts: Path, server: LoopbackServer, tmp_path: Path
) -> None:
    """The real command on a pseudo-terminal (the progress bar shows): every host refuses."""
    server.stop()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "ROADMAP_DATABASE_URL")}
    env |= {"COLUMNS": "200", "TERM": "xterm"}
    primary, secondary = pty.openpty()
    command = [sys.executable, "-m", "pipeline", "check", "--allow-private-addresses"]
    command += ["--catalogue", str(on_three_hosts), "--database", f"sqlite:///{tmp_path}/r.db"]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + BOUND_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=BOUND_S)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode("utf-8", "replace"))
    assert process.returncode == 3, text
    assert f": {NOT_JUDGED}" in text  # the progress bar's last result
    assert not FAILING_WORDS.search(text), text


# ----------------------------------------------------------------------------------- roadmap check


def test_check_with_the_network_down_names_no_failing_status(
    on_three_hosts: Path, server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.stop()  # every host refuses: our network, not their links
    args = ("check", "--allow-private-addresses", "--catalogue", str(on_three_hosts))
    code, out, _ = roadmap(capsys, *args, "--database", f"sqlite:///{tmp_path}/r.db", "--format", "json")
    document = json.loads(out)
    assert (code, document["run"]["outcome"], document["inconclusive"]) == (3, "inconclusive", True)
    assert document["run"]["counts"] == {NOT_JUDGED: 3}
    assert {(r["shown"], r["judged"], r["network_failure"]) for r in document["results"]} == {
        (NOT_JUDGED, False, True)
    }

    code, out, _ = roadmap(capsys, *args, "--database", f"sqlite:///{tmp_path}/r.db")
    assert code == 3
    lines = out.splitlines()
    assert f"{NOT_JUDGED}     3" in lines
    listed = {line.split()[0]: line for line in lines if line.startswith(("alpha", "beta", "gamma"))}
    assert sorted(listed) == ["alpha", "beta", "gamma"]
    assert all(f"  {NOT_JUDGED}  " in line for line in listed.values())
    assert not FAILING_WORDS.search(out), out


# ----------------------------------------------------------------------------------- roadmap nightly


def test_a_network_down_night_names_no_failing_status_on_any_surface(
    on_three_hosts: Path, server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nightly = ("nightly", "--allow-private-addresses", "--all")
    with time_machine.travel(NIGHT, tick=True):
        assert roadmap(capsys, *nightly)[0] == 0
    server.stop()
    with time_machine.travel(NIGHT + timedelta(days=1), tick=True):
        code, out, _ = roadmap(capsys, *nightly)
    assert code == 3
    assert "Checked: 3 of 3 due resources (run #2, inconclusive)." in out.splitlines()
    assert not FAILING_WORDS.search(out), out
    with time_machine.travel(NIGHT + timedelta(days=1, hours=1), tick=True):
        code, out, _ = roadmap(capsys, *nightly, "--format", "json")
    assert json.loads(out)["run"]["counts"] == {NOT_JUDGED: 3}

    # (The second down night changed nothing but the run list: health.json was kept as the first wrote it.)
    health = json.loads((tmp_path / "reports" / "health.json").read_text())
    assert [run["counts"] for run in health["runs"]] == [{"ok": 3}, {NOT_JUDGED: 3}]
    assert {r["id"]: r["history"] for r in health["resources"]} == {
        rid: ["ok", NOT_JUDGED] for rid in ("alpha", "beta", "gamma")
    }
    assert health["states"] == {"ok": 3}
    for name in ("health.md", "index.html"):
        text = (tmp_path / "reports" / name).read_text()
        assert not re.search(r'\b(broken|failing) \(|: broken|"badge (broken|failing)"', text), name
    assert "## Needs a human (0)" in (tmp_path / "reports" / "health.md").read_text()


def signal_once_written(database: Path, results: int) -> object:
    """A handler that waits (bounded) until `results` results are stored, then SIGTERMs this process and
    stays slow, so its own request is in flight when the stop comes."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        deadline = time.monotonic() + BOUND_S / 3
        while time.monotonic() < deadline:
            try:
                if query(database, "SELECT count(*) FROM check_result")[0][0] >= results:
                    break
            except sqlite3.OperationalError:  # not created or not migrated yet
                pass
            await asyncio.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(5)
        return await reply(200, page("late"))(request, writer)

    return handler


def test_an_interrupted_nightly_with_a_dead_host_names_no_failing_status(
    server: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The SIGTERM scenario of the issue ("30 broken, 1 skipped"): one host refuses, the run is stopped
    before it could tell a dead host from a dead network. Those results are history, not verdicts."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "roadmap.db"
    urls = {"alpha": serve_ok(server, "alpha", IPS[0])}
    urls |= {rid: f"http://{NOBODY}:{server.port}/{rid}" for rid in ("dead-1", "dead-2", "dead-3")}
    urls["last"] = server.route("/last", signal_once_written(database, 4), ip=IPS[1])
    catalogue = fast(write_catalogue(tmp_path, urls))

    result = run_nightly(
        NightlyRequest(catalogue, f"sqlite:///{database}", check_all=True, allow_private_addresses=True)
    )
    assert (result.exit_code, result.interrupted, result.check.run.conclusion) == (3, True, "interrupted")
    assert result.check.run.counts == {NOT_JUDGED: 3, "ok": 1}
    assert result.check.message == (
        f"interrupted after 4 of 5 resources; checked 4 resources: 3 {NOT_JUDGED}, 1 ok"
    )
    summary = render_text(result)
    assert f"Checked: 4 of 5 due resources (run #1, interrupted): 3 {NOT_JUDGED}, 1 ok." in summary
    assert not FAILING_WORDS.search("\n".join(summary))
    assert json.loads(json.dumps(result.to_json()))["run"]["counts"] == {NOT_JUDGED: 3, "ok": 1}
    # Kept as history, not applied: the dead-looking resources have no verdict and stay due.
    assert query(database, "SELECT resource_id, status FROM resource_health ORDER BY 1") == [("alpha", "ok")]
    assert query(database, "SELECT count(*) FROM check_result WHERE network_failure") == [(3,)]

    # roadmap runs and roadmap history say the same.
    where = ("--catalogue", str(catalogue), "--database", f"sqlite:///{database}")
    code, out, _ = roadmap(capsys, "runs", *where)
    assert code == 0 and f"3 {NOT_JUDGED}, 1 ok" in out and not FAILING_WORDS.search(out), out
    code, out, _ = roadmap(capsys, "history", "dead-1", *where)
    assert code == 0 and f"{NOT_JUDGED} (run interrupted)" in out, out
    assert not FAILING_WORDS.search(out) and "Incidents: none." in out, out
    code, out, _ = roadmap(capsys, "history", "dead-1", *where, "--format", "json")
    (checked,) = json.loads(out)["checks"]
    assert (checked["status"], checked["shown"], checked["judged"]) == ("broken", NOT_JUDGED, False)
