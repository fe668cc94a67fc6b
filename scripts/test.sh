#!/usr/bin/env bash
# Command two: set up (if needed) and run the whole test suite plus the linter.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check scoring tests bench
.venv/bin/ruff format --check scoring tests bench
.venv/bin/python -m pytest "$@"
