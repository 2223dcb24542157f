"""Namespaces and workloads the console creates, edits and deletes: the pure builders of their
Kubernetes objects (``objects``) and the consequences of a change for the cluster's policies
(``consequences``). Validation is the API server's: a dry run answers, and its field paths are
mapped back to the form's fields."""
