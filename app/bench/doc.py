"""``netpol-console bench --write-doc PATH``: the figures of a run as Markdown (a table per step,
each target met or missed, the machine, the findings) and a PNG beside it with each figure plotted
against the size of the step (matplotlib, imported only here, with the Agg backend)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

from app.bench.growth import Growth
from app.bench.report import Report

ROOT = Path(__file__).resolve().parents[2]


def machine() -> dict[str, str]:
    """Cores, memory, Python, the date (UTC) and the commit the run was made on."""
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count() or "unknown"),
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
    }


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        return head + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def write(path: Path, reports: list[Report], grown: list[Growth], command: str) -> Path:
    """Write the Markdown at ``path`` and the plot beside it (same name, .png); the plot's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_suffix(".png")
    host = machine()  # before the plot is written: the commit line must not count this run's own files
    plot(png, reports, grown)
    path.write_text(markdown(reports, grown, command, png.name, host))
    return png


def markdown(reports: list[Report], grown: list[Growth], command: str, png: str, host: dict[str, str]) -> str:
    last = reports[-1]
    out = ["# Performance", "",
           f"Written by `{command}` (app/bench/doc.py); do not edit by hand, run the command again.", "",
           "## The machine", "",
           *(f"- {k}: {v}" for k, v in host.items()),
           f"- the console's database: {last.database}", ""]  # fmt: skip
    out += ["## Findings", "", *findings(reports, grown), ""]
    for r in reports:
        out += _step(r)
    if len(reports) > 1:
        sizes = " → ".join(f"{r.scale.name} ({r.scale.pods} pods, {r.scale.policies} policies)" for r in reports)
        out += ["## Growth", "", f"Steps: {sizes}. Each figure (timings by their median) against the objects "
                "it touches; flagged when it grows more than 1.25 times as fast as they do (and by more than "
                "the noise: 5 ms, 25 MB).", "",
                "| figure | touches | " + " | ".join(r.scale.name for r in reports) + " | exponent | verdict |",
                "|---|---|" + "---|" * len(reports) + "---|---|"]  # fmt: skip
        for g in grown:
            values = " | ".join("–" if v is None else f"{v:.1f} {g.unit}" for v in g.values)
            exp = "–" if g.exponent is None else f"{g.exponent:.2f}"
            out.append(f"| {g.figure} | {g.touches} | {values} | {exp} | {g.verdict()} |")
        out.append("")
    out += [f"![each figure against the size of the step]({png})", ""]
    return "\n".join(out)


def findings(reports: list[Report], grown: list[Growth]) -> list[str]:
    last = reports[-1]
    missed = [(t, m) for t, ok, m in last.checks() if not ok]
    out = [f"- At {last.scale.name} ({last.scale.pods} pods, {last.scale.policies} policies): "
           + (f"{len(missed)} target(s) missed." if missed else "every target met.")]  # fmt: skip
    out += [f"  - missed: {t} ({m})" for t, m in missed]
    for r in reports:
        out += [f"- Phase {name} failed at {r.scale.name}: {error}" for name, error in r.failures.items()]
        if r.editing is not None and (r.editing.lost or r.editing.unacknowledged):
            out.append(f"- Editors at {r.scale.name}: {r.editing.lost} lost updates, "
                       f"{r.editing.unacknowledged} writes stored although answered with an error.")  # fmt: skip
    faster = [g for g in grown if g.flagged]
    if len(reports) > 1:
        out += [f"- {g.figure} grows faster than linearly in the {g.touches} it touches." for g in faster]
        if not faster:
            out.append("- No figure grows faster than linearly in the objects it touches.")
    return out


def _step(r: Report) -> list[str]:
    s = r.scale
    out = [f"## {s.name}: {s.namespaces} namespaces, {s.deployments} Deployments, {s.pods} pods, "
           f"{s.policies} NetworkPolicies", "",
           f"Seeded in {r.seeding_seconds:.0f} s; the console's cache synced in {r.sync_seconds:.1f} s.", "",
           "| measurement | p50 | p95 | p99 | requests | errors |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, t in r.rows():
        out.append(f"| {name} | {t.p50 * 1000:.1f} ms | {t.p95 * 1000:.1f} ms | {t.p99 * 1000:.1f} ms "
                   f"| {t.count} | {t.errors} |")  # fmt: skip
    out += ["", *(f"- {note[0].upper()}{note[1:]}." for note in r.notes())]
    out += ["", "Targets (issue 16's, set for the large scale):", ""]
    out += [f"- {'met' if ok else '**missed**'}: {t} — {m}" for t, ok, m in r.checks()]
    return [*out, ""]


def plot(png: Path, reports: list[Report], grown: list[Growth]) -> None:
    """Small multiples: each figure against the pods of each step, with the linear growth of what
    it touches dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [g for g in grown if any(v is not None for v in g.values)] or grown
    cols = 4
    rows = max(1, -(-len(shown) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    pods = [r.scale.pods for r in reports]
    for ax, g in zip(axes.flat, shown, strict=False):
        points = [(x, v) for x, v in zip(pods, g.values, strict=True) if v is not None]
        if points:
            color = "tab:red" if g.flagged else "tab:blue"
            ax.plot([x for x, _ in points], [v for _, v in points], "o-", color=color)
            first = g.values[0]
            if first is not None and len(pods) > 1:
                linear = [first * max(1.0, n / g.touched[0] if g.touched[0] else 1.0) for n in g.touched]
                ax.plot(pods, linear, "--", color="gray", linewidth=1)
        ax.set_title(g.figure + (" (faster than linear)" if g.flagged else ""), fontsize=9)
        ax.set_ylabel(g.unit, fontsize=8)
        ax.set_xlabel("pods seeded", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.suptitle("netpol-console bench: each figure against size (dashed: linear in what it touches)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)
