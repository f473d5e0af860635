"""reports/index.html: the status page, packed for scale.

The page opens with "Needs a human" (rendered here, grouped exactly as health.md), then a table that an
inline script renders from one compact JSON document, a chunk of rows at a time: 10,000 resources x 30 runs
as HTML rows would be ~20 MB; packed, each run of a resource is one character of status and one of
response time. Nothing is loaded from outside the file.

Packing (the page's script is the only reader; `PAGE_FORMAT` changes when it does):
- times: minutes since `base` (the first run's start, in epoch minutes);
- a resource's timeline: one character per run, `STATUS_CODES[status]`, upper-case when the run was not
  judged (its run was inconclusive or aborted), "?" for a network-level failure that is not judged, "-"
  when it was not checked;
- response times: two characters per run (`pack_ms`: base 64, to 10 ms), ".." when there is none.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from pipeline.clock import readable
from pipeline.health import HealthSummary
from pipeline.publish.report_model import ROWLESS_GROUPS
from pipeline.publish.templating import render
from pipeline.quality.state import State
from pipeline.status import FAILURES, NOT_JUDGED, Status, exhaustive
from pipeline.store.history import CheckRecord, Incident, incidents

PAGE_FORMAT = 1
CHUNK = 50  # rows rendered at a time
NEEDS_HUMAN_SHOWN = 10  # items per group before "show all in the table"
# Severity order: what needs a human first.
STATE_ORDER = (
    State.BROKEN,
    State.FAILING,
    State.PENDING,
    State.MOVED,
    State.BLOCKED,
    State.UNCHECKED,
    State.SKIPPED,
    State.OK,
)
STATE_LABELS = {
    State.OK: "ok",
    State.MOVED: "moved",
    State.FAILING: "failing",
    State.BROKEN: "broken",
    State.BLOCKED: "blocked",
    State.SKIPPED: "skipped",
    State.PENDING: "pending: awaiting a URL",
    State.UNCHECKED: "unchecked: never checked",
}
STATE_COLOURS = {  # the badges, the counts and the legend
    State.OK: "#1a7f37",
    State.MOVED: "#0969da",
    State.FAILING: "#9a6700",
    State.BROKEN: "#cf222e",
    State.BLOCKED: "#bc4c00",
    State.SKIPPED: "#6e7781",
    State.PENDING: "#8250df",
    State.UNCHECKED: "#ffffff",
}
STATUS_CODES = {status: chr(ord("a") + i) for i, status in enumerate(Status)}
MS_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
MS_UNIT = 10  # response times are kept to 10 ms, up to 64 * 64 units (41 s; longer ones are capped)


# What a status means for "since when": healthy, moved, failing, or says nothing.
KIND_OF_STATUS = exhaustive(
    "publish.status_page.KIND_OF_STATUS",
    {
        Status.OK: "ok",
        Status.REDIRECTED: "moved",
        Status.BLOCKED: "no verdict",
        Status.SKIPPED: "no verdict",
        **{status: "failing" for status in FAILURES},
    },
)


def _kind(status: str) -> str:
    return KIND_OF_STATUS[status]  # StrEnum keys: the stored string finds its member


def state_since(
    history: Sequence[Any], runs: Sequence[Any], conclusive: Sequence[bool], summary: HealthSummary | None
) -> tuple[datetime | None, bool]:
    """When the resource's current state began, and whether that is only a bound (it began before the
    window). Failing: the streak's first failure (the store knows it exactly). Otherwise the earliest run
    of the window's trailing stretch of the same kind; runs that did not check it are skipped."""
    if summary is None or summary.status is None:
        return None, False
    if Status(summary.status) in FAILURES and summary.failing_since is not None:
        return summary.failing_since, False
    kind = _kind(summary.status)
    since = None
    for i in range(len(runs) - 1, -1, -1):
        if not conclusive[i] or history[i] in (None, NOT_JUDGED):
            continue
        if _kind(history[i]) != kind:
            return since, False
        since = runs[i].started_at
    return since or summary.checked_at, True


def window_incidents(
    rid: str, history: Sequence[Any], runs: Sequence[Any], conclusive: Sequence[bool], failing: Any
) -> tuple[Incident, ...]:
    """Incidents in the window, from the failing checks' records and the runs' other statuses."""
    records = {record.run_id: record for record in failing.get(rid, ())}
    if not records:
        return ()
    checks = []
    for i, run in enumerate(runs):
        status = history[i]
        if status in (None, NOT_JUDGED):
            continue
        outcome = run.conclusion if conclusive[i] else "inconclusive"
        record = records.get(run.id)
        checks.append(
            record or CheckRecord(run.id, outcome, run.started_at, "", status, None, None, None, ())
        )
    return tuple(incidents(checks))


