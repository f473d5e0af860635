#!/usr/bin/env bash
# Quickstart 2: create (or reuse) .venv, install the pipeline with its test tools, lint (ruff, the import
# layers), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports  # the layers in pyproject.toml [tool.importlinter]: arrows run one way
exec .venv/bin/python -m pytest "$@"
