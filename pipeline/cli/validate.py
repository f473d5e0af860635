"""`roadmap validate`: check the catalogue, print every problem, exit 0 (valid) or 1 (problems)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.options import catalogue_option, format_option
from pipeline.status import EXIT_OK, EXIT_PROBLEMS
from pipeline.validate import Problem, ValidationResult, validate_catalogue
from pipeline.validate.run import display_root
from pipeline.wording import plural


@click.command("validate")
@catalogue_option
@format_option("text", "json", "github")
@click.option(
    "--allow-private-addresses",
    is_flag=True,
    help="Accept localhost and loopback/private addresses in URLs (tests and local mirrors only).",
)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def command(
    catalogue_dir: Path, output_format: str, allow_private_addresses: bool, files: tuple[Path, ...]
) -> None:
    """Check the catalogue against the schemas in schema/ and the list's rules.

    Prints every problem as `file:line:col: what is wrong — how to fix it`. Given FILES (e.g. the files a
    pull request changed), checks those fully and against the rest of the catalogue. Besides the schemas:
    duplicate ids, URLs and positions (reported on every file involved), click-tracking parameters in a URL
    (the fix is the cleaned URL) and localhost or loopback/private/link-local addresses. Exit status:
    0 valid, 1 problems found, 2 usage error.

    \b
    Examples:
      roadmap validate
      roadmap validate catalogue/resources/statquest.yaml
      roadmap validate --format github $(git diff --name-only --diff-filter=d origin/main -- catalogue/)
    """
    result = validate_catalogue(
        catalogue_dir, list(files) or None, allow_private_addresses=allow_private_addresses
    )
    root = display_root(catalogue_dir)
    if output_format == "json":
        click.echo(json.dumps(render_json(result, root), indent=2, ensure_ascii=False))
    else:
        for problem in result.problems:
            click.echo(github_annotation(problem) if output_format == "github" else problem.format_text())
        click.echo(summary(result, root, partial=bool(files)))
    raise click.exceptions.Exit(EXIT_OK if result.valid else EXIT_PROBLEMS)


def summary(result: ValidationResult, root: str, partial: bool) -> str:
    files = plural(result.files_with_problems, "file")
    warnings = len(result.problems) - len(result.errors)
    if result.errors:
        of_them = f" ({plural(warnings, 'warning')} among them)" if warnings else ""
        return f"{plural(len(result.problems), 'problem')} in {files}{of_them}"
    if warnings:  # nothing fails: say so, or a green CI run reads as a contradiction
        return f"{plural(warnings, 'warning')} in {files}, no errors: valid"
    if result.catalogue is not None:
        catalogue = result.catalogue
        resources = plural(len(catalogue.resources), "resource")
        return f"{root}/: {resources} in {plural(len(catalogue.sections), 'section')}, valid"
    checked = plural(result.files_checked, "file")
    return (
        f"{root}/: {checked} checked against the rest of the catalogue, valid"
        if partial
        else f"{root}/: valid"
    )


def render_json(result: ValidationResult, root: str) -> dict[str, object]:
    catalogue = result.catalogue
    return {
        "valid": result.valid,
        "problems": [p.to_json() for p in result.problems],
        "summary": {
            "catalogue": root,
            "files_checked": result.files_checked,
            "problems": len(result.problems),
            "files_with_problems": result.files_with_problems,
            "resources": len(catalogue.resources) if catalogue else None,
            "sections": len(catalogue.sections) if catalogue else None,
        },
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """A GitHub Actions workflow command that annotates the file in a pull request."""
    level = "error" if problem.severity == "error" else "warning"
    props = [f"file={_escape_property(problem.file)}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
        props.append(f"col={problem.column or 1}")
    props.append(f"title={_escape_property(problem.rule)}")
    message = f"{problem.message} — {problem.hint}" if problem.hint else problem.message
    return f"::{level} {','.join(props)}::{_escape_data(message)}"
