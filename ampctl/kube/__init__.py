"""Kubernetes access through the official client."""
