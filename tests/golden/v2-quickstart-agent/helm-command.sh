#!/bin/sh
# Install or upgrade Kubecost 2.2.2 on cluster analytics-platform-shared-services-eu-central-1-blue-green-canary.
# First create namespace cost, then apply serviceaccounts.yaml and any *-secret.yaml.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec helm upgrade --install kc oci://public.ecr.aws/kubecost/cost-analyzer \
  --version 2.2.2 \
  --namespace cost \
  --create-namespace \
  --atomic \
  --timeout 10m \
  -f "$here/01-eks-overlay.yaml" \
  -f "$here/02-config-values.yaml" \
  -f "$here/03-cluster-values.yaml"
