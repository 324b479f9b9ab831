"""``assay trace JOB_ID``: a job's trace as a waterfall of bars on a time axis, read from the stack's span file."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc


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


BAR_WIDTH = 40
"""Characters of the time axis the bars are drawn on."""

STATUS_MESSAGE_CHARS = 80
"""An error status's description is cut to this length in the table."""


@dataclass(frozen=True)
class _Row:
    service: str
    name: str
    start: str
    duration: str
    bar: str
    status: str


def render(trace_id: str, roots: list[SpanNode], bar_width: int = BAR_WIDTH) -> str:
    """The waterfall: service, span name (indented by depth), start offset, duration, a bar on the
    trace's time axis, status (with an error's description). A span's events (a cancellation
    request, an exception) follow it as rows marked ``◆`` at their time."""
    if not roots:
        return f"no spans recorded for trace {trace_id}"
    nodes = list(_all(roots))
    origin = min(node.start for node in nodes)
    total = max(max(int(n.record["end_ns"]) for n in nodes) - origin, 1)
    axis = _Axis(origin, total, bar_width)
    rows: list[_Row] = []

    def walk(node: SpanNode, depth: int) -> None:
        record = node.record
        rows.append(_Row(
            str(record.get("service", "")), "  " * depth + str(record["name"]), _offset(node.start - origin),
            f"{node.duration_ms:.1f} ms", axis.bar(node.start, int(record["end_ns"])), _status(record)))
        for event in sorted(record.get("events") or [], key=lambda e: int(e["time_ns"])):
            at = int(event["time_ns"])
            rows.append(_Row("", "  " * (depth + 1) + f"◆ {event['name']}", _offset(at - origin), "",
                             axis.marker(at), ""))
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    spans = sum(1 for row in rows if row.duration)
    header = _Row("service", "span", "start", "duration", axis.scale(_ms(total)), "status")
    widths = [max(len(getattr(row, name)) for row in [header, *rows]) for name in ("service", "name", "start",
                                                                                  "duration")]
    lines = [f"trace {trace_id}  ({spans} spans, {_ms(total)})"]
    for row in [header, *rows]:
        lines.append("  ".join([row.service.ljust(widths[0]), row.name.ljust(widths[1]), row.start.rjust(widths[2]),
                                row.duration.rjust(widths[3]), row.bar, row.status]).rstrip())
    return "\n".join(lines)


@dataclass(frozen=True)
class _Axis:
    """Maps times (ns) onto ``width`` character cells between the trace's first start and last end."""

    origin: int
    total: int
    width: int

    def _cell(self, at: int) -> float:
        return (at - self.origin) * self.width / self.total

    def bar(self, start: int, end: int) -> str:
        first = min(int(self._cell(start)), self.width - 1)
        last = max(first + 1, min(self.width, math.ceil(self._cell(end))))
        return "|" + " " * first + "█" * (last - first) + " " * (self.width - last) + "|"

    def marker(self, at: int) -> str:
        cell = min(int(self._cell(at)), self.width - 1)
        return "|" + " " * cell + "◆" + " " * (self.width - cell - 1) + "|"

    def scale(self, total: str) -> str:
        """The axis heading: 0 at the left edge, the trace's duration at the right."""
        return "|0" + total.rjust(self.width - 1) + "|"


def _ms(nanoseconds: int) -> str:
    return f"{nanoseconds / 1e6:.1f} ms"


def _offset(nanoseconds: int) -> str:
    return f"+{nanoseconds / 1e6:.1f} ms"


def _status(record: dict[str, Any]) -> str:
    """The span's status; an unset one that answered a gRPC or HTTP error (a caller's mistake, which
    the conventions leave unset) names the code."""
    status = str(record.get("status") or "UNSET")
    message = str(record.get("status_message") or "")
    if status == "UNSET" and not message:
        message = _answered_error(record.get("attributes") or {})
    if len(message) > STATUS_MESSAGE_CHARS:
        message = message[:STATUS_MESSAGE_CHARS - 1] + "…"
    return f"{status} ({message})" if message else status


def _all(roots: list[SpanNode]) -> Iterable[SpanNode]:
    for root in roots:
        yield root
        yield from _all(root.children)


def _answered_error(attributes: dict[str, Any]) -> str:
    grpc_code = attributes.get("rpc.grpc.status_code")
    if isinstance(grpc_code, int) and grpc_code > 0:
        name = next((code.name for code in grpc.StatusCode if code.value[0] == grpc_code), str(grpc_code))
        return f"grpc {name}"
    http_code = attributes.get("http.response.status_code", attributes.get("http.status_code"))
    if isinstance(http_code, int) and http_code >= 400:
        return f"http {http_code}"
    return ""
