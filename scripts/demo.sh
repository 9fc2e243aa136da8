#!/usr/bin/env bash
# ampctl's main job on the local sandbox: start the sandbox, bootstrap the primary cluster
# (federated), add the two other clusters (they follow the fleet's recorded shape), and check them.
# The sandbox serves the real Kubecost charts from ../shared/charts when that folder exists (else its
# stand-in charts). The sandbox keeps running afterwards
# (stop it with `.venv/bin/ampctl sandbox down`); pass --down to stop it at the end.
# AMPCTL_DEMO_VERSION picks the chart version (default 2.8.7; 2.9.7 runs the 2.9 line).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
export AMPCTL_SANDBOX_DIR="${AMPCTL_SANDBOX_DIR:-$root/.sandbox}"
work=$(mktemp -d)
down=""
[ "${1:-}" = "--down" ] && down=1
# With --down the sandbox stops at the end whatever happened (a failed step included).
trap 'cd "$root"; if [ -n "$down" ]; then ampctl sandbox down || true; fi; rm -rf "$work"' EXIT

charts=()
if [ -d "$root/../shared/charts" ]; then
  charts=(--charts "$(cd "$root/../shared/charts" && pwd)")
fi
ampctl sandbox up --feeder-interval 1 "${charts[@]}"
eval "$(ampctl sandbox env)"
version="${AMPCTL_DEMO_VERSION:-2.8.7}"
ctx() { echo "arn:aws:eks:${AWS_REGION}:123456789012:cluster/$1"; }

cd "$work"
echo "== ampctl bootstrap --federated --kubecost-version $version (sandbox-primary)"
ampctl bootstrap --federated --yes --kubecost-version "$version" --context "$(ctx sandbox-primary)"
echo "== ampctl add-cluster (sandbox-east, sandbox-west: they follow the fleet's mode and chart version)"
ampctl add-cluster --yes --context "$(ctx sandbox-east)" --context "$(ctx sandbox-west)"
echo "== ampctl doctor --all --wait 2m"
ampctl doctor --all --wait 2m
echo "== ampctl status --all"
ampctl status --all
cd "$root"
if [ -z "$down" ]; then
  echo "the sandbox is still running: eval \"\$(.venv/bin/ampctl sandbox env)\" to use it, .venv/bin/ampctl sandbox down to stop it"
fi
