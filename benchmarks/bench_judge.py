"""CPU per judged page: what the crawl's event loop spends on a fetched page, fetch to verdict.

For each kind of page, many distinct copies (the page number differs) go through what the crawl does with
a 2xx HTML GET: fetch.py's `refresh_target` when the page arrives, then `classify` when its judging task
runs, LAG pages later (about the crawl's streams in flight: other pages are read in between). The figure
is process CPU time per page, the best of ROUNDS rounds.

  small     the page of benchmarks/bench_crawl.py (~1.4 KB)
  article   a long article: navigation, many links and scripts, JSON-LD, a print edition for sale (~200 KB)
  soft-404  a "page not found" notice in a big site template (~90 KB)
  paywall   a news article behind "subscribe to continue reading" (~150 KB)
  docs      a reference page with hundreds of ids, linked with a #fragment (~250 KB)

Run it from the tree to measure (it imports the `pipeline` next to it); to compare with main, copy it
into a checkout of main and run it there:

    .venv/bin/python benchmarks/bench_judge.py
    .venv/bin/python benchmarks/bench_judge.py --pages 200 --rounds 5 --lag 40
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.crawl.classify import Clues, classify  # noqa: E402
from pipeline.crawl.facts import Fetched, Response  # noqa: E402
from pipeline.crawl.location import refresh_target  # noqa: E402

SMALL = (
    "<!doctype html><html><head><title>Page {n}</title></head>"
    "<body><h1>Page {n}</h1><p>{text}</p></body></html>"
)
SMALL_TEXT = "Singular values measure how much a matrix stretches space. " * 20
PROSE = (
    "The domain of a function is where it is defined; this page explains why a subscriber to the "
    "newsletter found the proof of the spectral theorem worth the cookie-free read. "
    "We found the page you cite in chapter {k} useful, and the course that follows builds on it. "
)


def _template(n: int, title: str, main: str, *, head: str = "") -> str:
    nav = "".join(f'<li><a href="/section/{i}" id="nav-{i}">Section {i}</a></li>' for i in range(120))
    scripts = "".join(
        f'<script src="/static/app.{i}.js" async></script><script>window.dataLayer=window.dataLayer||[];'
        f'dataLayer.push({{"event":"view","n":{n},"i":{i},"blob":"{"x" * 400}"}});</script>'
        for i in range(25)
    )
    footer = "".join(f'<a href="/about/{i}">About {i}</a> ' for i in range(80))
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        '<meta name="viewport" content="width=device-width"><link rel="canonical" '
        f'href="https://news.example/{n}"><style>{"body{margin:0} .x{color:red} " * 300}</style>{head}'
        f"</head><body><header><nav><ul>{nav}</ul></nav><form><input name=q></form></header>"
        f"<main>{main}</main><aside>Buy the print edition: $39.00, order now.</aside>"
        f"<footer>{footer}</footer>{scripts}</body></html>"
    )


def article(n: int) -> str:
    paragraphs = "".join(
        f'<p id="p{k}">{PROSE.format(k=k)} See <a href="https://ref.example/{k}">reference {k}</a> and '
        f'<a href="#p{k + 1}">the next paragraph</a>.</p>'
        for k in range(450)
    )
    ld = json.dumps({"@context": "https://schema.org", "@type": "Article", "isAccessibleForFree": True})
    body = f"<article><h1>Spectral theory, part {n}</h1>{paragraphs}</article>"
    return _template(
        n,
        f"Spectral theory, part {n} | Notes",
        body,
        head=f'<script type="application/ld+json">{ld}</script>',
    )


def soft_404(n: int) -> str:
    links = "".join(f'<li><a href="/popular/{k}">Popular article {k}</a></li>' for k in range(300))
    body = f"<h1>Sorry, this page could not be found ({n})</h1><p>Try one of these:</p><ul>{links}</ul>"
    return _template(n, "Page not found | News Example", body)


def paywall(n: int) -> str:
    teaser = "".join(f"<p>{PROSE.format(k=k)}</p>" for k in range(6))
    offers = "".join(
        f'<div class="offer" id="offer-{k}">Digital plan {k}: $4.99 a month</div>' for k in range(40)
    )
    body = (
        f"<article><h1>Markets, day {n}</h1>{teaser}<div class=wall><p>Subscribe to continue reading.</p>"
        f"<p>Already a subscriber? Sign in.</p>{offers}</div></article>"
    )
    return _template(n, f"Markets, day {n}", body + "<p>" + PROSE.format(k=0) * 500 + "</p>")


def docs(n: int) -> str:
    sections = "".join(
        f'<h2 id="section-{k}">Section {k}</h2><p>{PROSE.format(k=k)}</p>'
        f'<pre><code id="code-{k}">def f{k}(x):\n    return x * {k}  # {"=" * 120}</code></pre>'
        for k in range(420)
    )
    return _template(n, f"Reference {n}", f"<h1>API reference {n}</h1>{sections}")


def small(n: int) -> str:
    return SMALL.format(n=n, text=SMALL_TEXT)


KINDS: dict[str, tuple[Callable[[int], str], str]] = {
    "small": (small, ""),
    "article": (article, ""),
    "soft-404": (soft_404, ""),
    "paywall": (paywall, ""),
    "docs": (docs, "section-400"),
}


def fetched_page(url: str, markup: str) -> Fetched:
    """A 2xx HTML GET as fetch.py returns it."""
    body = markup.encode()[: 256 * 1024]  # max_body_kb: what the crawl reads of a body
    headers = MappingProxyType({"content-type": "text/html; charset=utf-8"})
    return Fetched(url=url, response=Response(url=url, status=200, headers=headers, body=body), elapsed_ms=5)


def per_page_ms(kind: str, pages: int, rounds: int, lag: int) -> tuple[float, str]:
    build, fragment = KINDS[kind]
    best = float("inf")
    verdict = ""
    for r in range(rounds):
        batch = [
            fetched_page(f"https://site{n % 7}.example/{kind}/{n}", build(r * pages + n))
            for n in range(pages)
        ]
        clues = Clues(fragment=fragment)
        started = time.process_time()
        for i, item in enumerate(batch):
            refresh_target(item.url, item.response)  # fetch.py, as the page arrives
            if i >= lag:
                verdict = classify(batch[i - lag], clues).status  # its judging task, a little later
        for item in batch[-lag:] if lag else ():
            classify(item, clues)
        best = min(best, (time.process_time() - started) / pages)
    return best * 1000, str(verdict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="distinct pages per kind and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--lag", type=int, default=40, help="pages read between a page's fetch and its judging"
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    print(f"{'page':<10} {'size':>8} {'verdict':<12} {'CPU/page':>10}")
    for kind in args.kinds.split(","):
        size = len(fetched_page("https://x.example/", KINDS[kind][0](0)).response.body)
        ms, verdict = per_page_ms(kind, args.pages, args.rounds, min(args.lag, args.pages))
        print(f"{kind:<10} {size / 1024:6.1f}KB {verdict:<12} {ms:8.3f} ms", flush=True)


if __name__ == "__main__":
    main()
