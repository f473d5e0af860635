"""`roadmap fix dead`: the check run finds and checks a repair for each dead link, the reports show it,
and `fix dead` applies it with the surgical edit (archives only with --archive, where config allows)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import yaml

from pipeline.config import ArchiveAllowed, Config, RepairConfig
from pipeline.repair.dead import plan_dead
from pipeline.status import Status, Suggestion
from tests.cli import roadmap
from tests.conftest import REPO
from tests.factory import make_catalogue, resource, summary
from tests.repair.sites import Sites, page, wayback

SNAPSHOT = "/web/20250301000000/gone"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def listed(
    tmp_path: Path, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Sites, dict]]:
    """The real catalogue, every URL on a loopback site: one repairable by a slash, one only by an archived
    copy, one not at all; the others work."""
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "1")
    catalogue = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", catalogue)
    with Sites(ca) as sites:
        files = sorted(
            p for p in (catalogue / "resources").glob("*.yaml") if re.search(r"(?m)^url: ", p.read_text())
        )
        roles = {files[0].stem: "/course", files[1].stem: "/gone", files[2].stem: "/nothing"}
        for path in files:
            route = roles.get(path.stem, f"/ok/{path.stem}")
            if route.startswith("/ok/"):
                sites.routes[route] = page(f"Notes about {path.stem}")
            path.write_text(re.sub(r"(?m)^url: .*$", f"url: {sites.url(route)}", path.read_text()))
        sites.routes["/course/"] = page("The course")
        sites.routes["/wayback/available"] = wayback(
            sites, {sites.url("/gone"): ("20250301000000", SNAPSHOT)}
        )
        sites.routes[SNAPSHOT] = page("The lectures, archived")
        gone_section = yaml.safe_load((catalogue / "resources" / f"{files[1].stem}.yaml").read_text())[
            "section"
        ]
        config = catalogue / "config.yaml"
        text = re.sub(r"(?m)^  host_delay_ms: \d+", "  host_delay_ms: 0", config.read_text())
        text += (
            f"repair:\n  wayback_api: {sites.url('/wayback/available')}\n"
            f"  archive_allowed:\n    sections: [{gone_section}]\n"
        )
        config.write_text(text)
        yield catalogue, sites, {role: stem for stem, role in roles.items()}


def test_check_offers_checked_repairs_and_fix_dead_applies_them(
    listed: tuple[Path, Sites, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue, sites, ids = listed
    where = ("--catalogue", str(catalogue), "--database", f"sqlite:///{tmp_path}/roadmap.db")
    for _ in range(2):  # broken after 2 failing runs in a row
        code, _, _ = roadmap(capsys, "check", *where, "--allow-private-addresses")
        assert code == 1
    course, gone, nothing = ids["/course"], ids["/gone"], ids["/nothing"]

    code, _, _ = roadmap(capsys, "report", *where)
    health = (tmp_path / "reports" / "health.md").read_text()
    assert (
        f"repair (the same path, checked ok): {sites.url('/course/')}, applied by roadmap fix dead\n"
        in health
    )
    assert (
        f"repair (an archived copy, checked ok): {sites.url(SNAPSHOT)}, "
        "applied by roadmap fix dead --archive\n" in health
    )
    report = json.loads((tmp_path / "reports" / "health.json").read_text())
    items = {i["id"]: i for g in report["needs_human"] for i in g["items"]}
    assert items[course]["suggestion"] == {
        "kind": "slash",
        "url": sites.url("/course/"),
        "detail": "checked: ok (HTTP 200)",
        "snapshot_at": None,
    }
    assert items[gone]["suggestion"]["snapshot_at"] == "20250301000000"
    assert "suggestion" not in items[nothing]
    page_html = (tmp_path / "reports" / "index.html").read_text()
    assert sites.url("/course/") in page_html

    files = {rid: catalogue / "resources" / f"{rid}.yaml" for rid in (course, gone, nothing)}
    before = {rid: path.read_bytes() for rid, path in files.items()}
    code, out, _ = roadmap(capsys, "fix", "dead", *where, "--dry-run")
    assert code == 0
    assert out.splitlines()[-1] == "1 url(s) would change (dry run: no file written)"
    assert f"{course}.yaml: would change url {sites.url('/course')} -> {sites.url('/course/')}" in out
    assert (
        f"{gone}.yaml: skipped {sites.url('/gone')} -> {sites.url(SNAPSHOT)}: "
        "the repair is an archived copy: run with --archive to use it" in out
    )
    assert (
        f"{nothing}.yaml: skipped {sites.url('/nothing')}: no working repair was found (twin, slash, archive)"
        in out
    )
    assert {rid: path.read_bytes() for rid, path in files.items()} == before

    code, out, _ = roadmap(capsys, "fix", "dead", *where)
    assert out.endswith("1 url(s) changed\n")
    assert files[course].read_bytes() == before[course].replace(
        f"url: {sites.url('/course')}\n".encode(), f"url: {sites.url('/course/')}\n".encode()
    )

    code, out, _ = roadmap(capsys, "fix", "dead", *where, "--archive")
    assert (
        f"{gone}.yaml: changed url {sites.url('/gone')} -> {sites.url(SNAPSHOT)} "
        f"(archived copy; archived_from: {sites.url('/gone')})" in out
    )
    assert files[gone].read_bytes() == before[gone].replace(
        f"url: {sites.url('/gone')}\n".encode(),
        f"url: {sites.url(SNAPSHOT)}\narchived_from: {sites.url('/gone')}\n".encode(),
    )
    # The file is valid (archived_from is part of the schema): the only problem left is the test's own
    # loopback addresses, which the validator rightly refuses in a real catalogue.
    _, out, _ = roadmap(capsys, "validate", "--catalogue", str(catalogue))
    about_gone = [line for line in out.splitlines() if f"{gone}.yaml" in line]
    assert about_gone and all("the URL points at a non-public address" in line for line in about_gone)
    roadmap(capsys, "export", *where)
    readme = (tmp_path / "exports" / "README.md").read_text()
    assert re.search(rf"\({re.escape(sites.url(SNAPSHOT))}\).*🗄️ archived copy", readme)
    exported = json.loads((tmp_path / "exports" / "roadmap.json").read_text())
    by_id = {r["id"]: r for r in exported["resources"]}
    assert by_id[gone]["archived_from"] == sites.url("/gone")


def _dead(rid: str, suggestion: Suggestion | None, *, runs: int = 2, status: Status = Status.BROKEN):
    return summary(rid, status, consecutive_failures=runs, suggestion=suggestion)


TWIN = Suggestion("twin", "https://a.example.org/x", "checked: ok (HTTP 200)")
ARCHIVE = Suggestion("archive", "https://web.archive.org/web/2020/x", "snapshot", "20200101000000")


@pytest.mark.parametrize(
    ("health", "archive", "allowed", "expected"),
    [
        (_dead("r", TWIN), False, (), (TWIN.url, None, None)),
        (
            _dead("r", TWIN, runs=1),
            False,
            (),
            (TWIN.url, "failing 1 of 2 runs, not broken yet: flaky is not dead", None),
        ),
        (
            _dead("r", None),
            False,
            (),
            ("http://a.example.org/x", "no working repair was found (twin, slash, archive)", None),
        ),
        (
            _dead("r", ARCHIVE),
            False,
            ("linear-algebra",),
            (ARCHIVE.url, "the repair is an archived copy: run with --archive to use it", None),
        ),
        (
            _dead("r", ARCHIVE),
            True,
            (),
            (
                ARCHIVE.url,
                "archived copies are not allowed for section 'linear-algebra' or medium 'video-series' "
                "(repair.archive_allowed in config.yaml)",
                None,
            ),
        ),
        (_dead("r", ARCHIVE), True, ("linear-algebra",), (ARCHIVE.url, None, "http://a.example.org/x")),
    ],
    ids=[
        "twin",
        "failing only",
        "nothing found",
        "archive without --archive",
        "archive not allowed",
        "archive allowed",
    ],
)
def test_plan(tmp_path: Path, health, archive: bool, allowed: tuple[str, ...], expected) -> None:
    config = Config(repair=RepairConfig(archive_allowed=ArchiveAllowed(sections=allowed)))
    catalogue = make_catalogue(
        (resource("r", url="http://a.example.org/x", source=tmp_path / "r.yaml"),), config
    )
    (change,) = plan_dead(catalogue, {"r": health})
    if archive:
        (change,) = plan_dead(catalogue, {"r": health}, archive=True)
    assert (change.new_url, change.skipped, change.archived_from) == expected


@pytest.mark.parametrize(
    "health",
    [summary("r", Status.OK), summary("r", Status.PAYWALLED, consecutive_failures=3), None],
    ids=["ok", "paywalled", "never checked"],
)
def test_not_dead_is_not_listed(tmp_path: Path, health) -> None:
    catalogue = make_catalogue((resource("r", url="http://a.example.org/x", source=tmp_path / "r.yaml"),))
    assert plan_dead(catalogue, {"r": health} if health else {}) == []
