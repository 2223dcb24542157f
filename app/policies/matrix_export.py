"""The matrix as something to share: its pods grouped by the workload that owns them, each group
cell allowed, denied or mixed (with how many of its pod pairs are allowed), and the exports of a
matrix by pod or by workload as CSV, Markdown and an SVG picture. Pure: the owners of pods come
in as data (``Owner``), read from the cache by app.analysis or from labels offline.

A group cell counts every pod pair of its two groups, a pod with itself included, so the counts of
the workload matrix add up to the pod matrix's cells. The counting is done per group of
indistinguishable pods (``Matrix.group``), not per pod pair.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from app.policies.documents import Pod
from app.policies.impact import workload_of as _workload_name
from app.policies.matrix import Matrix

BY_POD, BY_WORKLOAD = "pod", "workload"
By = Literal["pod", "workload"]
ALLOWED, DENIED, MIXED = "allowed", "denied", "mixed"
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "svg": ("image/svg+xml", "svg"),
}

# Rows (and columns) of a download or an API answer: a whole cluster of ACK's recommended size ten
# times over (1,000 Deployments) grouped by workload fits; four million cells at most.
EXPORT_LIMIT = 2000

Owner = tuple[str, str]  # a controller's (kind, name), in the pod's namespace


@dataclass(frozen=True)
class Workload:
    """What owns a pod: a Deployment, StatefulSet, DaemonSet, Job or CronJob (or the ReplicaSet or
    other controller a pod names when nothing owns that); ``kind`` "Pod" for a bare pod."""

    namespace: str
    kind: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"


def _by_labels(pod: Pod) -> Workload:
    """Offline (no ownerReferences): the workload the labels its controller sets name."""
    name = _workload_name(pod).split("/", 1)[1]
    if name == pod.name and "job-name" not in pod.labels:
        return Workload(pod.namespace, "Pod", pod.name)
    if "pod-template-hash" in pod.labels:
        kind = "Deployment"
    elif "statefulset.kubernetes.io/pod-name" in pod.labels:
        kind = "StatefulSet"
    elif "controller-revision-hash" in pod.labels:
        kind = "DaemonSet"
    else:
        kind = "Job"
    return Workload(pod.namespace, kind, name)


def workload_of(
    pod: Pod, owner: Owner | None = None, parents: Mapping[tuple[str, str, str], Owner] | None = None
) -> Workload:
    """The workload of ``pod``. ``owner``: its controller from ``metadata.ownerReferences``;
    ``parents``: each controller's own controller by (namespace, kind, name), e.g. a Job's CronJob.
    A ReplicaSet named ``<deployment>-<pod-template-hash>`` stands for its Deployment (the
    Deployment controller names it so). Without an owner the controller's labels are read."""
    if owner is None:
        return _by_labels(pod)
    kind, name = owner
    template_hash = pod.labels.get("pod-template-hash")
    for _ in range(4):  # Pod → ReplicaSet → Deployment, Pod → Job → CronJob: two steps at most
        up = (parents or {}).get((pod.namespace, kind, name))
        if up is None and kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
            up = ("Deployment", name[: -len(template_hash) - 1])
        if up is None:
            break
        kind, name = up
    return Workload(pod.namespace, kind, name)


@dataclass(frozen=True)
class Cell:
    """How many of a cell's pod pairs may connect, of how many."""

    allowed: int
    total: int

    @property
    def state(self) -> str:
        return ALLOWED if self.allowed == self.total else DENIED if self.allowed == 0 else MIXED

    @property
    def count(self) -> str:
        """``3/4``; empty for a single pair."""
        return "" if self.total == 1 else f"{self.allowed}/{self.total}"

    def text(self) -> str:
        """``allowed``, ``denied`` for one pair; ``mixed 3/4`` (``allowed 4/4``) for a group."""
        return f"{self.state} {self.count}".strip()


@dataclass(frozen=True)
class Head:
    """One row (a source) and the same column (a destination): a pod, or a workload and its pods."""

    key: str  # ns/name of a pod; ns/Kind/name of a workload
    namespace: str
    name: str
    kind: str | None  # None for a pod of the pod matrix
    pods: tuple[str, ...]

    def label(self, short: bool = False) -> str:
        """``ns/name (Kind)``; ``short`` leaves the namespace out; a pod or a bare pod has no kind."""
        name = self.name if short else f"{self.namespace}/{self.name}"
        return f"{name} ({self.kind})" if self.kind not in (None, "Pod") else name


