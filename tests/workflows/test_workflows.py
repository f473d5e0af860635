"""The workflow files and the pre-commit hook definition shipped in the repository.

They run on GitHub, not here, so the tests check what can be checked offline: each file against the
GitHub workflow schema that check-jsonschema ships, the steps that matter, and the shell of the steps with
logic in them, run for real against a scratch git repository and a stand-in `gh`.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def step(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    found = [s for s in steps(workflow, job) if s.get("name") == name]
    assert len(found) == 1, f"no single step named {name!r} in {job}"
    return found[0]


def schema_check(*paths: Path, schema: str = "vendor.github-workflows") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_workflows_are_valid_against_the_github_workflow_schema() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["nightly.yml", "validate.yml"]
    result = schema_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a job without runs-on and a misspelt key are refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    step:\n      - run: echo hi\n")
    result = schema_check(broken)
    assert result.returncode == 1
    assert "broken.yml" in result.stdout


def test_validate_workflow_runs_on_pull_requests_with_the_key_steps() -> None:
    workflow = load("validate.yml")
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    checkout, python = steps(workflow, "catalogue")[:2]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"]["python-version"] == "3.11"
    assert "pip install" in step(workflow, "catalogue", "Install")["run"]
    changed_files = step(
        workflow, "catalogue", "Validate the changed files against the rest (annotations on the pull request)"
    )
    assert "roadmap validate --format github" in changed_files["run"]
    assert (
        step(workflow, "catalogue", "Validate the whole catalogue")["run"]
        == "roadmap validate --format github"
    )
    assert step(workflow, "catalogue", "Exports are up to date")["run"] == "roadmap export --check"
    assert step(workflow, "tests", "Lint and run the whole test suite")["run"] == "bash .ci/run"


def test_nightly_workflow_key_steps() -> None:
    workflow = load("nightly.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert re.fullmatch(r"[\d*/,-]+( [\d*/,-]+){4}", workflow["on"]["schedule"][0]["cron"])
    assert workflow["permissions"] == {"contents": "write", "issues": "write"}
    assert workflow["concurrency"] == {"group": "nightly", "cancel-in-progress": False}
    restore = step(workflow, "nightly", "Restore the database (health history)")
    assert restore["uses"].startswith("actions/cache/restore@")
    assert restore["with"]["key"] == "roadmap-db-${{ github.run_id }}-${{ github.run_attempt }}"
    assert restore["with"]["restore-keys"].strip() == "roadmap-db-"
    save = step(workflow, "nightly", "Save the database")
    assert save["uses"].startswith("actions/cache/save@")
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"] == restore["with"]["key"]  # a new entry per run (and attempt)
    assert ".roadmap-state" in workflow["env"]["ROADMAP_DATABASE_URL"]
    assert "roadmap nightly $ALL" in step(workflow, "nightly", "Run the nightly job")["run"]
    commit = step(workflow, "nightly", "Commit refreshed exports and reports")
    assert "git add exports reports" in commit["run"] and "git push" in commit["run"]
    # One issue: opened or updated on exit 1, closed on exit 0, left alone on exit 3.
    assert step(workflow, "nightly", "Open or update the link-health issue")["if"] == (
        "steps.nightly.outputs.exit-code == '1'"
    )
    assert step(workflow, "nightly", "Close the link-health issue")["if"] == (
        "steps.nightly.outputs.exit-code == '0'"
    )
    assert "'3'" not in step(workflow, "nightly", "Open or update the link-health issue")["if"]


# --- the shell of the steps, run for real -------------------------------------------------------


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script the way GitHub does: bash -e {0}."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "list"
    (repo / "catalogue" / "resources").mkdir(parents=True)
    (repo / "schema").mkdir()
    (repo / "catalogue" / "sections.yaml").write_text("sections: []\n")
    (repo / "catalogue" / "resources" / "old.yaml").write_text("id: old\n")
    (repo / "schema" / "resource.schema.json").write_text("{}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


@pytest.mark.parametrize(
    ("change", "mode", "files"),
    [
        ("add", "files", ["catalogue/resources/new.yaml"]),
        ("edit", "files", ["catalogue/resources/old.yaml", "catalogue/sections.yaml"]),
        ("delete", "all", None),
        ("schema", "all", None),
        ("code-only", "all", None),
    ],
)
def test_changed_catalogue_files_step(
    scratch_repo: Path, tmp_path: Path, change: str, mode: str, files: list[str] | None
) -> None:
    base = git(scratch_repo, "rev-parse", "HEAD")
    resources = scratch_repo / "catalogue" / "resources"
    if change == "add":
        (resources / "new.yaml").write_text("id: new\n")
    elif change == "edit":
        (resources / "old.yaml").write_text("id: old\ntitle: x\n")
        (scratch_repo / "catalogue" / "sections.yaml").write_text("sections: [a]\n")
    elif change == "delete":
        (resources / "old.yaml").unlink()
    elif change == "schema":
        (resources / "old.yaml").write_text("id: old\ntitle: x\n")
        (scratch_repo / "schema" / "resource.schema.json").write_text('{"type": "object"}\n')
    else:
        (scratch_repo / "tool.py").write_text("print()\n")
    git(scratch_repo, "add", "-A")
    git(scratch_repo, "commit", "-q", "-m", change)
    output, runner_temp = tmp_path / "github-output", tmp_path / "runner-temp"
    runner_temp.mkdir()
    script = step(load("validate.yml"), "catalogue", "Changed catalogue files")["run"]
    result = run_step(
        script,
        scratch_repo,
        {"BASE_SHA": base, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner_temp)},
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == f"mode={mode}\n"
    if files is not None:
        assert (runner_temp / "changed-catalogue-files").read_text().split() == files


FAKE_GH = """#!/usr/bin/env bash
# Records each call; answers `gh issue list` with the open issue number in $FAKE_GH_OPEN (or nothing).
printf '%s\\n' "$*" >> "$FAKE_GH_LOG"
if [ "$1 $2" = "issue list" ]; then printf '%s\\n' "$FAKE_GH_OPEN"; fi
"""


@pytest.mark.parametrize(
    ("exit_code", "open_issue", "expected"),
    [
        (
            "1",
            "",
            ["label create", "issue list", "issue create --title Link health: resources need a maintainer"],
        ),
        ("1", "42", ["label create", "issue list", "issue edit 42 --body-file"]),
        ("0", "42", ["issue list", "issue close 42 --comment All resources are healthy again"]),
        ("0", "", ["issue list"]),
        ("3", "42", []),
    ],
    ids=[
        "problems-open-new",
        "problems-update-existing",
        "healthy-close",
        "healthy-none-open",
        "inconclusive-nothing",
    ],
)
def test_link_health_issue_steps(
    tmp_path: Path, exit_code: str, open_issue: str, expected: list[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "health.md").write_text("# Link health\n\n- broken: example\n")
    log = tmp_path / "gh.log"
    log.touch()
    workflow = load("nightly.yml")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_LOG": str(log),
        "FAKE_GH_OPEN": open_issue,
        "RUNNER_TEMP": str(tmp_path),
        "RUN_URL": "https://github.example/runs/1",
        **workflow["env"],
    }
    for name in ("Open or update the link-health issue", "Close the link-health issue"):
        found = step(workflow, "nightly", name)
        # Evaluate the step's `if:` the way Actions would, for the only output it reads.
        if found["if"] != f"steps.nightly.outputs.exit-code == '{exit_code}'":
            continue
        result = run_step(found["run"], tmp_path, env)
        assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == len(expected)
    for call, start in zip(calls, expected, strict=True):
        assert call.startswith(start), calls
    if exit_code == "1":
        body = (tmp_path / "body.md").read_text()
        assert body.startswith("# Link health\n\n- broken: example\n")
        assert body.endswith("From the nightly run https://github.example/runs/1\n")


# --- the pre-commit hook definition ---------------------------------------------------------------

# check-jsonschema ships no schema for .pre-commit-hooks.yaml; these are pre-commit's manifest rules
# for the keys we use (required keys, their types, and no unknown keys).
PRE_COMMIT_MANIFEST = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "name", "entry", "language"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "entry": {"type": "string"},
            "language": {"enum": ["python", "system", "script", "docker", "node", "golang", "rust"]},
            "files": {"type": "string", "format": "regex"},
            "exclude": {"type": "string", "format": "regex"},
            "types": {"type": "array", "items": {"type": "string"}},
            "types_or": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
            "pass_filenames": {"type": "boolean"},
            "require_serial": {"type": "boolean"},
            "minimum_pre_commit_version": {"type": "string"},
            "args": {"type": "array", "items": {"type": "string"}},
            "stages": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    jsonschema.validate(hooks, PRE_COMMIT_MANIFEST, format_checker=jsonschema.FormatChecker())
    (hook,) = hooks
    assert hook["id"] == "roadmap-validate"
    assert hook["entry"] == "roadmap validate"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("catalogue/resources/essence-of-linear-algebra.yaml")
    assert files.search("catalogue/config.yaml")
    assert not files.search("catalogue/README.md")
    assert not files.search("exports/roadmap.json")
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    local = next(r for r in config["repos"] if r["repo"] == "local")
    assert local["hooks"][0]["id"] == hook["id"]
    assert local["hooks"][0]["entry"] == hook["entry"]
    assert local["hooks"][0]["files"] == hook["files"]


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, 0), ("id: statquest\n", 1)],
    ids=["valid-file", "invalid-file"],
)
def test_the_hook_entry_validates_the_changed_files(tmp_path: Path, content: str | None, code: int) -> None:
    """What pre-commit runs: the hook's entry with the changed file names, from the repository root."""
    shutil.copytree(REPO / "catalogue", tmp_path / "catalogue")
    changed = tmp_path / "catalogue" / "resources" / "statquest.yaml"
    if content is not None:
        changed.write_text(content)
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())[0]
    program, *args = hook["entry"].split()
    executable = shutil.which(program, path=str(Path(sys.executable).parent))
    assert executable is not None
    result = subprocess.run(
        [executable, *args, "catalogue/resources/statquest.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == code, result.stdout + result.stderr
    if code:
        assert result.stdout.startswith("catalogue/resources/statquest.yaml:")


def test_commit_step_pushes_refreshed_exports_and_reports_once(tmp_path: Path) -> None:
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(work))
    (work / "README.md").write_text("list\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "start")
    git(work, "push", "-q", "origin", "main")
    script = step(load("nightly.yml"), "nightly", "Commit refreshed exports and reports")["run"]
    script = script.replace("${{ github.run_id }}", "123")
    for folder, name in (("exports", "roadmap.json"), ("reports", "health.md")):
        (work / folder).mkdir()
        (work / folder / name).write_text(f"{name}\n")
    (work / ".roadmap-state").mkdir()
    (work / ".roadmap-state" / "roadmap.db").write_text("not committed")

    first = run_step(script, work, {})
    assert first.returncode == 0, first.stderr
    assert (
        git(origin, "log", "--format=%s", "main") == "nightly: refresh exports and reports (run 123)\nstart"
    )
    assert git(origin, "ls-tree", "-r", "--name-only", "main").split() == [
        "README.md",
        "exports/roadmap.json",
        "reports/health.md",
    ]
    again = run_step(script, work, {})
    assert (again.returncode, again.stdout) == (0, "Exports and reports unchanged.\n")
    assert len(git(origin, "log", "--format=%s", "main").splitlines()) == 2
