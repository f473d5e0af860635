"""`roadmap check` end to end through the CLI against a loopback server farm, with lychee beside it.

A server process listens on --hosts addresses (20 by default: 127.0.1.1 ...), adds a fixed latency to
every request and answers 429 to any request beyond 2 in flight on one address (a polite client never
sees one). Each size is measured in one run, one after the other on the same servers:

  ours-default   `roadmap check` on a generated catalogue with the bundled catalogue/config.yaml
  ours-lychee    the same with lychee's limits (concurrency 128, per_host 2, host_delay_ms 50)
  lychee         lychee --host-concurrency 2 (its defaults otherwise: 128 in flight, 50 ms per host)
  in-process     the crawl core (Crawl) alone: no start-up, validate, store or writes; lychee's limits

Every CLI run is a fresh process on a fresh database: start-up, validate, migrate, sync, crawl and the
result writes are all in the wall time, as a user sees it. The package's bytecode is written first, as
an install has it after its first run. Peak RSS is each run's own (wait4): for `roadmap check` the
largest of its processes (a run of 100 resources or more fetches in a second one, see
pipeline/crawl/fetchprocess.py), whose CPU seconds are added to the run's.
"1st req" is the time from the start to the servers' first request, "after" from their last answer to
the end of the process (concluding the run, writing, exit): the rest is the crawl itself.

The ideal is the politeness bound of the configuration: for each host, its URLs x max(gap, latency /
per_host); the run's ideal is the largest (all hosts run in parallel), or all the URLs x latency /
concurrency when the global cap allows less (many small hosts). ratio = wall time / ideal.
With --skew 0.8 one host holds 80% of the URLs and sets the bound; the others must finish in its shadow.
Every URL answers a 1.4 KB page, or with --page one of bench_judge.py's full-size pages (an article of
200 KB, ...: the size of real pages), gzip-compressed when the client accepts it, as real servers do.

    .venv/bin/python benchmarks/bench_crawl.py                           # 2,000 and 20,000 URLs
    .venv/bin/python benchmarks/bench_crawl.py --sizes 100000 --only ours-lychee,lychee
    .venv/bin/python benchmarks/bench_crawl.py --sizes 2000 --skew 0.8
    .venv/bin/python benchmarks/bench_crawl.py --sizes 2000 --hosts 250          # many small hosts
    .venv/bin/python benchmarks/bench_crawl.py --sizes 2000 --hosts 250 --only ours-lychee \
        --lookup-ms 50 --dead 40        # hosts by name; 40 dead domains whose lookups hang 15 s first
    .venv/bin/python benchmarks/bench_crawl.py --sizes 2000 --only ours-lychee,lychee --page article
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_judge import KINDS  # noqa: E402  (the pages --page serves)

HOSTS = 20
PAGE_VARIANTS = 16  # distinct full-size pages served in turn (--page)
SERVER_LIMIT = 2  # the servers answer 429 beyond this many requests in flight per address
PAGE = (
    "<!doctype html><html><head><title>Page {n}</title></head>"
    "<body><h1>Page {n}</h1><p>{text}</p></body></html>"
)
TEXT = "Singular values measure how much a matrix stretches space. " * 20
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Limits:
    concurrency: int
    per_host: int
    gap_ms: int


LYCHEE_LIMITS = Limits(concurrency=128, per_host=2, gap_ms=50)


def default_limits() -> Limits:
    import yaml

    from pipeline.config import Config

    data = yaml.safe_load((REPO / "catalogue" / "config.yaml").read_text())
    check = Config.from_dict(data).check
    return Limits(check.concurrency, check.per_host, check.host_delay_ms)


# --- the server farm (child process) ----------------------------------------------------------------


def pages(kind: str) -> list[bytes]:
    """The bodies the servers answer with: the small page, or PAGE_VARIANTS copies of one of
    bench_judge.py's full-size pages (compressed as a real server would when the client accepts it)."""
    if kind == "small":
        return []
    make, _ = KINDS[kind]
    return [make(n).encode() for n in range(PAGE_VARIANTS)]


