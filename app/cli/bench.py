"""``netpol-console bench``: the console measured on a seeded sandbox cluster (app/bench/live.py),
or with ``--offline`` the reachability matrix alone on a synthetic world (app/bench/synthetic.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from app.bench.synthetic import synthetic_world

__all__ = ["register", "synthetic_world"]

EXIT_OK, EXIT_MISSED = 0, 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "bench",
        help="measure the console on a seeded sandbox cluster (--offline: the matrix alone)",
        description="Start the sandbox control plane with raised client QPS limits, seed it (small: 10 "
        "namespaces, 200 pods from 50 Deployments, 50 NetworkPolicies; large: 200 namespaces, 10,000 pods "
        "from 1,000 Deployments, 1,000 NetworkPolicies), start a console on it and measure, after a "
        "warm-up: the Network Policies page, the REST lists, the review step, a connectivity check, the "
        "matrix of one namespace and of the cluster, the console's RSS, the time from a change to the page, "
        "the same lists straight from the API server, wrk load on the page and the REST list, and "
        "concurrent editors. Needs Go (the control plane is built once) and wrk for the load.",
        epilog="Exit status: 0, or 1 with --check when a target is missed.",
    )
    p.add_argument("--scale", choices=("small", "large"), default="small")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--samples", type=int, default=200, help="requests per measurement (default 200)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of each load and of the editors")
    p.add_argument("--clients", type=int, default=50, help="wrk connections (default 50)")
    p.add_argument("--editors", type=int, default=20, help="concurrent editors (default 20)")
    p.add_argument("--keep", action="store_true", help="keep the work directory and its logs")
    offline = p.add_argument_group("--offline: the reachability matrix alone, no cluster")
    offline.add_argument("--offline", action="store_true")
    offline.add_argument("--pods", type=int, default=2000)
    offline.add_argument("--namespaces", type=int, default=40)
    offline.add_argument("--policies", type=int, default=500)
    offline.add_argument("--seed", type=int, default=1)
    offline.add_argument("--port", default="80")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.offline:
        return _offline(args)
    from app.bench.live import Options, run
    from app.bench.scale import SCALES

    def say(text: str) -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    options = Options(SCALES[args.scale], samples=max(1, args.samples), duration=max(1.0, args.duration),
                      clients=max(1, args.clients), editors=max(1, args.editors), keep=args.keep, say=say)  # fmt: skip
    report = asyncio.run(run(options))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(report.lines()))
    missed = [t for t, ok, _ in report.checks() if not ok]
    return EXIT_MISSED if args.check and missed else EXIT_OK


def _offline(args: argparse.Namespace) -> int:
    from app.bench.synthetic import bench
    from app.policies.text import parse_port

    r = bench(args.pods, args.namespaces, args.policies, args.seed, parse_port(args.port))
    print(
        f"matrix over {r.pods} pods in {r.namespaces} namespaces with {r.policies} policies "
        f"({r.groups} groups): {r.matrix_seconds:.3f} s (world built in {r.build_seconds:.3f} s; "
        f"goal {r.goal_seconds:.1f} s: {'met' if r.within_goal else 'MISSED'})"
    )
    return EXIT_MISSED if args.check and not r.within_goal else EXIT_OK
