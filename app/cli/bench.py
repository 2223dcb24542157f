"""``netpol-console bench``: the console measured on a seeded sandbox cluster (app/bench/live.py),
or with ``--offline`` the reachability matrix alone on a synthetic world (app/bench/synthetic.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from pathlib import Path

from app.bench import POSTGRES_ADMIN
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
        "concurrent editors. A phase that fails is reported and the bench goes on. --steps 1,2,4 measures "
        "at 1x, 2x and 4x the objects of the scale (quarter: a quarter of large) and reports how each figure "
        "grows. Needs Go (the control plane is built once) and wrk for the load.",
        epilog="Exit status: 0, or 1 with --check when a target is missed at the last step.",
    )
    p.add_argument("--scale", choices=("tiny", "small", "quarter", "large"), default="small")
    p.add_argument("--steps", type=_steps, default=[1], metavar="1,2,4",
                   help="multiples of the scale's objects, each seeded afresh and measured (default 1)")
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                   help="the console's database (postgres: a fresh database on --postgres, dropped after)")
    p.add_argument("--postgres", default=POSTGRES_ADMIN, metavar="DSN",
                   help=f"a PostgreSQL server's admin connection (default {POSTGRES_ADMIN})")
    p.add_argument("--write-doc", type=Path, metavar="PATH",
                   help="write the figures, targets, machine and findings as Markdown, and a plot beside it (PNG)")
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
    offline.add_argument("--file", nargs="?", const="", metavar="FILE",
                         help="time `netpol-console matrix` on a YAML file against parsing it (without FILE: a "
                         "600-pod file the bench writes); goal: within 3x the parse time")  # fmt: skip
    p.set_defaults(func=cmd_bench)


def _steps(text: str) -> list[int]:
    try:
        steps = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not steps or any(k < 1 for k in steps) or steps != sorted(set(steps)):
        raise argparse.ArgumentTypeError(f"steps must be increasing whole numbers from 1 up: {text!r}")
    return steps


def cmd_bench(args: argparse.Namespace) -> int:
    if args.offline:
        return _offline(args)
    from app.bench.growth import growth
    from app.bench.live import Options, run
    from app.bench.scale import SCALES

    def say(text: str) -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    reports = []
    for k in args.steps:
        options = Options(SCALES[args.scale].times(k), samples=max(1, args.samples), duration=max(1.0, args.duration),
                          clients=max(1, args.clients), editors=max(1, args.editors), keep=args.keep,
                          database=args.database, postgres=args.postgres, say=say)  # fmt: skip
        if len(args.steps) > 1:
            say(f"step {k}x: {options.scale.pods} pods, {options.scale.policies} policies")
        reports.append(asyncio.run(run(options)))
    grown = growth(reports) if len(reports) > 1 else []
    if args.json:
        single = reports[0].as_dict()
        both = {"steps": [r.as_dict() for r in reports], "growth": [g.as_dict() for g in grown]}
        print(json.dumps(single if len(reports) == 1 else both, indent=2))
    else:
        for r in reports:
            print("\n".join(r.lines()))
        if grown:
            print("growth (first step to last, each figure against the objects it touches):")
            print("\n".join(g.line() for g in grown))
    if args.write_doc is not None:
        from app.bench import doc

        command = "netpol-console " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        png = doc.write(args.write_doc, reports, grown, command)
        say(f"wrote {args.write_doc} and {png}")
    missed = [t for t, ok, _ in reports[-1].checks() if not ok]
    return EXIT_MISSED if args.check and missed else EXIT_OK


def _offline(args: argparse.Namespace) -> int:
    from app.bench.synthetic import bench
    from app.policies.text import parse_port

    if args.file is not None:
        from app.bench.files import bench_file, bench_synthetic_file

        port = parse_port(args.port)
        done = bench_file(args.file, port) if args.file else bench_synthetic_file(port=port)
        print(done.line())
        return EXIT_MISSED if args.check and not done.within_goal else EXIT_OK
    r = bench(args.pods, args.namespaces, args.policies, args.seed, parse_port(args.port))
    print(
        f"matrix over {r.pods} pods in {r.namespaces} namespaces with {r.policies} policies "
        f"({r.groups} groups): {r.matrix_seconds:.3f} s (world built in {r.build_seconds:.3f} s; "
        f"goal {r.goal_seconds:.1f} s: {'met' if r.within_goal else 'MISSED'})"
    )
    return EXIT_MISSED if args.check and not r.within_goal else EXIT_OK
