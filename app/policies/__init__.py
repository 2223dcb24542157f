"""Pure policy code: the NetworkPolicy model, validation, the form model, selectors, reachability.

Nothing in this package performs I/O; the pages, the REST API, the sandbox and the CLI share it.
"""
