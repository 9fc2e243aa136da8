#!/bin/sh
# Install or upgrade Kubecost 2.9.7 on cluster bridge.
# First create namespace kubecost, then apply serviceaccounts.yaml and any *-secret.yaml.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec helm upgrade --install kubecost oci://public.ecr.aws/kubecost/cost-analyzer \
  --version 2.9.7 \
  --namespace kubecost \
  --create-namespace \
  --atomic \
  --timeout 10m \
  -f "$here/01-eks-overlay.yaml" \
  -f "$here/02-config-values.yaml" \
  -f "$here/03-federation-primary.yaml" \
  -f "$here/04-cluster-values.yaml"
