"""GitOps output: per-cluster values and the Argo CD or Flux manifests that install them, as pure functions."""
