"""Offline subcommands over YAML or JSON files: ``validate``, ``matrix``, ``explain`` and ``impact``.

Files may hold several documents, ``kind: List`` (or ``*List``) objects are unpacked, and ``-``
reads stdin. Exit codes: 0 success, 1 an invalid NetworkPolicy (``validate``) or a benchmark over
its goal (``bench --check``), 2 input that cannot be read or used.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.errors import DomainError, Invalid
from app.policies.documents import DocumentError, Documents, classify, policy_from_dict, read_sources
from app.policies.text import parse_port

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        help="validate NetworkPolicies in files as the API server would",
        description="Validate every NetworkPolicy in the files as the Kubernetes API server would "
        "(objects without metadata.namespace are taken to be in 'default', as kubectl does).",
        epilog="Exit status: 0 when all are valid, 1 when any is invalid, 2 when input cannot be read.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list, one entry per NetworkPolicy")
    p.add_argument(
        "--lint",
        action="store_true",
        help="also report likely mistakes (lint), judged against the Pods, Namespaces, Services and "
        "NetworkPolicies in the files; lint does not change the exit status",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON file; '-' reads stdin")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "matrix",
        help="the pod x pod reachability matrix for one port",
        description="Print which pod may connect to which (rows: source, columns: destination) under "
        "the Namespaces, Pods and NetworkPolicies in the files: as a text table, JSON, CSV or Markdown, "
        "by pod or grouped by workload (the workload a pod's controller labels name; a bare pod alone).",
        epilog="Exit status: 0 on success, 2 when input cannot be read or used.",
    )
    p.add_argument(
        "--format",
        choices=["text", "json", "csv", "md"],
        default=None,
        help='text (the default): a table of \'.\' and \'X\'; json: {"pods": [...], "allowed": {src: {dst: bool}}} '
        "(by workload: groups and cells); csv or md: a cell per pair, allowed, denied or mixed 3/4",
    )
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.add_argument(
        "--by", choices=["pod", "workload"], default="pod", help="rows and columns: pods (default) or workloads"
    )
    p.add_argument("--port", default="80", help="port number or container port name (default 80)")
    p.add_argument("--protocol", default="TCP", type=str.upper, choices=["TCP", "UDP", "SCTP"])
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON file; '-' reads stdin")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser(
        "explain",
        help="whether one connection is allowed, and which policies and rules decide it",
        description="Explain whether a connection is allowed: which NetworkPolicies select each side "
        "and which rule allows it (or that none does). REF is ns/pod (a pod in the files; a bare name "
        "means the default namespace) or an IP address outside the cluster.",
        epilog="Exit status: 0 when a verdict was printed, whether the connection is allowed or denied "
        "(read 'allowed' in the output); 2 when input cannot be read or a REF is unknown.",
    )
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--from", dest="src", required=True, metavar="REF", help="source: ns/pod or an IP")
    p.add_argument("--to", dest="dst", required=True, metavar="REF", help="destination: ns/pod or an IP")
    p.add_argument("--port", required=True, help="port number or the destination's container port name")
    p.add_argument("--protocol", default="TCP", type=str.upper, choices=["TCP", "UDP", "SCTP"])
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON file; '-' reads stdin")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "impact",
        help="the connections a change newly denies or allows",
        description="Compare two sets of files (Namespaces, Pods, NetworkPolicies, as matrix and explain "
        "read them): the flows between the affected pods and their peers that the change newly denies or "
        "newly allows, grouped by source workload, destination workload and port.",
        epilog="Exit status: 0 on success (whether anything changes or not), 2 when input cannot be read.",
    )
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.add_argument("--before", nargs="+", required=True, metavar="FILE", help="the files before the change")
    p.add_argument("--after", nargs="+", required=True, metavar="FILE", help="the files after the change")
    p.set_defaults(func=cmd_impact)


def _load(files: list[str]) -> Documents:
    return classify(read_sources(files, sys.stdin))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_validate(args: argparse.Namespace) -> int:
    from app.policies.validation import validate_network_policy

    try:
        raw = read_sources(args.files, sys.stdin)
    except DocumentError as exc:
        return _fail(str(exc))
    docs = classify(raw)
    lints = _lints(raw, docs) if args.lint else {}
    entries: list[dict[str, Any]] = []
    for index, obj in enumerate(docs.policy_objects):
        meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        ref = f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"
        try:
            result = validate_network_policy(policy_from_dict(obj))
            errors, warnings = list(result.errors), list(result.warnings)
        except Invalid as exc:  # a wrongly typed field never reaches validation
            errors, warnings = list(exc.causes), []
        entries.append(
            {
                "object": ref,
                "valid": not errors,
                "errors": [e.as_dict() for e in errors],
                "warnings": warnings,
                "_causes": errors,
            }
        )
        if args.lint:
            entries[-1]["lints"] = [f.as_dict() for f in lints.get(index, [])]
    if args.json:
        print(json.dumps([{k: v for k, v in e.items() if k != "_causes"} for e in entries], indent=2))
    else:
        for e in entries:
            for warning in e["warnings"]:
                print(f"Warning: {warning}", file=sys.stderr)
            name = e["object"].split("/", 1)[1]
            if e["valid"]:
                print(f'networkpolicy "{e["object"]}" is valid')
            else:
                print(_kubectl_invalid(name, e["_causes"]))
            for f in e.get("lints", []):
                print(f'lint: networkpolicy "{e["object"]}": {f["id"]}: {f["message"]} (see {f["help"]})')
    return EXIT_INVALID if any(not e["valid"] for e in entries) else EXIT_OK


def _lints(raw: list[dict[str, Any]], docs: Documents) -> dict[int, list[Any]]:
    """Lint findings by the index of the policy object; a policy that cannot be parsed gets none.
    Rules that look at pods run only when the files hold some."""
    from app.policies.lint import lint_offline

    parsed = {}
    for index, obj in enumerate(docs.policy_objects):
        try:
            parsed[index] = policy_from_dict(obj)
        except Invalid:
            continue
    return dict(zip(parsed, lint_offline(list(parsed.values()), raw), strict=True))


def _kubectl_invalid(name: str, causes: list[Any]) -> str:
    """kubectl's rendering of a 422 Invalid (cmdutil.StandardErrorMessage)."""
    if len(causes) == 1:
        return f'The NetworkPolicy "{name}" is invalid: {causes[0]}'
    return f'The NetworkPolicy "{name}" is invalid: \n' + "\n".join(f"* {c}" for c in causes)


