#!/usr/bin/env bash
# The test command: set-up (idempotent), then ruff, mypy, pytest and the floors run (scripts/floors.sh: the
# sandbox flow with every runtime dependency at the lowest version pyproject.toml allows). With arguments (a
# subset of the tests, pytest options) only pytest runs them, and the floors run is left out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/floors.sh --install-only  # the floors' venv: tests/test_floors*.py judge ampctl against it
echo "== ruff"; .venv/bin/ruff check ampctl tests bench && .venv/bin/ruff format --check ampctl tests bench
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; AMPCTL_FLOORS_REQUIRED=1 .venv/bin/pytest -q "$@"
if [ $# -eq 0 ]; then echo "== floors"; scripts/floors.sh; fi
