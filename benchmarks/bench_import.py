"""A synthetic 13,000-entry Markdown list through the CLI: time and peak memory (RSS) of import,
validate, sync, report and export, each in its own process, against the per-10k targets scaled linearly.

    .venv/bin/python benchmarks/bench_import.py [--items 13000]

The list mixes the shapes of real lists: `- [Name](url) - Description.`, secondary links and tags,
nested sub-items, bold names, entries without a link, and a table per tenth section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Per 10,000 resources (README "Benchmarks"); import has no earlier target: "in seconds".
TARGETS_PER_10K = {"validate": 2.0, "sync": 5.0, "export": 3.0, "report": 5.0}
PER_SECTION = 100


def synthetic_list(items: int) -> str:
    lines = ["# Awesome Synthetic", "", "A generated list for the import benchmark.", "", "## Contents", ""]
    sections = (items + PER_SECTION - 1) // PER_SECTION
    lines += [f"- [Topic {s}](#topic-{s})" for s in range(sections)]
    made = 0
    for s in range(sections):
        lines += ["", f"## Topic {s}", "", f"_Things about topic {s}._", ""]
        count = min(PER_SECTION, items - made)
        if s % 10 == 9:
            lines += ["| API | Description | Auth | HTTPS |", "|:---|:---|:---|:---|"]
            for i in range(count):
                url = f"https://api{i % 97}.example.org/{s}/{i}"
                lines.append(f"| [Api {s}-{i}]({url}) | Does {i} things | `apiKey` | Yes |")
        else:
            for i in range(count):
                url = f"https://site{i % 211}.example.org/{s}/{i}"
                shape = i % 10
                if shape == 0:
                    lines.append(f"- Group {s}-{i}")
                elif shape == 1:
                    lines.append(f"  - [Child {s}-{i}]({url}) - A nested entry.")
                elif shape == 2:
                    lines.append(f"- **[Bold {s}-{i}]({url})** – An entry with a bold name.")
                elif shape == 3:
                    lines.append(
                        f"- [App {s}-{i}]({url}) - Self-hosted app number {i}. "
                        f"([Demo]({url}/demo), [Source Code](https://git.example.org/{s}/{i})) `MIT` `Go`"
                    )
                else:
                    lines.append(f"- [Library {s}-{i}]({url}) - A library that does thing {i} well.")
        made += count
    lines += ["", "## License", "", "CC0."]
    return "\n".join(lines) + "\n"


def run(label: str, *args: str) -> tuple[float, float, int]:
    """One CLI step in its own process: (seconds, peak RSS in MB, exit code)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024
    print(f"{label:<10} {seconds:7.2f} s   peak RSS {peak:6.1f} MB   exit {code}", flush=True)
    if process.stderr is not None:
        error = process.stderr.read().decode().strip()
        if code not in (0, 1) and error:
            print("    " + error[-400:])
    return seconds, peak, code


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=13_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        source = work / "README.md"
        source.write_text(synthetic_list(args.items), encoding="utf-8")
        catalogue = work / "list" / "catalogue"
        database = f"sqlite:///{work / 'list.db'}"
        print(f"synthetic list: {args.items:,} entries, {source.stat().st_size / 1e6:.1f} MB of Markdown")
        results = {
            "import": run("import", "import", str(source), "--into", str(catalogue)),
            "validate": run("validate", "validate", "--catalogue", str(catalogue)),
            "sync": run("sync", "sync", "--catalogue", str(catalogue), "--database", database),
            "report": run("report", "report", "--catalogue", str(catalogue), "--database", database),
            "export": run("export", "export", "--catalogue", str(catalogue), "--database", database),
        }
        scale = args.items / 10_000
        print()
        for step, (seconds, _, code) in results.items():
            target = TARGETS_PER_10K.get(step)
            if target is None:
                continue
            verdict = "ok" if seconds < target * scale and code in (0, 1) else "OVER"
            limit = target * scale
            print(f"{step:<10} {seconds:7.2f} s  target < {limit:.1f} s ({target} s per 10k)  {verdict}")
        resources = len(list((catalogue / "resources").glob("*.yaml")))
        readme = (catalogue.parent / "exports" / "README.md").read_text(encoding="utf-8")
        same = readme == source.read_text(encoding="utf-8").replace(
            "\n".join(
                f"- [Topic {s}](#topic-{s})" for s in range((args.items + PER_SECTION - 1) // PER_SECTION)
            ),
            "\n".join(
                f"- [Topic {s}](#topic-{s})" for s in range((args.items + PER_SECTION - 1) // PER_SECTION)
            )
            + "\n- [License](#license)",
        )
        print(f"{resources:,} resource files; round-trip README identical besides the ToC: {same}")


if __name__ == "__main__":
    main()
