"""Provisioning: the steps of bootstrap and add-cluster, and the run that carries their outputs."""
