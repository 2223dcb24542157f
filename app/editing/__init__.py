"""The console's writes of NetworkPolicies: validate, dry-run, apply, delete.

Pages and the REST API both call this package; it is where every write is checked (our one
validator first, then the API server's dry run) before anything reaches the cluster.
"""