@dataclass
class Grid:
    """The matrix by pod or by workload: rows are sources, columns the same heads as destinations.
    The cells are kept as counts (``allowed[i][j]`` of the ``len(heads[i].pods) *
    len(heads[j].pods)`` pod pairs); ``Cell`` objects are made only for the rows asked for."""

    port: int | str
    protocol: str
    by: str
    heads: list[Head]
    allowed: list[list[int]]
    _exports: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def connection(self) -> str:
        return f"{self.protocol}/{self.port}"

    @property
    def pod_count(self) -> int:
        return sum(len(h.pods) for h in self.heads)

    @property
    def cells(self) -> list[list[Cell]]:
        return [row for _, row in self.rows()]

    def namespaces(self) -> list[str]:
        return sorted({h.namespace for h in self.heads})

    def rows(self, limit: int | None = None) -> Iterator[tuple[Head, list[Cell]]]:
        """Each source with its cells; ``limit``: only the first rows and columns."""
        heads = self.heads if limit is None else self.heads[:limit]
        for head, counts in zip(heads, self.allowed, strict=False):
            n = len(head.pods)
            yield head, [Cell(a, n * len(dst.pods)) for a, dst in zip(counts, heads, strict=False)]

    def find(self, key: str) -> Head | None:
        return next((h for h in self.heads if h.key == key), None)

    def cell(self, src: str, dst: str) -> Cell | None:
        keys = {h.key: i for i, h in enumerate(self.heads)}
        if src not in keys or dst not in keys:
            return None
        i, j = keys[src], keys[dst]
        return Cell(self.allowed[i][j], len(self.heads[i].pods) * len(self.heads[j].pods))

    def totals(self, size: int) -> list[int]:
        """Each column's count of pod pairs for a source of ``size`` pods."""
        return [size * len(h.pods) for h in self.heads]

    def texts(self) -> Iterator[tuple[Head, list[str]]]:
        """Each source with its cells' ``Cell.text()``, made straight from the counts."""
        sizes: dict[int, tuple[list[int], list[str], list[str]]] = {}
        written: dict[tuple[int, int], list[str]] = {}  # (the row's list, its size) → its texts
        for head, counts in zip(self.heads, self.allowed, strict=True):
            n = len(head.pods)
            texts = written.get((id(counts), n))
            if texts is None:
                if n not in sizes:
                    totals = self.totals(n)
                    sizes[n] = totals, [_text(ALLOWED, t, t) for t in totals], [_text(DENIED, 0, t) for t in totals]
                totals, full, none = sizes[n]
                texts = written[id(counts), n] = [
                    f if a == t else e if a == 0 else f"{MIXED} {a}/{t}"
                    for a, t, f, e in zip(counts, totals, full, none, strict=True)
                ]
            yield head, texts

    def frame(self) -> dict[str, Any]:
        """``as_dict`` without its cells."""
        return {
            "port": self.port,
            "protocol": self.protocol,
            "by": self.by,
            "groups": [
                {"key": h.key, "namespace": h.namespace, "name": h.name, "kind": h.kind, "pods": list(h.pods)}
                for h in self.heads
            ],
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.frame(),
            "cells": {
                src.key: {
                    dst.key: {"state": c.state, "allowed": c.allowed, "total": c.total}
                    for dst, c in zip(self.heads, row, strict=True)
                }
                for src, row in self.rows()
            },
        }


def _text(state: str, allowed: int, total: int) -> str:
    return state if total == 1 else f"{state} {allowed}/{total}"


def to_json(grid: Grid) -> str:
    """``grid.as_dict()`` as compact JSON (the API's answer), its cells written from the counts."""
    frame = json.dumps({**grid.frame(), "cells": {}}, ensure_ascii=False, separators=(",", ":"))
    keys = [json.dumps(h.key, ensure_ascii=False) for h in grid.heads]
    sizes: dict[int, tuple[list[int], list[str], list[str]]] = {}
    written: dict[tuple[int, int], str] = {}  # (the row's list, its size) → its cells
    rows = []
    for head, key, counts in zip(grid.heads, keys, grid.allowed, strict=True):
        n = len(head.pods)
        cells = written.get((id(counts), n))
        if cells is not None:
            rows.append(f"{key}:{{{cells}}}")
            continue
        if n not in sizes:
            totals = grid.totals(n)
            sizes[n] = (
                totals,
                [f'{k}:{{"state":"{ALLOWED}","allowed":{t},"total":{t}}}' for k, t in zip(keys, totals, strict=True)],
                [f'{k}:{{"state":"{DENIED}","allowed":0,"total":{t}}}' for k, t in zip(keys, totals, strict=True)],
            )
        totals, full, none = sizes[n]
        cells = ",".join([
            f if a == t else e if a == 0 else f'{k}:{{"state":"{MIXED}","allowed":{a},"total":{t}}}'
            for a, t, f, e, k in zip(counts, totals, full, none, keys, strict=True)
        ])
        written[id(counts), n] = cells
        rows.append(f"{key}:{{{cells}}}")
    return frame[: -len("{}}")] + "{" + ",".join(rows) + "}}"


