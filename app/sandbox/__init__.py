"""The sandbox cluster: a Kubernetes-API-compatible server of our own over HTTPS on loopback.

HTTP routes (api), object store (store), API-server semantics (registry, admission), workload →
pod controller (controller), TLS and kubeconfig (tls), demo seed (seed), and ``Sandbox`` (server).
"""

from app.sandbox.server import Sandbox

__all__ = ["Sandbox"]
