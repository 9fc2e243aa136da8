#!/usr/bin/env bash
# Prepares a fresh machine for ampctl's sandbox and tests (idempotent):
# Prometheus (Debian package) when missing, the .venv with ampctl and its extras, helm and kubectl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v prometheus >/dev/null 2>&1; then
  echo "installing prometheus (apt)…"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv…"
  "${PYTHON:-python3}" -m venv .venv
fi
if ! .venv/bin/python -c "import ampctl, moto, pytest" >/dev/null 2>&1 || [ pyproject.toml -nt .venv/.ampctl-installed ]; then
  echo "installing ampctl[dev] into .venv…"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import ampctl, moto, pytest"
  touch .venv/.ampctl-installed
fi
scripts/install-tools.sh .venv/bin 2>&1 | grep -v '^WARNING: Location' || true
