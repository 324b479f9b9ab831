"""``assay trace JOB_ID``: a job's trace as an indented waterfall, read from the stack's span file."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SpanNode:
    """One span and its children, ordered by start time."""

    record: dict[str, Any]
    children: list[SpanNode] = field(default_factory=list)

    @property
    def start(self) -> int:
        return int(self.record["start_ns"])

    @property
    def duration_ms(self) -> float:
        return (int(self.record["end_ns"]) - self.start) / 1e6


def load_spans(path: Path, trace_id: str) -> list[dict[str, Any]]:
    """Every span of ``trace_id`` in a JSON-lines span file."""
    if not path.exists():
        return []
    spans = []
    with path.open() as handle:
        for line in handle:
            if trace_id in line:
                record = json.loads(line)
                if record.get("trace_id") == trace_id:
                    spans.append(record)
    return spans


def build_tree(spans: Iterable[dict[str, Any]]) -> list[SpanNode]:
    """Roots (spans whose parent is not in the trace) with their descendants."""
    nodes = {s["span_id"]: SpanNode(s) for s in spans}
    children: dict[str, list[SpanNode]] = defaultdict(list)
    roots = []
    for node in nodes.values():
        parent = node.record.get("parent_id") or ""
        if parent in nodes:
            children[parent].append(node)
        else:
            roots.append(node)
    for span_id, node in nodes.items():
        node.children = sorted(children[span_id], key=lambda n: n.start)
    return sorted(roots, key=lambda n: n.start)


def render(trace_id: str, roots: list[SpanNode]) -> str:
    """The waterfall: service, span name (indented by depth), start offset, duration, status."""
    if not roots:
        return f"no spans recorded for trace {trace_id}"
    origin = min(root.start for root in roots)
    rows: list[tuple[str, str, str, str, str]] = []

    def walk(node: SpanNode, depth: int) -> None:
        record = node.record
        status = record.get("status", "UNSET")
        if record.get("status_message"):
            status += f" ({record['status_message']})"
        rows.append((
            str(record.get("service", "")), "  " * depth + str(record["name"]),
            f"+{(node.start - origin) / 1e6:.1f} ms", f"{node.duration_ms:.1f} ms", status,
        ))
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    total = max(int(n.record["end_ns"]) for n in _all(roots)) - origin
    header = ("service", "span", "start", "duration", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = [f"trace {trace_id}  ({len(rows)} spans, {total / 1e6:.1f} ms)"]
    for row in [header, *rows]:
        lines.append("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                                row[3].rjust(widths[3]), row[4]]).rstrip())
    return "\n".join(lines)


def _all(roots: list[SpanNode]) -> Iterable[SpanNode]:
    for root in roots:
        yield root
        yield from _all(root.children)
