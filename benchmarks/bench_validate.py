"""How fast is `roadmap validate` on big catalogues, next to merely parsing the same files?

Generates synthetic catalogues (default 10,000 and 100,000 resources) in a temporary directory and times,
each in a fresh process so peak memory (max RSS) is its own:

  floor       read every file and yaml.load it with the fastest installed loader (CSafeLoader), one core
  validate    validate_catalogue(): parse, schema, checks across files, build the Catalogue
  files-mode  validate_catalogue(dir, [one changed file]): a pull request's check against the rest
  cli         `roadmap validate --catalogue dir` in a fresh process, as CI runs it: start-up included

Parsing on both cores was tried and dropped: returning the parsed documents from a worker process costs
more than the second core saves (100k: 16.7 s with two processes, 12.1 s with one; 10k: 1.42 s vs 1.24 s).

Targets on the 2-core machine: 10k < 2 s, 100k < 20 s, validate within 2x of the floor, and
`roadmap validate` of 10k through the CLI within 1.5x of the floor.

    .venv/bin/python benchmarks/bench_validate.py            # 10000 and 100000
    .venv/bin/python benchmarks/bench_validate.py 2000       # any sizes
"""

from __future__ import annotations

import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SECTIONS = [
    "linear-algebra",
    "calculus-optimisation",
    "probability-statistics",
    "core-ml-algorithms",
    "interactive-intuition-tools",
    "visual-algorithm-explainers",
    "practice-datasets",
    "cheatsheets",
]
MEDIA = ["video-series", "interactive", "course", "book", "paper", "code", "dataset", "cheatsheet"]

RESOURCE = """\
# yaml-language-server: $schema=../../schema/resource.schema.json
id: {id}
title: "Synthetic resource number {n}: an explorable explanation"
url: https://www.example{host}.org/topics/{id}/?ref=list
section: {section}
position: {position}
description: >-
  A synthetic resource used to measure the validator. It shows the math running, visualises what the
  equations mean geometrically and lets the student work through calculations by hand.
medium: {medium}
cost: free
provider: Example University (Department {host})
effort: {n} hours total
topics: [vectors, linear-transformations, eigenvectors]
origin: added
added: 2026-11-25
"""


def generate(root: Path, count: int) -> None:
    shutil.copy(REPO / "catalogue" / "roadmap.yaml", root / "roadmap.yaml")
    shutil.copy(REPO / "catalogue" / "sections.yaml", root / "sections.yaml")
    shutil.copy(REPO / "catalogue" / "config.yaml", root / "config.yaml")
    resources = root / "resources"
    resources.mkdir()
    for n in range(count):
        rid = f"synthetic-resource-{n:06d}"
        text = RESOURCE.format(
            id=rid,
            n=n,
            host=n % 997,
            section=SECTIONS[n % len(SECTIONS)],
            position=(n // len(SECTIONS) + 1) * 10,
            medium=MEDIA[n % len(MEDIA)],
        )
        (resources / f"{rid}.yaml").write_text(text, encoding="utf-8")


def _floor(root: str) -> dict[str, float]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files = [Path(root) / "roadmap.yaml", Path(root) / "sections.yaml", Path(root) / "config.yaml"]
    files += sorted((Path(root) / "resources").iterdir())
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            yaml.load(handle.read(), Loader=loader)
    return {"seconds": time.perf_counter() - start, "files": len(files)}


def _validate(root: str, files: list[str] | None) -> dict[str, float]:
    from pipeline.validate import validate_catalogue
    from pipeline.validate.schemas import schema_set

    schema_set()  # loading the schemas is a one-off, not per file
    start = time.perf_counter()
    result = validate_catalogue(Path(root), [Path(f) for f in files] if files else None)
    seconds = time.perf_counter() - start
    assert result.valid, result.problems[:3]
    return {"seconds": seconds, "files": result.files_checked}


def _measure(target, *args):  # type: ignore[no-untyped-def]
    """Run target(*args) in a fresh process; its result plus the peak RSS of it and its workers."""

    def child(queue, *a):  # type: ignore[no-untyped-def]
        out = target(*a)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        queue.put({**out, "peak_mb": own / 1024, "worker_peak_mb": kids / 1024})

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=child, args=(queue, *args))
    process.start()
    result = queue.get()
    process.join()
    return result


def _cli(root: str) -> dict[str, float]:
    import subprocess

    roadmap = str(Path(sys.executable).parent / "roadmap")
    start = time.perf_counter()
    proc = subprocess.run([roadmap, "validate", "--catalogue", root], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return {"seconds": seconds}


def main(sizes: list[int]) -> None:
    print(f"{'resources':>10} {'what':<11} {'seconds':>8} {'vs floor':>9} {'peak MB':>8} {'workers MB':>10}")
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
            root = Path(tmp) / "catalogue"
            root.mkdir()
            generate(root, count)
            changed = str(root / "resources" / "synthetic-resource-000007.yaml")
            floor = _measure(_floor, str(root))
            rows = [
                ("floor", floor),
                ("validate", _measure(_validate, str(root), None)),
                ("files-mode", _measure(_validate, str(root), [changed])),
                ("cli", _measure(_cli, str(root))),
            ]
            for name, row in rows:
                ratio = row["seconds"] / floor["seconds"]
                print(
                    f"{count:>10} {name:<11} {row['seconds']:>8.2f} {ratio:>8.2f}x "
                    f"{row['peak_mb']:>8.0f} {row['worker_peak_mb']:>10.0f}"
                )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
