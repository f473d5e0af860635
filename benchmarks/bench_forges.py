"""Forge API cost for 1,000 repository links: requests, rate-limit points and wall time, on the first run
and on a run where nothing changed, against the fake forge API on loopback with realistic limits.

    .venv/bin/python benchmarks/bench_forges.py [--repos 1000] [--latency-ms 100]

Limits as the forges document them: GitHub GraphQL 5,000 points an hour with a token (one point per query
of up to 100 repositories), GitHub REST 60 requests an hour without a token (a 304 is free only to an
authorised request), GitLab 2,000 requests a minute with a token (Gitea: the same fake limit). Points are
counted by the fake server, as the forge would charge them. Every API answer takes --latency-ms.

For comparison: fetching the same links as pages at our polite defaults (2 in flight per host, 250 ms
between two requests to a host) takes at least repos x 250 ms / 2 ... repos x 250 ms on one host.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import Config
from pipeline.forge_check import answer_repository_links, repository_links
from pipeline.forges import Answer, ask_forges
from pipeline.store.engine import open_store
from tests.forges.fakeapi import FakeClock, FakeForge

TOKEN = "bench-token-not-a-secret"


def config_for(fake: FakeForge, forge: str) -> Config:
    port = fake.host.split(":")[1]
    hosts = {"github": fake.host, "gitlab": f"localhost:{port}", "codeberg": f"127.0.0.2:{port}"}
    apis = {"github": "/github", "gitlab": "/gitlab/api/v4", "codeberg": "/gitea/api/v1"}
    return Config.from_dict(
        {
            "forges": {
                name: {
                    "api_url": f"{fake.base}{apis[name]}",
                    "hosts": [hosts[name]],
                    "enabled": name == forge,
                }
                for name in apis
            }
        }
    )


def scenario(
    label: str, forge: str, token: str | None, repos: int, latency_s: float, **limits: float
) -> None:
    clock = FakeClock(time.time())  # the forge's limits and our waits; the next night is a day later
    fake = FakeForge(clock, token=TOKEN, latency_s=latency_s, **limits).start()
    try:
        config = config_for(fake, forge)
        host = config.forges[forge].hosts[0]
        urls = [f"http://{host}/{fake.add(f'org{i % 37}/repo-{i}').full_name}" for i in range(repos)]
        environ = {config.forges[forge].token_env: token} if token else {}
        known = None
        for run in ("first run", "no-change run"):
            requests_before = sum(fake.counters.requests.values())
            points_before = sum(fake.counters.points.values())
            started = time.perf_counter()
            result = asyncio.run(ask_forges(urls, config, known=known, environ=environ, clock=clock))
            seconds = time.perf_counter() - started
            answered = sum(1 for f in result.findings.values() if f.answer is not Answer.NOT_ASKED)
            unchanged = sum(1 for f in result.findings.values() if f.unchanged)
            print(
                f"{label:<34} {run:<14} {answered:>5}/{len(urls)} answered ({unchanged:>4} unchanged)  "
                f"{sum(fake.counters.requests.values()) - requests_before:>5} requests  "
                f"{sum(fake.counters.points.values()) - points_before:>5} points  {seconds:7.2f} s",
                flush=True,
            )
            stamp = datetime.fromtimestamp(clock.time(), UTC).replace(tzinfo=None)
            # What the store keeps between runs: the answers, and when each came (the next run asks the
            # longest-unasked first).
            known = {
                url: replace(f, answered_at=stamp) if f.answered else (known or {}).get(url, f)
                for url, f in result.findings.items()
            }
            clock.advance(24 * 3600)
    finally:
        fake.stop()


def through_the_store(label: str, forge: str, repos: int, latency_s: float, **limits: float) -> None:
    """The check run's forge step as `roadmap check` runs it: ETags and facts kept in a SQLite store."""
    clock = FakeClock(time.time())
    fake = FakeForge(clock, token=TOKEN, latency_s=latency_s, **limits).start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-forges-"))
    engine = open_store(f"sqlite:///{workdir / 'roadmap.db'}", workdir)
    try:
        config = config_for(fake, forge)
        host = config.forges[forge].hosts[0]
        resources = [
            SimpleNamespace(
                id=f"r{i}", url=f"http://{host}/{fake.add(f'org{i % 37}/repo-{i}').full_name}", links=()
            )
            for i in range(repos)
        ]
        environ = {config.forges[forge].token_env: TOKEN}
        links = repository_links(config, resources)  # type: ignore[arg-type]
        for run in ("first run", "no-change run"):
            requests_before = sum(fake.counters.requests.values())
            points_before = sum(fake.counters.points.values())
            started = time.perf_counter()
            step = asyncio.run(answer_repository_links(engine, config, links, clock=clock, environ=environ))
            seconds = time.perf_counter() - started
            unchanged = sum(1 for f in step.run.findings.values() if f.unchanged)
            answered = len(step.by_resource)
            print(
                f"{label:<34} {run:<14} {answered:>5}/{repos} answered ({unchanged:>4} unchanged)  "
                f"{sum(fake.counters.requests.values()) - requests_before:>5} requests  "
                f"{sum(fake.counters.points.values()) - points_before:>5} points  {seconds:7.2f} s",
                flush=True,
            )
            clock.advance(24 * 3600)
    finally:
        engine.dispose()
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="time each API answer takes")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    n = args.repos
    print(f"{n} repositories, {args.latency_ms:.0f} ms per API answer")
    scenario("GitHub, token (GraphQL)", "github", TOKEN, n, latency, graphql_limit=5000)
    scenario("GitHub, no token (REST + ETag)", "github", None, n, latency, rest_limit=60)
    scenario(
        "GitLab, token (REST + ETag)", "gitlab", TOKEN, n, latency, gitlab_limit=2000, gitlab_window_s=60
    )
    scenario(
        "Gitea/Codeberg, token (REST + ETag)",
        "codeberg",
        TOKEN,
        n,
        latency,
        gitlab_limit=2000,
        gitlab_window_s=60,
    )
    through_the_store("GitHub, token, with the store", "github", n, latency, graphql_limit=5000)
    through_the_store(
        "GitLab, token, with the store", "gitlab", n, latency, gitlab_limit=2000, gitlab_window_s=60
    )
    pages = n * 0.250
    print(
        f"page fetches instead, one host at 2 in flight and 250 ms apart: about {pages / 2:.0f}-{pages:.0f} s"
    )


if __name__ == "__main__":
    main()
