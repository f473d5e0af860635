"""`roadmap history ID`: one resource's recorded checks and its incidents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import catalogue_option, database_option, format_option
from pipeline.cli.render import columns
from pipeline.clock import isoformat, readable
from pipeline.errors import UsageError
from pipeline.wording import plural

RUN_NOT_JUDGED = " (run {outcome}: not judged)"


def _check_line(check: Any) -> tuple[str, ...]:
    # A network-level failure outside a complete run reads pipeline.status.NOT_JUDGED, never its status.
    status = check.shown + ("" if check.judged else f" (run {check.run_conclusion})")
    if not check.judged and check.shown == check.status:
        status = check.status + RUN_NOT_JUDGED.format(outcome=check.run_conclusion)
    return (
        readable(check.checked_at),
        f"#{check.run_id}",
        status,
        str(check.http_status or "-"),
        check.final_url or "-",
        check.said or "-",
    )


def _incident_line(incident: Any) -> str:
    end = (
        "still failing"
        if incident.ongoing
        else f"recovered {readable(incident.ended_at)} (run #{incident.ended_run})"
    )
    evidence = f" — {incident.evidence}" if incident.evidence else ""
    return (
        f"{incident.status} from {readable(incident.started_at)} (run #{incident.started_run}), {end}; "
        f"{plural(incident.failures, 'failing check')}{evidence}"
    )


def render_text(resource: Any, checks: list[Any], found: list[Any], limit: int) -> list[str]:
    retired = f" (retired {readable(resource.retired_at)})" if resource.retired_at else ""
    lines = [f"{resource.id} · {resource.title} · {resource.section_id}{retired}"]
    lines.append(f"URL: {resource.url or '(none: awaiting a verified URL)'}")
    if not checks:
        return [*lines, "", "Never checked."]
    shown = checks[-limit:]
    more = f", the last {len(shown)} of {len(checks)}" if len(shown) < len(checks) else ""
    lines += ["", f"Checks (oldest first{more}):"]
    header = ("when", "run", "status", "HTTP", "final URL", "evidence")
    lines += columns([header, *(_check_line(c) for c in shown)])
    lines += ["", f"Incidents ({len(found)}):" if found else "Incidents: none."]
    lines += [f"  {_incident_line(i)}" for i in reversed(found)]
    return lines


def history_json(resource: Any, checks: list[Any], found: list[Any], limit: int) -> dict[str, Any]:
    return {
        "resource": {
            "id": resource.id,
            "title": resource.title,
            "url": resource.url,
            "section": resource.section_id,
            "retired_at": isoformat(resource.retired_at),
        },
        "checks": [
            {
                "run_id": c.run_id,
                "run_outcome": c.run_conclusion,
                "judged": c.judged,
                "checked_at": isoformat(c.checked_at),
                "url": c.url,
                "status": c.status,
                "shown": c.shown,
                "network_failure": c.network_failure,
                "http_status": c.http_status,
                "final_url": c.final_url,
                "elapsed_ms": c.elapsed_ms,
                "evidence": [{"rule": e.rule, "detail": e.detail} for e in c.evidence],
                "error_detail": c.error_detail,
            }
            for c in checks[-limit:]
        ],
        "incidents": [
            {
                "status": i.status,
                "started_at": isoformat(i.started_at),
                "started_run": i.started_run,
                "ended_at": isoformat(i.ended_at),
                "ended_run": i.ended_run,
                "failures": i.failures,
                "evidence": i.evidence,
            }
            for i in found
        ],
    }


@click.command("history", short_help="Show one resource's checks and incidents.")
@click.argument("resource_id", metavar="ID")
@catalogue_option
@database_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    metavar="N",
    help="Checks to list (the newest N); incidents always cover the whole history.",
)
@format_option("text", "json")
def command(
    resource_id: str, catalogue_dir: Path, database_url: str | None, limit: int, output_format: str
) -> None:
    """Show one resource's recorded checks, oldest first (when, run, status, HTTP status, final URL,
    evidence), then its incidents: each stretch of failing checks from the first failure to the
    recovery. Results of inconclusive or aborted runs are listed but marked "not judged".

    Exits 2 when the database knows no resource with that id. No network access.

    \b
    Examples:
      roadmap history essence-of-linear-algebra
      roadmap history micrograd --limit 5 --format json
    """
    from pipeline.store.engine import open_store
    from pipeline.store.history import find_resource, incidents, resource_checks

    engine = open_store(database_url, catalogue_dir)
    try:
        resource = find_resource(engine, resource_id)
        if resource is None:
            raise UsageError(
                f"no resource {resource_id!r} in the database (see `roadmap runs`; "
                "`roadmap sync` records new catalogue entries)"
            )
        checks = resource_checks(engine, resource_id)
    finally:
        engine.dispose()
    found = incidents(checks)
    if output_format == "json":
        document = history_json(resource, checks, found, limit)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for line in render_text(resource, checks, found, limit):
            click.echo(line)
