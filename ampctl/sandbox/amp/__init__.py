"""The sandbox's Amazon Managed Service for Prometheus: SigV4-checked workspaces backed by real Prometheus.

Import from the defining submodules (`emulator`, `prometheus`, `remote_write`); this package
imports none of them.
"""
