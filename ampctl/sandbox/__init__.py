"""The local sandbox: real components (moto, a Kubernetes API emulator, Prometheus) on 127.0.0.1.

One daemon process (`ampctl.sandbox.daemon`) hosts the AWS emulator, one Kubernetes API per
cluster, the AMP emulator and the Kubecost stand-in; Prometheus runs as its child processes.
"""