def serve(port: int, latency: float, ready_fd: int, page: str = "small") -> None:
    active: Counter[str] = Counter()
    bodies = pages(page)
    zipped = [gzip.compress(body, 6) for body in bodies]
    stats = {"requests": 0, "refused": 0, "peak": 0, "first_at": 0.0, "last_at": 0.0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ip = writer.get_extra_info("sockname")[0]
        try:
            while line := await reader.readline():
                method, target, _ = line.decode("latin-1").split(" ", 2)
                accepts_gzip = False
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.partition(b":")
                    accepts_gzip |= name.strip().lower() == b"accept-encoding" and b"gzip" in value
                if target in ("/__stats", "/__reset"):
                    if target == "/__reset":
                        stats.update(requests=0, refused=0, peak=0, first_at=0.0, last_at=0.0)
                    body = json.dumps(stats).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                    writer.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                    await writer.drain()
                    continue
                stats["requests"] += 1
                stats["first_at"] = stats["first_at"] or time.time()
                active[ip] += 1
                stats["peak"] = max(stats["peak"], active[ip])
                try:
                    if active[ip] > SERVER_LIMIT:
                        stats["refused"] += 1
                        status, body, extra = "429 Too Many Requests", b"slow down", "Retry-After: 1\r\n"
                    else:
                        await asyncio.sleep(latency)
                        extra = ""
                        if "no-such-page" in target:
                            status, body = "404 Not Found", b"<title>404 Not Found</title>"
                        elif bodies:
                            variant = stats["requests"] % len(bodies)
                            status, body = "200 OK", (zipped if accepts_gzip else bodies)[variant]
                            extra = "Content-Encoding: gzip\r\n" if accepts_gzip else ""
                        else:
                            status, body = "200 OK", PAGE.format(n=target, text=TEXT).encode()
                    head = f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{extra}"
                    head += f"Content-Length: {len(body)}\r\n\r\n"
                    writer.write(head.encode() + (b"" if method == "HEAD" else body))
                    await writer.drain()
                    stats["last_at"] = time.time()
                finally:
                    active[ip] -= 1
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, address(i), port, backlog=4096) for i in range(HOSTS)]
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def start_server(latency: float, page: str = "small") -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.1.1", 0))
        port = probe.getsockname()[1]
    read_fd, write_fd = os.pipe()
    command = [sys.executable, __file__, "--serve", str(port), "--latency-ms", str(latency * 1000)]
    command += ["--hosts", str(HOSTS), "--page", page]
    process = subprocess.Popen([*command, "--fd", str(write_fd)], pass_fds=(write_fd,))
    os.close(write_fd)
    if os.read(read_fd, 1) != b"1":
        raise RuntimeError("server did not start")
    os.close(read_fd)
    return process, port


