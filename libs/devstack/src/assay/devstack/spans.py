"""The span file of ``assay dev`` and its rotated predecessors: ``spans.jsonl``, ``spans.jsonl.1``, …
and reading a trace's spans from them (``assay trace``, the gateway's ``/v1/jobs/{id}/trace``).

Services append to ``spans.jsonl``, opening it for each batch, so renaming it away is safe: the
next batch creates a new one, and a batch written to the old name during the rename lands in
``spans.jsonl.1`` where readers still find it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def rotated(path: Path, generation: int) -> Path:
    """``spans.jsonl.N``: the N-th most recent rotated file."""
    return path.with_name(f"{path.name}.{generation}")


def rotate_if_large(path: Path, max_bytes: int, keep: int) -> bool:
    """When ``path`` holds ``max_bytes`` or more, shift it to ``.1`` (``.1`` to ``.2`` …), keeping
    ``keep`` rotated files and deleting older ones. True when it rotated."""
    try:
        if path.stat().st_size < max_bytes:
            return False
    except FileNotFoundError:
        return False
    for old in files(path)[:-1]:
        if _generation(path, old) >= keep:
            old.unlink(missing_ok=True)
    for generation in range(keep - 1, 0, -1):
        if rotated(path, generation).exists():
            rotated(path, generation).replace(rotated(path, generation + 1))
    if keep > 0:
        path.replace(rotated(path, 1))
    else:
        path.unlink(missing_ok=True)
    return True


def files(path: Path) -> list[Path]:
    """``path`` and its rotated files that exist, oldest first (what a reader of every span reads)."""
    older = sorted((p for p in path.parent.glob(f"{path.name}.*") if _generation(path, p) > 0),
                   key=lambda p: _generation(path, p), reverse=True)
    return [*older, *([path] if path.exists() else [])]


def _generation(path: Path, candidate: Path) -> int:
    match = re.fullmatch(re.escape(path.name) + r"\.(\d+)", candidate.name)
    return int(match.group(1)) if match else 0


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


def trace_spans(span_file: Path, trace_id: str) -> list[dict[str, Any]]:
    """Every span of ``trace_id`` in ``span_file`` and its rotated files, oldest file first."""
    return [record for path in files(span_file) for record in load_spans(path, trace_id)]
