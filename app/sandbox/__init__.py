"""The sandbox cluster: the upstream Kubernetes control plane (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler) with KWOK nodes, built from the Go module in
``localcluster/`` (build), started as a child process (cluster), seeded with the demo (demo).
No API behaviour of our own lives here.
"""

from app.sandbox.cluster import Sandbox, SandboxError

__all__ = ["Sandbox", "SandboxError"]