def server_stats(port: int, reset: bool = False) -> dict:
    import urllib.request

    path = "/__reset" if reset else "/__stats"
    with urllib.request.urlopen(f"http://127.0.1.1:{port}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def urls(n: int, port: int, skew: float, named: bool = False) -> list[str]:
    """n URLs over HOSTS hosts: evenly, or `skew` of them on the first host and the rest spread. named:
    each host by its name (host_name), which the lookup stand-in answers, not by its address."""
    busy = round(n * skew) if skew else 0
    hosts = [0] * busy + [(i % (HOSTS - 1)) + 1 if skew else i % HOSTS for i in range(n - busy)]
    return [
        f"http://{host_name(h) if named else address(h)}:{port}/notes/page-{i}" for i, h in enumerate(hosts)
    ]


def host_name(host: int) -> str:
    return f"h{host}.bench.test"


# With --lookup-ms the hosts are names, and `roadmap check` (both of its processes) looks them up through
# this stand-in for the system's resolver, put first on PYTHONPATH as sitecustomize: a host's name is its
# loopback address after {ms} ms; a dead domain's hangs {hang} s, then fails as the system's lookup does
# when a domain's DNS servers do not answer. lychee looks names up itself, so it is not run.
LOOKUPS = """\
import socket, time

ADDRESSES = {addresses!r}
DEAD = {dead!r}
_system = socket.getaddrinfo


def getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in ADDRESSES:
        time.sleep({ms} / 1000)
        host = ADDRESSES[name]
    elif name in DEAD:
        time.sleep({hang})
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    return _system(host, port, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
"""


def address(host: int) -> str:
    """The loopback address of host number `host` (0-based): 127.0.1.1 ... 127.0.1.250, 127.0.2.1 ..."""
    return f"127.0.{1 + host // 250}.{1 + host % 250}"


def ideal_s(links: list[str], limits: Limits, latency: float) -> float:
    per_url = max(limits.gap_ms / 1000, latency / limits.per_host)
    busiest = max(Counter(link.split("/")[2] for link in links).values()) * per_url
    return max(busiest, len(links) * latency / limits.concurrency)


# --- a catalogue of the URLs -------------------------------------------------------------------------

RESOURCE = """\
id: {id}
title: "Benchmark page number {n}: an explorable explanation"
url: {url}
section: {section}
position: {position}
description: >-
  A synthetic resource used to measure the crawler. It shows the math running, visualises what the
  equations mean geometrically and lets the student work through calculations by hand.
medium: interactive
cost: free
provider: Example University
topics: [vectors]
origin: added
added: 2026-11-25
"""


def write_catalogue(root: Path, links: list[str], limits: Limits | None) -> None:
    import yaml

    root.mkdir(parents=True)
    for name in ("roadmap.yaml", "sections.yaml"):
        shutil.copy(REPO / "catalogue" / name, root / name)
    config = (REPO / "catalogue" / "config.yaml").read_text()
    if limits is not None:
        for key, value in (
            ("concurrency", limits.concurrency),
            ("per_host", limits.per_host),
            ("host_delay_ms", limits.gap_ms),
        ):
            config = re.sub(rf"(?m)^  {key}: \d+", f"  {key}: {value}", config)
    (root / "config.yaml").write_text(config)
    sections = [s["id"] for s in yaml.safe_load((root / "sections.yaml").read_text())["sections"]]
    (root / "resources").mkdir()
    for n, link in enumerate(links):
        rid = f"bench-page-{n:06d}"
        text = RESOURCE.format(
            id=rid, n=n, url=link, section=sections[n % len(sections)], position=(n // len(sections) + 1) * 10
        )
        (root / "resources" / f"{rid}.yaml").write_text(text)


# --- the runs ---------------------------------------------------------------------------------------


def wrapped(command: list[str]) -> list[str]:
    """Run command in a wrapper that prints its own child's peak RSS (so every figure is its own)."""
    code = (
        "import resource,subprocess,sys;"
        "r=subprocess.run(sys.argv[1:]);"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print('PEAK_RSS_KB', u.ru_maxrss, 'CPU_S', u.ru_utime + u.ru_stime, file=sys.stderr);"
        "sys.exit(r.returncode)"
    )
    return [sys.executable, "-c", code, *command]


def run_measured(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> dict:
    began = time.time()
    started = time.perf_counter()
    proc = subprocess.run(wrapped(command), capture_output=True, text=True, cwd=cwd, env=env)
    wall = time.perf_counter() - started
    match = re.search(r"PEAK_RSS_KB (\d+) CPU_S ([\d.]+)", proc.stderr)
    return {
        "wall_s": wall,
        "exit": proc.returncode,
        "peak_rss_mb": int(match.group(1)) / 1024 if match else float("nan"),
        "cpu_s": float(match.group(2)) if match else float("nan"),
        "began": began,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }


def run_cli(
    links: list[str], limits: Limits | None, port: int, tmp: Path, label: str, lookups: Path | None = None
) -> dict:
    root = tmp / label / "catalogue"
    write_catalogue(root, links, limits)
    database = f"sqlite:///{tmp / label / 'roadmap.db'}"
    server_stats(port, reset=True)
    command = [str(BIN / "roadmap"), "check", "--catalogue", str(root), "--database", database]
    env = None
    if lookups is not None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(lookups), os.environ.get("PYTHONPATH")])),
        }
    result = run_measured([*command, "--allow-private-addresses"], env=env)
    served = server_stats(port)
    counts = dict(re.findall(r"(?m)^(\w+)\s+(\d+)$", result["stdout"]))
    if result["exit"] == 3 and "Inconclusive" in result["stdout"]:
        counts = {"inconclusive": result["stdout"].split("Inconclusive: ", 1)[1].split(";")[0]}
    elif result["exit"] not in (0, 1):
        raise RuntimeError(f"{label}: exit {result['exit']}: {result['stderr'][-2000:]}")
    return {**result, "served": served, "counts": counts}


