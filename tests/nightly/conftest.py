"""A small catalogue in tmp_path whose links point at a loopback server the test controls; another process
that holds the run lock."""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.crawl.server import LoopbackServer, reply

TEMPLATE = REPO / "catalogue" / "resources" / "statquest.yaml"
SECTION = "probability-statistics"  # the template's
IPS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
NIGHT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # the night the nightly tests run at


def page(rid: str) -> str:
    prose = f"<p>How {rid} works, step by step, with pictures of every intermediate result.</p>" * 40
    head = f"<!doctype html><html><head><title>Notes on {rid}</title></head>"
    return f"{head}<body><h1>{rid}</h1>{prose}</body></html>"


def write_catalogue(root: Path, urls: dict[str, str]) -> Path:
    """The real catalogue's roadmap, sections and config, with only the given resources (id -> url)."""
    catalogue = root / "catalogue"
    shutil.copytree(REPO / "catalogue", catalogue, ignore=shutil.ignore_patterns("resources"))
    (catalogue / "resources").mkdir()
    # Only the section the template resource belongs to: a section without resources is invalid.
    sections = yaml.safe_load((catalogue / "sections.yaml").read_text())
    sections["sections"] = [s for s in sections["sections"] if s["id"] == SECTION]
    (catalogue / "sections.yaml").write_text(yaml.safe_dump(sections, sort_keys=False, allow_unicode=True))
    template = TEMPLATE.read_text()
    for position, (rid, url) in enumerate(urls.items(), start=1):
        text = re.sub(r"(?m)^id: .*$", f"id: {rid}", template)
        text = re.sub(r"(?m)^title: .*$", f"title: Visual notes {rid}", text)
        text = re.sub(r"(?m)^position: .*$", f"position: {position * 10}", text)
        text = re.sub(r"(?m)^url: .*$", f"url: {url}", text)
        (catalogue / "resources" / f"{rid}.yaml").write_text(text)
    return catalogue


def query(database: Path, sql: str, *args: object) -> list[tuple]:
    """Read the store the way an operator would: a separate connection."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer(ips=IPS).start()
    yield running
    with contextlib.suppress(RuntimeError):  # a test may have stopped it already (network down)
        running.stop()


def serve_ok(server: LoopbackServer, rid: str, ip: str = IPS[0]) -> str:
    return server.route(f"/{rid}", reply(200, page(rid)), ip=ip)


def serve_gone(server: LoopbackServer, rid: str, ip: str = IPS[0]) -> str:
    return server.route(f"/{rid}", reply(404, "<title>404 Not Found</title><h1>Not Found</h1>"), ip=ip)


HOLDER = """
import sys
from pipeline.lock import run_lock
with run_lock(sys.argv[1], command=sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def lock_holder(url: str, command: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the run lock of url as `command` until it is killed (never past the block)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        with holder:  # closes its pipes, whichever way it ended
            if holder.poll() is None:
                holder.kill()
            holder.wait(timeout=10)
