"""Crawler throughput and politeness against a loopback server farm, and lychee on the same servers.

A server process listens on HOSTS addresses (127.0.1.1 ...), adds a fixed latency to every request and
answers 429 to any request beyond PER_HOST in flight on one address (a polite client never sees one).
Each crawl runs in a fresh child process so its peak memory (ru_maxrss) is its own.

    .venv/bin/python benchmarks/bench_crawl.py                  # 2,000 and 20,000 URLs, then lychee
    .venv/bin/python benchmarks/bench_crawl.py --sizes 2000 --latency-ms 100 --no-lychee

Ideal wall time = requests x latency / (hosts x per-host limit); the ratio is measured / ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOSTS = 20
PER_HOST = 2
PAGE = (
    "<!doctype html><html><head><title>Page {n}</title></head>"
    "<body><h1>Page {n}</h1><p>{text}</p></body></html>"
)
TEXT = "Singular values measure how much a matrix stretches space. " * 20


# --- the server farm (child process) ----------------------------------------------------------------


def serve(port: int, latency: float, ready_fd: int) -> None:
    active: Counter[str] = Counter()
    stats = {"requests": 0, "refused": 0, "peak": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ip = writer.get_extra_info("sockname")[0]
        try:
            while line := await reader.readline():
                method, target, _ = line.decode("latin-1").split(" ", 2)
                while await reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if target == "/__stats":
                    body = json.dumps(stats).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                    writer.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                    await writer.drain()
                    continue
                if target == "/__reset":
                    stats.update(requests=0, refused=0, peak=0)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                stats["requests"] += 1
                active[ip] += 1
                stats["peak"] = max(stats["peak"], active[ip])
                try:
                    if active[ip] > PER_HOST:
                        stats["refused"] += 1
                        status, body = "429 Too Many Requests", b"slow down"
                        extra = "Retry-After: 1\r\n"
                    else:
                        await asyncio.sleep(latency)
                        extra = ""
                        if "no-such-page" in target:
                            status, body = "404 Not Found", b"<title>404 Not Found</title>"
                        else:
                            status, body = "200 OK", PAGE.format(n=target, text=TEXT).encode()
                    head = f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\n{extra}"
                    head += f"Content-Length: {len(body)}\r\n\r\n"
                    if method == "HEAD":
                        body = b""
                    writer.write(head.encode() + body)
                    await writer.drain()
                finally:
                    active[ip] -= 1
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(handle, f"127.0.1.{i + 1}", port, backlog=1024) for i in range(HOSTS)
        ]
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def start_server(latency: float) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.1.1", 0))
        port = probe.getsockname()[1]
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--latency-ms",
            str(latency * 1000),
            "--fd",
            str(write_fd),
        ],
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    if os.read(read_fd, 1) != b"1":
        raise RuntimeError("server did not start")
    os.close(read_fd)
    return process, port


def server_stats(port: int, reset: bool = False) -> dict:
    import urllib.request

    path = "/__reset" if reset else "/__stats"
    with urllib.request.urlopen(f"http://127.0.1.1:{port}{path}", timeout=5) as answer:
        body = answer.read()
    return json.loads(body) if body else {}


def urls(n: int, port: int) -> list[str]:
    return [f"http://127.0.1.{i % HOSTS + 1}:{port}/notes/page-{i}" for i in range(n)]


# --- our crawler (child process) ---------------------------------------------------------------------


def crawl_child(n: int, port: int) -> None:
    from pipeline.config import CheckConfig, Config
    from pipeline.crawl.fetch import Fetcher
    from pipeline.crawl.runner import Crawler, _Job, _run_hosts, host_of

    config = Config(
        check=CheckConfig(concurrency=HOSTS * PER_HOST, per_host=PER_HOST, host_delay_ms=0, url_timeout_s=60)
    )
    counts: Counter[str] = Counter()

    async def main() -> None:
        by_host: dict[str, deque] = {}
        for url in urls(n, port):
            by_host.setdefault(host_of(url), deque()).append(_Job(url, ()))
        async with Fetcher(config, allow_private=True) as fetcher:
            crawler = Crawler(config, fetcher)

            async def work(host: str, queue: deque) -> None:
                while queue:
                    job = queue.popleft()
                    _, verdicts = await crawler.verdicts(job.url, [("", "free")])
                    counts[next(iter(verdicts.values())).status.value] += 1  # counted, not kept

            stop, give_up = asyncio.Event(), asyncio.Event()
            started = time.perf_counter()
            await _run_hosts(by_host, config, work, stop, give_up)
            elapsed = time.perf_counter() - started
            print(
                json.dumps(
                    {
                        "wall_s": elapsed,
                        "requests": fetcher.requests_made,
                        "statuses": dict(counts),
                        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    }
                )
            )

    asyncio.run(main())


def run_ours(n: int, port: int, latency: float) -> dict:
    server_stats(port, reset=True)
    out = subprocess.run(
        [sys.executable, __file__, "--crawl", str(n), "--port", str(port)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    served = server_stats(port)
    ideal = result["requests"] * latency / (HOSTS * PER_HOST)
    result.update(
        ideal_s=ideal,
        ratio=result["wall_s"] / ideal,
        server_429=served["refused"],
        peak_per_host=served["peak"],
    )
    return result


def run_lychee(n: int, port: int, latency: float, polite: bool = True) -> dict | None:
    """lychee on the same URL list: with limits equal to ours (polite) or with its own defaults."""
    lychee = shutil.which("lychee") or str(Path(sys.executable).parent / "lychee")
    if not Path(lychee).exists():
        return None
    server_stats(port, reset=True)
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "urls.txt"
        listing.write_text("\n".join(urls(n, port)) + "\n")
        report = Path(tmp) / "report.json"
        command = [lychee, "--no-progress", "--format", "json", "--output", str(report)]
        if polite:
            command += [
                "--max-concurrency", str(HOSTS * PER_HOST), "--host-concurrency", str(PER_HOST),
                "--host-request-interval", "0ms", "--max-retries", "2", "--timeout", "60",
            ]  # fmt: skip
        command.append(str(listing))
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            data = {}
    served = server_stats(port)
    ideal = n * latency / (HOSTS * PER_HOST)
    keys = ("total", "successful", "errors", "timeouts", "redirects", "excludes", "unknown")
    return {
        "wall_s": elapsed,
        "ideal_s": ideal,
        "ratio": elapsed / ideal,
        "server_requests": served["requests"],
        "server_429": served["refused"],
        "peak_per_host": served["peak"],
        "exit_code": proc.returncode,
        "summary": {k: data.get(k) for k in keys if k in data},
        "command": " ".join([*command[:-1], "urls.txt"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--no-lychee", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--crawl", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    if args.serve:
        serve(args.serve, latency, args.fd)
        return
    if args.crawl:
        crawl_child(args.crawl, args.port)
        return

    process, port = start_server(latency)
    try:
        print(
            f"server: {HOSTS} hosts x {PER_HOST} in flight, {args.latency_ms:g} ms per request, "
            "429 beyond that"
        )
        sizes = [int(s) for s in args.sizes.split(",")]
        for n in sizes:
            r = run_ours(n, port, latency)
            print(
                f"ours    {n:>6} URLs: {r['requests']} requests in {r['wall_s']:.2f} s, "
                f"ideal {r['ideal_s']:.2f} s, "
                f"ratio {r['ratio']:.3f}, 429s provoked {r['server_429']}, peak in flight per host "
                f"{r['peak_per_host']}, peak RSS {r['peak_rss_mb']:.1f} MB, verdicts {r['statuses']}"
            )
        if not args.no_lychee:
            n = sizes[0]
            for polite in (True, False):
                r = run_lychee(n, port, latency, polite)
                if r is None:
                    print("lychee: not installed")
                    break
                label = "lychee (our limits)" if polite else "lychee (its defaults)"
                print(
                    f"{label} {n:>6} URLs: {r['server_requests']} requests in {r['wall_s']:.2f} s, ideal "
                    f"{r['ideal_s']:.2f} s, ratio {r['ratio']:.3f}, 429s provoked {r['server_429']}, peak in "
                    f"flight per host {r['peak_per_host']}, exit {r['exit_code']}, summary {r['summary']}"
                )
                print(f"  command: {r['command']}")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