@functools.cache
def pack_ms(ms: int | None) -> str:
    """A response time as two characters (base 64, in MS_UNIT), ".." when there is none. Cached: a page
    packs hundreds of thousands, mostly of a few thousand distinct values."""
    if ms is None:
        return ".."
    units = min(max(round(ms / MS_UNIT), 0), len(MS_ALPHABET) ** 2 - 1)
    return MS_ALPHABET[units // len(MS_ALPHABET)] + MS_ALPHABET[units % len(MS_ALPHABET)]


def _cell_code(status: str | None, judged: bool) -> str:
    if status is None:
        return "-"
    if status == NOT_JUDGED:  # a network-level failure in a run that did not go to the end
        return "?"
    code = STATUS_CODES[status]
    return code if judged else code.upper()


def _minutes(moment: datetime | None, base: int) -> int | None:
    return None if moment is None else _epoch_minutes(moment) - base


def _epoch_minutes(moment: datetime) -> int:
    # Stored times are naive UTC: count from the epoch without the local time zone.
    return int((moment - datetime(1970, 1, 1)).total_seconds() // 60)


def page_data(report: Any) -> dict[str, Any]:
    """The status page's table as one compact, deterministic document."""
    runs = report.runs
    base = _epoch_minutes(runs[0].started_at) if runs else 0
    section_index = {sid: i for i, (sid, _) in enumerate(report.sections)}
    state_index = {state.value: i for i, state in enumerate(STATE_ORDER)}
    action_index = {group.id: i for i, group in enumerate(report.actions)}
    rows = []
    for row in report.rows:
        timeline = "".join(_cell_code(cell.status, cell.judged) for cell in row.timeline)
        rows.append(
            [
                row.id,
                row.title,
                row.url or "",
                section_index.get(report.section_parts.get(row.section_id, row.section_id), -1),
                state_index[row.state],
                action_index.get(row.action, -1) if row.action else -1,
                -1 if row.uptime is None else round(row.uptime * 1000),
                _minutes(row.since, base),
                1 if row.since_bound else 0,
                _minutes(row.checked_at, base),
                timeline,
                "".join(pack_ms(ms) for ms in row.elapsed),
                "" if row.state in (State.OK.value, State.UNCHECKED.value) else row.detail,
                [
                    [
                        _minutes(i.started_at, base),
                        _minutes(i.ended_at, base),
                        i.status,
                        i.failures,
                        i.evidence[:200],
                    ]
                    for i in row.incidents
                ],
            ]
        )
    return {
        "format": PAGE_FORMAT,
        "base": base,
        "runs": [[r.id, _minutes(r.started_at, base), r.conclusion, r.trigger] for r in runs],
        "sections": [list(s) for s in report.sections],
        "states": [[s.value, STATE_LABELS[s], STATE_COLOURS[s]] for s in STATE_ORDER],
        "statuses": [s.value for s in Status],
        "actions": [[g.id, g.title] for g in report.actions],
        "ms": {"alphabet": MS_ALPHABET, "unit": MS_UNIT},
        "chunk": CHUNK,
        "rows": rows,
    }


# What only says when or which run, never what the health is (pipeline.publish.outputs keeps the page
# when nothing else changed): the document's time base and runs; a row's since, checked, timeline and
# response times (row fields below); an incident's start and end (its first two fields).
VOLATILE_DATA_KEYS = frozenset({"base", "runs"})
VOLATILE_ROW_FIELDS = frozenset({7, 9, 10, 11})
INCIDENTS_FIELD = 13
_DATA_SCRIPT = re.compile(r'(<script type="application/json" id="data">)(.*?)(</script>)', re.S)


def page_content(html: str) -> tuple[str, Any]:
    """The page without what only says when or which run: (the HTML around the data, the data). Raises
    ValueError when the data is not JSON (a page from another version: rewrite it)."""
    found = _DATA_SCRIPT.search(html)
    if found is None:
        return html, None
    data = json.loads(found.group(2))
    rows = []
    for row in data.get("rows", ()):
        kept = [None if i in VOLATILE_ROW_FIELDS else value for i, value in enumerate(row)]
        if len(kept) > INCIDENTS_FIELD:
            kept[INCIDENTS_FIELD] = [incident[2:] for incident in kept[INCIDENTS_FIELD]]
        rows.append(kept)
    stable = {k: v for k, v in data.items() if k not in VOLATILE_DATA_KEYS} | {"rows": rows}
    return html[: found.start(2)] + html[found.end(2) :], stable


def script_json(value: Any) -> str:
    """JSON inside <script type="application/json">: compact; "<" escaped, so nothing in it can close the
    element or open a comment."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _code_spans(text: str) -> Markup:
    """A to-do line as HTML: escaped, `code` spans kept as <code>."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def when(moment: datetime | None) -> str:
    """The readable UTC fallback of a time (the page's script shows it in the reader's time zone)."""
    return readable(moment, "an unknown time")


def render_status_page(report: Any) -> str:
    return render(
        "index.html.j2",
        report=report,
        groups=[(group, _code_spans(group.todo)) for group in report.actions],
        rowless=ROWLESS_GROUPS,
        data=Markup(script_json(page_data(report))),
        states=STATE_ORDER,
        labels=STATE_LABELS,
        colours=STATE_COLOURS,
        shown=NEEDS_HUMAN_SHOWN,
        when=when,
    )