def run_lychee(links: list[str], port: int, tmp: Path) -> dict | None:
    lychee = shutil.which("lychee") or str(BIN / "lychee")
    if not Path(lychee).exists():
        return None
    listing = tmp / "urls.txt"
    listing.write_text("\n".join(links) + "\n")
    report = tmp / "lychee.json"
    server_stats(port, reset=True)
    command = [
        lychee,
        "--no-progress",
        "--host-concurrency",
        "2",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    result = run_measured([*command, str(listing)])
    served = server_stats(port)
    summary = json.loads(report.read_text()) if report.exists() else {}
    counts = {k: summary.get(k) for k in ("total", "successful", "errors", "timeouts") if k in summary}
    return {**result, "served": served, "counts": counts}


def run_in_process(links: list[str], port: int) -> dict:
    server_stats(port, reset=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--in-process"],
        input="\n".join(links),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**result, "served": server_stats(port)}


def in_process_child() -> None:
    """The crawl core (pipeline.crawl.runner.Crawl) on resources built in memory: no start-up, validate,
    store or writes."""
    from pipeline.config import CheckConfig, Config
    from pipeline.crawl.fetch import Fetcher
    from pipeline.crawl.runner import Crawl
    from pipeline.model import Resource

    links = sys.stdin.read().split()
    limits = LYCHEE_LIMITS
    check = CheckConfig(concurrency=limits.concurrency, per_host=limits.per_host, host_delay_ms=limits.gap_ms)
    config = Config(check=check)
    resources = [
        Resource(id=f"bench-page-{n:06d}", title=f"Page {n}", section="s", position=n, url=link, cost="free")
        for n, link in enumerate(links)
    ]
    counts: Counter[str] = Counter()

    async def main() -> float:
        started = time.perf_counter()
        crawl = Crawl(resources, config, Fetcher(config, allow_private=True))
        async for checked in crawl.results():
            counts[checked.outcome.status.value] += 1  # counted, not kept
        return time.perf_counter() - started

    wall = asyncio.run(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_s": cpu, "counts": dict(counts)}
        )
    )


# --- the table --------------------------------------------------------------------------------------

RUNS = ("ours-default", "ours-lychee", "lychee", "in-process")