def by_pod(m: Matrix) -> Grid:
    """The pod matrix as a grid: one head per pod."""
    heads = [Head(ref, ref.split("/", 1)[0], ref.split("/", 1)[1], None, (ref,)) for ref in m.pods]
    return Grid(m.port, m.protocol, BY_POD, heads, [[int(ok) for ok in row] for _, row in m.rows()])


def by_workload(m: Matrix, workloads: Mapping[str, Workload]) -> Grid:
    """The matrix with its pods grouped by workload (``workloads``: each pod's, by ``ns/name``; a
    pod left out stands alone), sorted by namespace, name and kind.

    Counted per group, not per pod pair: for each distinct ``Matrix.reach`` row, how many pods of
    each workload one source pod may reach; a workload's row is its groups' rows added up."""
    members: dict[Workload, list[str]] = {}
    for ref in m.pods:
        namespace, name = ref.split("/", 1)
        members.setdefault(workloads.get(ref) or Workload(namespace, "Pod", name), []).append(ref)
    order = sorted(members, key=lambda w: (w.namespace, w.name, w.kind))
    census = [tuple(Counter(m.group(ref) for ref in members[w]).items()) for w in order]
    reach = m.reach()
    towards: dict[int, list[int]] = {}  # a reach row → pods of each workload it reaches

    def reached(g: int) -> list[int]:
        found = towards.get(reach[g])
        if found is None:
            text = m.reach_text(g)
            found = towards[reach[g]] = [sum(n for h, n in column if text[h] == "1") for column in census]
        return found

    sums: dict[tuple[tuple[int, int], ...], list[int]] = {}
    allowed: list[list[int]] = []
    for i, groups in enumerate(census):
        key = tuple((reach[g], n) for g, n in groups)
        base = sums.get(key)
        if base is None:
            parts = [(reached(g), n) for g, n in groups]
            if len(parts) == 1:
                row, n = parts[0]
                base = [a * n for a in row]
            else:
                base = [sum(part[j] * n for part, n in parts) for j in range(len(order))]
            sums[key] = base
        # each pod with itself: allowed whenever it has the port, whatever its group allows
        more = sum(n * (int(m.self_allowed(g)) - int(m.group_allowed(g, g))) for g, n in groups)
        row = base
        if more:
            row = list(base)
            row[i] += more
        allowed.append(row)  # rows alike stay one list: the exports write each once
    heads = [Head(w.ref, w.namespace, w.name, w.kind, tuple(members[w])) for w in order]
    return Grid(m.port, m.protocol, BY_WORKLOAD, heads, allowed)


def workloads_by_labels(pods: Iterable[Pod]) -> dict[str, Workload]:
    """Each pod's workload read from its labels (files carry no owners the engine keeps)."""
    return {p.ref: workload_of(p) for p in pods}


# --- exports -----------------------------------------------------------------------------------

CORNER = "From ↓ To →"


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(grid: Grid) -> str:
    """The grid as CSV: a header row of destinations after a corner cell naming the connection,
    then one row per source; each cell ``allowed``, ``denied`` or ``mixed 3/4``."""
    out = io.StringIO()
    writer = csv.writer(out)
    labels = [_spreadsheet_safe(h.label()) for h in grid.heads]
    writer.writerow([f"{grid.connection} {CORNER}", *labels])
    # rows written as the writer would (QUOTE_MINIMAL): the cells' texts never need quoting
    for label, (_, texts) in zip(labels, grid.texts(), strict=True):
        out.write(f"{_csv_field(label)},{','.join(texts)}\r\n")
    return out.getvalue()


