"""A month in the life of the list: the real `python -m pipeline` over several simulated nights.

Every night is a subprocess of the real command line (`python -m pipeline ...`, run through runpy) whose
clock time-machine moves to that night, against a loopback server on three 127.x "hosts" that the test
reconfigures between nights (a page that dies, one that moves, the network going down, a recovery), with
a copy of six real catalogue resources in tmp_path. Each night asserts the exit code, what the summary
says, reports/health.md, the health fields of exports/roadmap.json and the notes in exports/README.md,
and the server's hit counts prove that healthy links are not re-fetched every night.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.crawl.server import LoopbackServer, redirect, reply
from tests.factory import page_document, page_timelines

IPS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
# Six real resources over three hosts (index into IPS), all interactive with good descriptions, so a
# healthy list has nothing for a human to do. aml-cheat-sheet (no verified URL yet) is left out: a pending
# URL is listed under "Needs a human" and a healthy list would exit 1.
RESOURCES = {
    "setosa-pca": 0,
    "setosa-ols-regression": 0,
    "mlu-explain": 1,
    "distill-momentum": 1,
    "visualizing-k-means": 2,
    "r2d3-visual-intro-ml": 2,
}
SECTIONS = ("interactive-intuition-tools", "visual-algorithm-explainers")
DYING = "mlu-explain"  # answers 404 from night 2 on, recovers on night 6
MOVING = "setosa-pca"  # answers 301 to NEW_PATH from night 4 on
NEW_PATH = "/ev/principal-component-analysis-v2/"
REPORTS = (
    "Reports: reports/health.md, reports/quality.md, reports/health.json, reports/index.html, "
    "reports/changes.md, reports/changes.atom"
)
UPDATED = "Exports: exports/README.md (updated), exports/roadmap.json (updated)"
# The real entry point, with the process clock set to the night (time-machine; tick: time still flows).
LAUNCH = (
    "import runpy, sys, time_machine; time_machine.travel(sys.argv[1], tick=True).start(); "
    "sys.argv = ['roadmap', *sys.argv[2:]]; runpy.run_module('pipeline', run_name='__main__', alter_sys=True)"
)


def page(title: str) -> str:
    prose = "<p>How the algorithm works, step by step, with a picture of every intermediate result.</p>" * 40
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{prose}</body></html>"
    )


GONE = reply(404, "<title>404 Not Found</title><h1>Not Found</h1>")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer(ips=IPS).start()
    yield running
    with contextlib.suppress(RuntimeError):  # stopped already (the network-down night)
        running.stop()


class Month:
    """The list in tmp_path: its catalogue copy, the server's routes, and one command per call."""

    def __init__(self, root: Path, server: LoopbackServer) -> None:
        self.root, self.server = root, server
        self.catalogue = root / "catalogue"
        self.paths: dict[str, str] = {}
        shutil.copytree(REPO / "catalogue", self.catalogue, ignore=shutil.ignore_patterns("resources"))
        (self.catalogue / "resources").mkdir()
        for rid in RESOURCES:
            text = (REPO / "catalogue" / "resources" / f"{rid}.yaml").read_text(encoding="utf-8")
            real = re.search(r"(?m)^url: (\S+)$", text)
            assert real is not None, rid
            path = "/" + real.group(1).split("/", 3)[3]  # the real URL's path, on a loopback host
            self.paths[rid] = path
            self.serve(rid, reply(200, page(rid)))
            local = text.replace(f"url: {real.group(1)}\n", f"url: {self.url(rid)}\n", 1)
            assert local != text, rid
            (self.catalogue / "resources" / f"{rid}.yaml").write_text(local, encoding="utf-8")
        sections = yaml.safe_load((self.catalogue / "sections.yaml").read_text(encoding="utf-8"))
        sections["sections"] = [s for s in sections["sections"] if s["id"] in SECTIONS]
        (self.catalogue / "sections.yaml").write_text(
            yaml.safe_dump(sections, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        config = (self.catalogue / "config.yaml").read_text(encoding="utf-8")
        quick = {"host_delay_ms": "0", "connect_timeout_s": "2.0", "read_timeout_s": "2.0"}
        for key, value in {**quick, "url_timeout_s": "5.0", "backoff_base_s": "0.05"}.items():
            config, n = re.subn(rf"(?m)^(  {key}: +)\S+", rf"\g<1>{value}", config)
            assert n == 1, key
        (self.catalogue / "config.yaml").write_text(config, encoding="utf-8")

    def url(self, rid: str, path: str | None = None) -> str:
        return self.server.url(path or self.paths[rid], IPS[RESOURCES[rid]])

    def serve(self, rid: str, handler: object, path: str | None = None) -> None:
        self.server.route(path or self.paths[rid], handler, ip=IPS[RESOURCES[rid]])  # type: ignore[arg-type]

    def hits(self) -> dict[str, int]:
        return {rid: self.server.hits(path) for rid, path in self.paths.items()}

    def roadmap(self, when: str, *args: str) -> tuple[int, list[str]]:
        """One real command at `when` (UTC): its exit code and stdout lines (stderr must be empty)."""
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, when, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "CI": "1", "ROADMAP_CATALOGUE": "catalogue"},
            check=False,
        )
        assert done.stderr == "", done.stderr
        return done.returncode, done.stdout.splitlines()

    def nightly(self, when: str, *extra: str) -> tuple[int, list[str], dict[str, int]]:
        """A night: the exit code, the summary lines, and how often each resource's path was requested."""
        before = self.hits()
        code, lines = self.roadmap(when, "nightly", "--allow-private-addresses", *extra)
        after = self.hits()
        return code, lines, {rid: after[rid] - before[rid] for rid in after}

    def text(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")

    def health(self) -> dict[str, dict[str, object]]:
        document = json.loads(self.text("exports/roadmap.json"))
        return {r["id"]: r["health"] for r in document["resources"]}

    def notes(self) -> dict[str, str]:
        """The README's health notes: resource title -> the note after its description."""
        found = re.findall(
            r"(?m)^\* \S+ \*\*\[(.+?)\]\(.*\)\*\* — .* · (.+)$", self.text("exports/README.md")
        )
        return dict(found)

    def exports(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((self.root / "exports").iterdir())}


def statuses(health: dict[str, dict[str, object]]) -> dict[str, object]:
    return {rid: h["status"] for rid, h in health.items()}


def without_when(document: bytes) -> dict[str, object]:
    """An export with the times of checking (and the uptime share) left out."""
    data = json.loads(document)
    for resource in data["resources"]:
        for key in ("checked_at", "last_ok_at", "uptime"):
            resource["health"].pop(key)
    data.pop("generated_at")
    return data


def section(markdown: str, title: str) -> list[str]:
    """The non-empty lines of one '## ' section of health.md (without its heading)."""
    match = re.search(rf"(?ms)^## {re.escape(title)}.*?\n(.*?)(?=^## |\Z)", markdown)
    assert match is not None, f"no section {title!r} in:\n{markdown}"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_a_month_in_the_life_of_the_list(tmp_path: Path, server: LoopbackServer) -> None:
    month = Month(tmp_path, server)
    everyone = dict.fromkeys(RESOURCES, 1)
    nobody = dict.fromkeys(RESOURCES, 0)
    dying_title = "MLU-Explain"
    moving_title = "Explained Visually: Principal Component Analysis"

    # Night 1: everything answers. Healthy: exit 0, nothing for a human, no note in the README.
    code, lines, hits = month.nightly("2026-12-01T03:00:00Z")
    assert (code, lines) == (
        0,
        [
            "roadmap nightly: healthy",
            "Catalogue: 6 added since the last sync.",
            "Checked: 6 of 6 due resources (run #1, complete): 6 ok.",
            "Changed: nothing since the previous run.",
            "Needs a human: nothing.",
            REPORTS,
            UPDATED,
        ],
    )
    assert hits == everyone  # never checked: all due, each fetched once (HEAD or GET)
    health_md = month.text("reports/health.md")
    assert "| ok | 6 |" in health_md
    assert section(health_md, "Needs a human") == [
        "Nothing: every link works or is still within its grace period."
    ]
    assert statuses(month.health()) == dict.fromkeys(RESOURCES, "ok")
    assert month.notes() == {}
    page_urls = {row[0]: row[2] for row in page_document(month.text("reports/index.html"))["rows"]}
    assert all(page_urls[rid] == month.url(rid) for rid in RESOURCES)

    # Night 2 (two days later, everything due again): mlu-explain answers 404. Flaky is not dead:
    # failing since tonight, not broken; only watched, so the night is healthy (exit 0, documented rule).
    month.serve(DYING, GONE)
    code, lines, hits = month.nightly("2026-12-03T03:00:00Z")
    assert (code, lines) == (
        0,
        [
            "roadmap nightly: healthy; failing but not broken yet (flaky is not dead): mlu-explain",
            "Catalogue: no changes since the last sync.",
            "Checked: 6 of 6 due resources (run #2, complete): 5 ok, 1 broken.",
            "Changed: Started failing (not broken yet): mlu-explain.",
            "Needs a human: nothing.",
            REPORTS,
            UPDATED,
        ],
    )
    assert hits == everyone  # 48 h after the first check the healthy ones were due (interval 40 h)
    health_md = month.text("reports/health.md")
    assert section(health_md, "Needs a human")[0] == (
        "Nothing: every link works or is still within its grace period."
    )
    assert "mlu-explain" in section(health_md, "What changed since the previous run")[1]
    health = month.health()
    assert health[DYING]["failing_since"] == "2026-12-03T03:00:00Z"
    assert (health[DYING]["consecutive_failures"], health[DYING]["broken"]) == (1, False)
    assert month.notes() == {dying_title: "⚠️ link failing since 2026-12-03"}

    # Night 3 (next day): only the failing link is due (re-checked within min_hours); still 404 -> broken.
    code, lines, hits = month.nightly("2026-12-04T03:00:00Z")
    assert (code, lines) == (
        1,
        [
            "roadmap nightly: problems found: 1 resource needs a human, 1 quality error",
            "Catalogue: no changes since the last sync.",
            "Checked: 1 of 1 due resource (run #3, complete): 1 broken.",
            "Changed: Newly broken: mlu-explain.",
            "Needs a human (1 resource):",
            "  Fix the URL — Find where the resource lives now and update `url` in its file.",
            "    - mlu-explain — broken (HTTP 404) in 2 runs in a row, since 2026-12-03 — http-404: HTTP 404",
            REPORTS,
            UPDATED,
        ],
    )
    assert hits == {**nobody, DYING: 1}  # the healthy ones are not re-fetched
    health_md = month.text("reports/health.md")
    needs = section(health_md, "Needs a human")
    assert needs[0] == "### Fix the URL (1)"
    assert needs[2] == (
        f"- [ ] [MLU-Explain]({month.url(DYING)}) · Visual Algorithm Explainers · "
        "`catalogue/resources/mlu-explain.yaml` — broken (HTTP 404) in 2 runs in a row, since 2026-12-03 "
        "— http-404: HTTP 404"
    )
    health = month.health()
    assert (health[DYING]["status"], health[DYING]["broken"], health[DYING]["consecutive_failures"]) == (
        "broken",
        True,
        2,
    )
    assert month.notes() == {dying_title: "❌ broken since 2026-12-03"}

    # Night 4 (three days later, all due): setosa-pca moved for good (301 to a new path).
    month.serve(MOVING, reply(200, page(MOVING)), path=NEW_PATH)
    month.serve(MOVING, redirect(month.url(MOVING, NEW_PATH)))
    code, lines, hits = month.nightly("2026-12-07T03:00:00Z")
    assert code == 1
    assert lines[2:4] == [
        "Checked: 6 of 6 due resources (run #4, complete): 4 ok, 1 broken, 1 redirected.",
        "Changed: Moved for good: setosa-pca.",
    ]
    todo = "Run `roadmap fix redirects` (or update `url` by hand) and open a pull request."
    assert f"  Update a moved URL — {todo}" in lines
    assert f"    - setosa-pca — moved for good to {month.url(MOVING, NEW_PATH)} (HTTP 200)" in lines
    assert hits == everyone
    assert "### Update a moved URL (1)" in section(month.text("reports/health.md"), "Needs a human")
    health = month.health()
    assert (health[MOVING]["status"], health[MOVING]["final_url"]) == (
        "redirected",
        month.url(MOVING, NEW_PATH),
    )
    assert month.notes() == {
        dying_title: "❌ broken since 2026-12-03",
        moving_title: f"↪️ moved to <{month.url(MOVING, NEW_PATH)}>",
    }

    # `roadmap fix redirects` rewrites that one url line and nothing else, byte for byte.
    moving_file = month.catalogue / "resources" / f"{MOVING}.yaml"
    before = moving_file.read_bytes()
    others = {p.name: p.read_bytes() for p in (month.catalogue / "resources").iterdir() if p != moving_file}
    code, fixed = month.roadmap("2026-12-07T04:00:00Z", "fix", "redirects")
    assert (code, fixed) == (
        0,
        [
            f"catalogue/resources/{MOVING}.yaml: changed url {month.url(MOVING)} -> "
            f"{month.url(MOVING, NEW_PATH)}",
            "1 url(s) changed",
        ],
    )
    assert moving_file.read_bytes() == before.replace(
        f"url: {month.url(MOVING)}\n".encode(), f"url: {month.url(MOVING, NEW_PATH)}\n".encode()
    )
    assert moving_file.read_bytes() != before
    assert {
        p.name: p.read_bytes() for p in (month.catalogue / "resources").iterdir() if p != moving_file
    } == (others)

    # The same night, again: the changed URL is due at once and its new address is simply ok.
    code, lines, hits = month.nightly("2026-12-07T05:00:00Z")
    assert code == 1  # mlu-explain is still broken
    assert lines[1:4] == [
        "Catalogue: 1 changed since the last sync.",
        "Checked: 1 of 1 due resource (run #5, complete): 1 ok.",
        "Changed: nothing since the previous run.",
    ]
    assert server.hits(NEW_PATH) == 2  # once as the redirect's target last night, once now
    assert hits == nobody  # the old path is no longer asked for
    health = month.health()
    assert (health[MOVING]["status"], health[MOVING]["final_url"]) == ("ok", None)
    assert month.notes() == {dying_title: "❌ broken since 2026-12-03"}
    assert "Update a moved URL" not in month.text("reports/health.md")
    published = month.exports()

    # Night 5: the network is down (every host refuses). Inconclusive, exit 3, nothing newly broken,
    # the exports are byte-identical, and the status page draws the night as "not judged".
    server.stop()
    code, lines, hits = month.nightly("2026-12-08T03:00:00Z")
    assert code == 3
    assert lines[0].startswith("roadmap nightly: inconclusive: the network looks down: ")
    assert "Checked: 1 of 1 due resource (run #6, inconclusive)." in lines
    assert "Changed" not in " ".join(lines)
    assert lines[-1] == "Exports: exports/README.md (unchanged), exports/roadmap.json (unchanged)"
    assert month.exports() == published
    health_md = month.text("reports/health.md")
    assert "> **The latest run was inconclusive**: the network looks down: " in health_md
    assert section(health_md, "What changed since the previous run") == ["Nothing changed."]
    assert "Newly broken" not in health_md
    assert "| broken | 1 |" in health_md and "| ok | 5 |" in health_md  # the last known health
    nights = {rid: t.split(" | ") for rid, t in page_timelines(month.text("reports/index.html")).items()}
    assert nights[DYING][-1] == "not judged (network)"  # mlu-explain was due
    assert {n[-1] for rid, n in nights.items() if rid != DYING} <= {"not checked", "not judged (network)"}

    # Night 6: the network is back and mlu-explain answers again: recovered, its README note gone.
    server.start()
    month.serve(DYING, reply(200, page(DYING)))
    code, lines, hits = month.nightly("2026-12-09T03:00:00Z")
    assert (code, lines[0]) == (0, "roadmap nightly: healthy")
    assert "Changed: Recovered: mlu-explain." in lines
    assert "Needs a human: nothing." in lines
    assert hits[DYING] == 1
    assert section(month.text("reports/health.md"), "What changed since the previous run")[0] == (
        "### Recovered (1)"
    )
    assert statuses(month.health()) == dict.fromkeys(RESOURCES, "ok")
    assert month.notes() == {}
    published = month.exports()

    # Night 7: a CI runner lost its cache (the database is gone). The committed export seeds the health:
    # nothing is reported newly broken or recovered. By design (tests/nightly) a new database checks every
    # link once; all are still ok, so the README is byte-identical and the JSON differs only in when.
    for leftover in tmp_path.glob("roadmap.db*"):
        leftover.unlink()
    code, lines, hits = month.nightly("2026-12-09T05:00:00Z")
    assert (code, lines[:5]) == (
        0,
        [
            "roadmap nightly: healthy",
            "Catalogue: 6 added since the last sync.",
            "Database: new; the health of 6 resources was restored from exports/roadmap.json.",
            "Checked: 6 of 6 due resources (run #1, complete): 6 ok.",
            "Changed: nothing since the previous run.",
        ],
    )
    assert hits == {**everyone, MOVING: 0}  # setosa-pca lives at NEW_PATH now
    now = month.exports()
    assert now["README.md"] == published["README.md"]
    # uptime: the export holds only a share, so after a lost database it restarts from our own checks.
    assert without_when(now["roadmap.json"]) == without_when(published["roadmap.json"])
    assert section(month.text("reports/health.md"), "What changed since the previous run") == [
        "Nothing changed."
    ]

    # Checking budget: an hour later nothing is due (nothing fetched); --all fetches everything now.
    code, lines, hits = month.nightly("2026-12-09T06:00:00Z")
    assert (code, hits) == (0, nobody)
    assert "Checked: nothing was due; the next check is due at 2026-12-10T21:00:00Z." in lines
    code, lines, hits = month.nightly("2026-12-09T06:30:00Z", "--all")
    assert (code, hits) == (0, {**everyone, MOVING: 0})
    assert "Checked: 6 of 6 due resources (run #2, complete): 6 ok." in lines
    assert server.hits(NEW_PATH) == 5  # nights 4 (redirect target), 4 again, 6 (due), 7 and --all