def main() -> None:
    global HOSTS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--skew", type=float, default=0.0, help="share of the URLs on one host, e.g. 0.8")
    parser.add_argument("--hosts", type=int, default=HOSTS, help="loopback hosts the URLs are spread over")
    parser.add_argument("--only", default=",".join(RUNS), help=f"comma-separated subset of {', '.join(RUNS)}")
    parser.add_argument(
        "--lookup-ms", type=float, help="hosts by name, each looked up in this many ms (LOOKUPS); ours only"
    )
    parser.add_argument(
        "--dead", type=int, default=0, help="with --lookup-ms: dead domains first in the list"
    )
    parser.add_argument(
        "--dead-hang-s", type=float, default=15.0, help="how long a dead domain's lookup hangs"
    )
    parser.add_argument(
        "--page",
        default="small",
        choices=tuple(KINDS),
        help="what every URL answers: the small page (1.4 KB) or a full-size one of bench_judge.py",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dead and args.lookup_ms is None:
        parser.error("--dead needs --lookup-ms (dead domains are names)")
    HOSTS = args.hosts
    latency = args.latency_ms / 1000
    if args.serve:
        serve(args.serve, latency, args.fd, args.page)
        return
    if args.in_process:
        in_process_child()
        return
    from benchmarks._common import compile_package

    compile_package()
    wanted = args.only.split(",")
    defaults = default_limits()
    process, port = start_server(latency, args.page)
    print(
        f"{HOSTS} loopback hosts, {args.latency_ms:g} ms per request, 429 beyond {SERVER_LIMIT} in flight"
        + (f", every page {args.page!r}" if args.page != "small" else "")
        + (f", {args.skew:.0%} of the URLs on one host" if args.skew else "")
        + f"; defaults: concurrency {defaults.concurrency}, per_host {defaults.per_host}, "
        f"host_delay_ms {defaults.gap_ms}"
    )
    named = args.lookup_ms is not None
    if named:
        print(
            f"hosts by name: each lookup {args.lookup_ms:g} ms; {args.dead} dead domains first, each lookup "
            f"hanging {args.dead_hang_s:g} s (the ideal counts the live URLs)"
        )
    print(f"{'URLs':>7} {'run':<13} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'429s':>5} {'peak/host':>9} "
          f"{'RSS MB':>7} {'CPU s':>6} {'1st req':>7} {'after':>6}  verdicts")  # fmt: skip
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            live = urls(n, port, args.skew, named)
            dead = [f"dead{j}.bench.test" for j in range(args.dead)]
            links = [f"http://{name}:{port}/gone" for name in dead] + live
            with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp_name:
                tmp = Path(tmp_name)
                lookups = None
                if named:
                    lookups = tmp / "lookups"
                    lookups.mkdir()
                    addresses = {host_name(h): address(h) for h in range(HOSTS)}
                    stand_in = LOOKUPS.format(
                        addresses=addresses, dead=set(dead), ms=args.lookup_ms, hang=args.dead_hang_s
                    )
                    (lookups / "sitecustomize.py").write_text(stand_in)
                for label in wanted:
                    limits = defaults if label == "ours-default" else LYCHEE_LIMITS
                    if named and label in ("lychee", "in-process"):
                        print(f"{n:>7} {label:<13} not run with hosts by name (--lookup-ms)")
                        continue
                    if label == "ours-default":
                        r = run_cli(links, None, port, tmp, label, lookups)
                    elif label == "ours-lychee":
                        r = run_cli(links, LYCHEE_LIMITS, port, tmp, label, lookups)
                    elif label == "lychee":
                        r = run_lychee(links, port, tmp)
                        if r is None:
                            print(f"{n:>7} lychee        not installed (pip install -e '.[bench]')")
                            continue
                    else:
                        r = run_in_process(links, port)
                    ideal = ideal_s(live, limits, latency)
                    served = r["served"]
                    began = r.get("began")
                    first = f"{served['first_at'] - began:.2f}" if began and served["first_at"] else "-"
                    # from the last answer to the end of the process (concluding the run, writing, exit)
                    after = (
                        f"{began + r['wall_s'] - served['last_at']:.2f}"
                        if began and served["last_at"]
                        else "-"
                    )
                    print(
                        f"{n:>7} {label:<13} {r['wall_s']:>8.2f} {ideal:>8.2f} {r['wall_s'] / ideal:>6.3f} "
                        f"{served['refused']:>5} {served['peak']:>9} {r['peak_rss_mb']:>7.1f} "
                        f"{r['cpu_s']:>6.1f} {first:>7} {after:>6}  {r['counts']}",
                        flush=True,
                    )
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