def _csv_field(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(ch in text for ch in ',"\r\n') else text


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(grid: Grid) -> str:
    """The grid as a Markdown table under a line naming the connection and what the axes hold."""
    unit = "workload" if grid.by == BY_WORKLOAD else "pod"
    lines = [
        f"**{_md(grid.connection)}**: rows are the source {unit}s, columns the destination {unit}s "
        f"({grid.pod_count} pods in {', '.join(grid.namespaces()) or 'no namespace'}).",
        "",
        "| " + " | ".join([CORNER, *(_md(h.label()) for h in grid.heads)]) + " |",
        "|" + " --- |" * (len(grid.heads) + 1),
    ]
    for head, texts in grid.texts():
        lines.append("| " + " | ".join([_md(head.label()), *texts]) + " |")
    return "\n".join(lines) + "\n"


COLOURS = {ALLOWED: "#52c41a", DENIED: "#ff4d4f", MIXED: "#faad14"}
MARKS = {ALLOWED: "✓", DENIED: "✗", MIXED: "◐"}
_CELL, _CHAR, _PAD = 22, 7, 10  # px: a cell's side, a character's width at 12px, the margin


def to_svg(grid: Grid) -> str:
    """The grid as an SVG picture: sources down the left, destinations up the top, one coloured
    square per cell with its text as a tooltip (``<title>``), and a legend."""
    labels = [h.label() for h in grid.heads]
    widest = max((len(text) for text in labels), default=0) * _CHAR
    left, top = _PAD + widest + _PAD, 30 + widest + _PAD
    n = len(grid.heads)
    width = max(left + n * _CELL + _PAD, 420)
    height = top + n * _CELL + 50
    title = f"{grid.connection}: rows are sources, columns destinations"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_PAD}" y="20" font-weight="bold">{escape(title)}</text>',
    ]
    for i, text in enumerate(labels):
        y = top + i * _CELL + _CELL / 2 + 4
        parts.append(f'<text class="row" x="{left - _PAD}" y="{y}" text-anchor="end">{escape(text)}</text>')
        x = left + i * _CELL + _CELL / 2 + 4
        parts.append(
            f'<text class="column" x="{x}" y="{top - _PAD}" transform="rotate(-90 {x} {top - _PAD})">'
            f"{escape(text)}</text>"
        )
    for i, (src, row) in enumerate(grid.rows()):
        for j, (dst, cell) in enumerate(zip(grid.heads, row, strict=True)):
            x, y = left + j * _CELL, top + i * _CELL
            tip = f"{src.label()} → {dst.label()}: {cell.text()}"
            parts.append(
                f'<g class="cell" data-from={quoteattr(src.key)} data-to={quoteattr(dst.key)} '
                f'data-state="{cell.state}"><title>{escape(tip)}</title>'
                f'<rect x="{x}" y="{y}" width="{_CELL - 2}" height="{_CELL - 2}" fill="{COLOURS[cell.state]}"/>'
                f'<text x="{x + _CELL / 2 - 1}" y="{y + _CELL / 2 + 3}" text-anchor="middle" fill="#ffffff">'
                f"{MARKS[cell.state]}</text></g>"
            )
    legend_y = top + n * _CELL + 25
    for k, state in enumerate((ALLOWED, DENIED, MIXED)):
        x = _PAD + k * 110
        parts.append(f'<rect x="{x}" y="{legend_y - 11}" width="14" height="14" fill="{COLOURS[state]}"/>')
        parts.append(f'<text x="{x + 20}" y="{legend_y}">{state}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def export(grid: Grid, fmt: str) -> str:
    """The grid in one of ``FORMATS`` (csv, md, svg) or as ``json`` (``to_json``)."""
    return {"csv": to_csv, "md": to_markdown, "svg": to_svg, "json": to_json}[fmt](grid)


# An export up to this many bytes is kept with its grid, the last format asked only: a grid kept
# by app.analysis answers again without writing it anew (a whole cluster's CSV by workload, 1,000
# Deployments, is about 13 MB).
KEPT_EXPORT = 16_000_000


def encoded(grid: Grid, fmt: str) -> bytes:
    """``export`` in UTF-8, kept with the grid when it is the format asked last."""
    body = grid._exports.get(fmt)
    if body is None:
        body = export(grid, fmt).encode()
        grid._exports.clear()
        if len(body) <= KEPT_EXPORT:
            grid._exports[fmt] = body
    return body


def attachment(grid: Grid, fmt: str) -> tuple[bytes, str, dict[str, str]]:
    """A download of the grid: its body, media type and Content-Disposition header."""
    disposition = f'attachment; filename="{filename(grid, fmt)}"'
    return encoded(grid, fmt), FORMATS[fmt][0], {"Content-Disposition": disposition}


def filename(grid: Grid, fmt: str) -> str:
    """A download's file name: ``matrix-<namespaces>-<protocol>-<port>-<by>.<ext>``, ASCII only."""
    spread = "-".join(grid.namespaces()) if len(grid.namespaces()) <= 3 else f"{len(grid.namespaces())}-namespaces"
    stem = f"matrix-{spread}-{grid.protocol}-{grid.port}-by-{grid.by}".lower()
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in stem)
    return f"{safe[:120]}.{FORMATS[fmt][1]}"
