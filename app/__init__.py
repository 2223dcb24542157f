"""netpol-console: a web console for Kubernetes NetworkPolicies on ACK clusters with Terway."""

__version__ = "0.1.0"
