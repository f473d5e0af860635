"""`roadmap check`: exit codes and the text a user sees, on a copy of the real catalogue."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import roadmap
from tests.conftest import REPO
from tests.crawl.helpers import html
from tests.crawl.server import LoopbackServer, redirect, reply


@pytest.fixture
def catalogue_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "1")
    target = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", target)
    config = target / "config.yaml"  # no politeness gap towards our own test server
    config.write_text(re.sub(r"(?m)^  host_delay_ms: \d+", "  host_delay_ms: 0", config.read_text()))
    return target


def test_offline_machine_ends_inconclusive(
    catalogue_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_names(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_names)
    code, out, _ = roadmap(
        capsys, "check", "--catalogue", str(catalogue_copy), "--database", f"sqlite:///{tmp_path}/r.db"
    )
    assert code == 3
    last = out.rstrip().splitlines()[-1]
    assert re.fullmatch(
        r"the network looks down: (\d+) of \1 hosts failed before any HTTP answer \(\1 names not found\); "
        r"no resource's health was changed( \(stopped after \d+ of \d+ resources\))?",  # doomed early:
        last,  # the validation may end while the last hosts are asked (a slow machine), and then no
    ), last  # host left untried can change the verdict
    assert " broken " not in out  # not "21 dead links"
    assert "not judged" in out


@pytest.fixture
def small_catalogue(catalogue_copy: Path) -> Iterator[tuple[Path, LoopbackServer]]:
    """The real catalogue with every URL pointing at a loopback server: one 404, one 301, the rest ok."""
    with LoopbackServer(ips=("127.0.0.2",)) as server:
        files = sorted((catalogue_copy / "resources").glob("*.yaml"))
        with_url = [f for f in files if re.search(r"(?m)^url: ", f.read_text())]
        for index, path in enumerate(with_url):
            route = {0: "/gone", 1: "/old"}.get(index, f"/ok/{path.stem}")
            if route.startswith("/ok"):
                server.route(route, reply(200, html(f"Notes about {path.stem}", f"<p>{path.stem} " * 300)))
            path.write_text(re.sub(r"(?m)^url: .*$", f"url: {server.url(route)}", path.read_text()))
        server.route("/old", redirect(server.url(f"/ok/{with_url[2].stem}")))
        yield catalogue_copy, server


def _ids_by_route(catalogue_dir: Path, server: LoopbackServer) -> tuple[str, str, str, int, int]:
    """(an ok id, the 404 id, the 301 id, how many have a URL, how many await one)."""
    by_url, awaiting = {}, 0
    for path in (catalogue_dir / "resources").glob("*.yaml"):
        found = re.search(r"(?m)^url: (.*)$", path.read_text())
        if found:
            by_url[found.group(1)] = path.stem
        else:
            awaiting += 1
    ok_id = next(rid for url, rid in by_url.items() if "/ok/" in url)
    return ok_id, by_url[server.url("/gone")], by_url[server.url("/old")], len(by_url), awaiting


def test_text_summary_and_exit_code(
    small_catalogue: tuple[Path, LoopbackServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir, server = small_catalogue
    database = f"sqlite:///{tmp_path}/r.db"
    args = ("check", "--catalogue", str(catalogue_dir), "--database", database, "--allow-private-addresses")
    code, out, err = roadmap(capsys, *args)
    assert code == 1, out + err
    ok_id, gone_id, old_id, n_url, n_awaiting = _ids_by_route(catalogue_dir, server)
    lines = out.splitlines()
    header = ["", "status          count", f"ok              {n_url - 2:>5}", "redirected          1",
              "broken              1"]  # fmt: skip
    if n_awaiting:
        header.append(f"skipped         {n_awaiting:>5}")
    header.append(f"total           {n_url + n_awaiting:>5}")
    assert lines[: len(header)] == header
    problems = [line for line in lines[len(header) :] if line.startswith((gone_id, old_id))]
    assert len(problems) == 2
    assert any(
        re.fullmatch(rf"{re.escape(gone_id)}\s+broken\s+http-404: HTTP 404", line) for line in problems
    )
    assert any(
        re.fullmatch(
            rf"{re.escape(old_id)}\s+redirected\s+permanent-redirect: HTTP 301 to "
            rf"{re.escape(server.url('/ok/'))}\S+: update the catalogue URL",
            line,
        )
        for line in problems
    ), problems
    parts = sorted(
        [("ok", n_url - 2), ("broken", 1), ("redirected", 1), ("skipped", n_awaiting)],
        key=lambda kv: (-kv[1], kv[0]),
    )
    summary = ", ".join(f"{n} {status}" for status, n in parts if n)
    assert lines[-1] == f"checked {n_url + n_awaiting} resources: {summary}"
    assert ok_id not in out
    assert err == ""  # no progress bar when not on a terminal


def test_json_document_of_every_result(
    small_catalogue: tuple[Path, LoopbackServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir, server = small_catalogue
    database = f"sqlite:///{tmp_path}/r.db"
    code, out, _ = roadmap(
        capsys,
        "check",
        "--catalogue",
        str(catalogue_dir),
        "--database",
        database,
        "--allow-private-addresses",
        "--format",
        "json",
    )
    assert code == 1
    document = json.loads(out)
    ok_id, gone_id, old_id, _, _ = _ids_by_route(catalogue_dir, server)
    results = {r["resource_id"]: r for r in document["results"]}
    assert results[gone_id]["status"] == "broken" and results[gone_id]["http_status"] == 404
    target = results[old_id]["final_url"]
    assert "/ok/" in target
    assert results[old_id]["redirect_chain"] == [
        {"url": server.url("/old"), "status": 301, "location": target}
    ]
    assert results[ok_id]["evidence"] == []
    assert document["run"]["outcome"] == "complete" and document["inconclusive"] is False


def test_only_the_named_resource_and_private_addresses_refused_by_default(
    small_catalogue: tuple[Path, LoopbackServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir, server = small_catalogue
    ok_id, *_ = _ids_by_route(catalogue_dir, server)
    database = f"sqlite:///{tmp_path}/r.db"
    code, out, _ = roadmap(
        capsys, "check", "--catalogue", str(catalogue_dir), "--database", database, "--resource", ok_id
    )
    assert code == 0  # blocked (a name that leads to a non-public address) is for a human, not a failure
    assert re.search(
        rf"(?m)^{re.escape(ok_id)}\s+blocked\s+unsafe-address: .*127\.0\.0\.2 is a loopback", out
    )
    assert sum(server.stats.hits.values()) == 0


def test_unknown_resource_is_a_usage_error(
    small_catalogue: tuple[Path, LoopbackServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir, _ = small_catalogue
    code, _, err = roadmap(
        capsys, "check", "--catalogue", str(catalogue_dir), "--database", f"sqlite:///{tmp_path}/r.db",
        "--resource", "no-such-thing",
    )  # fmt: skip
    assert code == 2
    assert err == "roadmap: error: no resource with id 'no-such-thing' in the catalogue\n"
