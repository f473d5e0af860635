#!/usr/bin/env bash
# Quickstart 1: create (or reuse) .venv, install the pipeline, run the nightly job on the bundled catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/roadmap nightly "$@"