def _world(files: list[str]) -> Any:
    from app.policies.reachability import World

    return World.from_documents(_load(files))


def cmd_matrix(args: argparse.Namespace) -> int:
    from app.policies.matrix import matrix

    try:
        world = _world(args.files)
    except (DocumentError, DomainError) as exc:
        return _fail(str(exc))
    m = matrix(world, parse_port(args.port), args.protocol)
    fmt = args.format or ("json" if args.json else "text")
    if args.by == "workload" or fmt in ("csv", "md"):
        from app.policies.matrix_export import by_pod, by_workload, export, workloads_by_labels

        grid = by_workload(m, workloads_by_labels(world.pods.values())) if args.by == "workload" else by_pod(m)
        if fmt == "json":
            print(json.dumps(grid.as_dict(), indent=2))
        else:  # by workload, the text table is the Markdown one: its cells say mixed 3/4
            sys.stdout.write(export(grid, "md" if fmt == "text" else fmt))
        return EXIT_OK
    if fmt == "json":
        print(json.dumps(m.as_dict(), indent=2))
        return EXIT_OK
    print(f"{args.protocol}/{args.port}: rows are sources, columns destinations; '.' allowed, 'X' denied")
    if not m.pods:
        print("(no pods)")
        return EXIT_OK
    width = max(len(p) for p in m.pods)
    print(" " * width + "  " + " ".join(f"{i:>2}" for i in range(1, len(m.pods) + 1)))
    for i, (src, row) in enumerate(m.rows(), start=1):
        cells = " ".join(f"{'.' if ok else 'X':>2}" for ok in row)
        print(f"{src:<{width}}  {cells}  {i}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from app.policies.reachability import explain, parse_ref

    try:
        world = _world(args.files)
        verdict = explain(
            world, parse_ref(world, args.src), parse_ref(world, args.dst), parse_port(args.port), args.protocol
        )
    except (DocumentError, DomainError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(verdict.as_dict(), indent=2))
    else:
        print("\n".join(verdict.lines()))
    return EXIT_OK


def cmd_impact(args: argparse.Namespace) -> int:
    from app.policies.impact import impact

    try:
        result = impact(_world(args.before), _world(args.after))
    except (DocumentError, DomainError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(result.lines()))
    return EXIT_OK
