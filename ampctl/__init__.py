"""ampctl: provision and troubleshoot Kubecost on Amazon EKS with Amazon Managed Service for Prometheus."""

__version__ = "0.1.0"
