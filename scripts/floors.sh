#!/usr/bin/env bash
# The sandbox flow at the lowest versions pyproject.toml allows for ampctl's runtime dependencies.
# Builds .venv-floors (each runtime dependency pinned to its `>=` floor, botocore to the lowest that boto3's
# floor accepts; the sandbox extras at whatever pip resolves beside them), then, with everything run from
# that venv (ampctl and its sandbox):
#   fleet A: bootstrap --federated, add-cluster, doctor, status, render (IRSA);
#   fleet B: bootstrap with --identity pod-identity --install-pod-identity-agent and the workspace in another
#            account (--workspace-account-role), doctor;
#   a usage error and a user error (one line, exit 1, no traceback); teardown of both fleets.
# botocore validates every parameter against its model before a request leaves the client, so a call that
# the floor's model does not know fails this run. A floor too low for what ampctl calls fails here: raise it.
# Usage: scripts/floors.sh [--install-only]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv-floors"
quiet() { grep -v '^WARNING: Location' || true; }

[ -x .venv/bin/python ] || scripts/setup.sh
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
boto3_floor=$(.venv/bin/python scripts/floors.py | sed -n 's/^boto3==//p')
.venv/bin/python -m pip download --no-deps -q -d "$wheels" "boto3==$boto3_floor" 2>&1 | quiet
.venv/bin/python scripts/floors.py "$wheels" >"$wheels/floors.txt"
if ! cmp -s "$wheels/floors.txt" "$venv/floors.txt" || [ pyproject.toml -nt "$venv/floors.txt" ]; then
  echo "building .venv-floors with: $(tr '\n' ' ' <"$wheels/floors.txt")"
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | quiet
  # The floors are constraints: ampctl and its sandbox extras install against them, or pip says which
  # requirement conflicts (then a floor is lower than what another dependency's floor needs: raise it).
  if ! "$venv/bin/python" -m pip install -q -c "$wheels/floors.txt" -e ".[sandbox]" \
    $(sed 's/==.*//' "$wheels/floors.txt") 2>&1 | quiet; then
    echo "error: the floors do not install together (pip says which above): raise the lower one in pyproject.toml" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip check
  cp "$wheels/floors.txt" "$venv/floors.txt"
fi
for tool in helm helm3 helm4 kubectl; do ln -sf "$root/.venv/bin/$tool" "$venv/bin/$tool"; done
[ "${1:-}" = "--install-only" ] && exit 0

start=$SECONDS
export PATH="$venv/bin:$PATH"
export AMPCTL_SANDBOX_DIR
AMPCTL_SANDBOX_DIR=$(mktemp -d)
work=$(mktemp -d)
trap 'cd "$root"; ampctl sandbox down >/dev/null || true; rm -rf "$wheels" "$work" "$AMPCTL_SANDBOX_DIR"' EXIT
charts=()
[ -d "$root/../shared/charts" ] && charts=(--charts "$(cd "$root/../shared/charts" && pwd)")
ampctl sandbox up --feeder-interval 1 --workspace-account "${charts[@]}" >"$work/sandbox-up.txt" 2>&1 ||
  { cat "$work/sandbox-up.txt"; exit 1; }
eval "$(ampctl sandbox env)"
ctx() { echo "arn:aws:eks:${AWS_REGION}:123456789012:cluster/$1"; }
cd "$work"
cat >fleet-a.yaml <<EOF
apiVersion: ampctl/v1
kind: Fleet
name: floors-a
region: $AWS_REGION
federated: true
primary: {context: "$(ctx sandbox-primary)"}
clusters: [{context: "$(ctx sandbox-east)"}]
EOF
cat >fleet-b.yaml <<EOF
apiVersion: ampctl/v1
kind: Fleet
name: floors-b
region: $AWS_REGION
alias: floors-b
workspace: {role_arn: "$AMPCTL_SANDBOX_WORKSPACE_ROLE"}
identity: pod-identity
primary: {context: "$(ctx sandbox-west)"}
clusters: []
EOF
# Each command's output is shown only when it fails (the flow is the demo's, whose output is in scripts/demo.sh).
step() {
  local t0=$SECONDS
  if ! ampctl "$@" >out.txt 2>&1; then
    cat out.txt; echo "error: ampctl $* failed at the floors: $(tr '\n' ' ' <"$venv/floors.txt")" >&2; exit 1
  fi
  echo "ok ampctl $* ($((SECONDS - t0)) s)"
}
step bootstrap -F fleet-a.yaml --yes
step add-cluster -F fleet-a.yaml --yes
step bootstrap -F fleet-b.yaml --install-pod-identity-agent --yes
step doctor -F fleet-a.yaml --wait 2m
step doctor -F fleet-b.yaml --wait 2m
step status -F fleet-a.yaml
step render -F fleet-a.yaml --out-dir render
# Errors go through ampctl's handler (typer's exception classes, AmpctlError): one line and exit 1.
for bad in "bootstrap --no-such-flag" "bootstrap --identity nope" "doctor --context no-such-context"; do
  set +e; ampctl $bad >out.txt 2>&1; code=$?; set -e
  if [ "$code" != 1 ] || grep -q Traceback out.txt; then
    cat out.txt; echo "error: ampctl $bad: exit $code, expected one error line and exit 1" >&2; exit 1
  fi
  echo "ok ampctl $bad refused: $(head -1 out.txt)"
done
step teardown -F fleet-b.yaml --delete-workspace --yes
step teardown -F fleet-a.yaml --delete-workspace --delete-bucket --force --yes
echo "floors run: $(tr '\n' ' ' <"$venv/floors.txt")passed in $((SECONDS - start)) s"
