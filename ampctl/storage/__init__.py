"""Kubecost's volumes on a cluster: the claims each chart line makes, and whether the cluster can provision them."""
