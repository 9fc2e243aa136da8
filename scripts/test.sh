#!/usr/bin/env bash
# The test command: set-up (idempotent), then ruff, mypy and pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check ampctl tests bench && .venv/bin/ruff format --check ampctl tests bench
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/pytest -q "$@"
