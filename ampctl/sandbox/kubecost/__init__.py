"""The sandbox's Kubecost stand-in and its helm chart repository (stand-in charts in `charts/`).

Import from the defining submodules (`standin`, `costmodel`, `chartrepo`, …); this package
imports none of them.
"""
