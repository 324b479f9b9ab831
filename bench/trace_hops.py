"""Where a job's time goes between services: the hops of each job's trace, from a span file.

Run: ``.venv/bin/python bench/trace_hops.py SPANS.jsonl [MORE.jsonl ...]`` (the JSON-lines files
``ASSAY_TRACE_FILE`` writes; ``assay dev`` and ``make bench`` write ``bench/.work/assay-data/traces/
spans.jsonl*``). For every trace holding a jobs ``CreateJob`` span and the job's ``complete job``
span it takes each hop's first span (start, or end where marked) as an offset from the CreateJob
call's start, and prints the median and p90 of each offset and of each hop's own length:

    CreateJob → dispatch job → publish assay.work (acked: its end) → process (the worker has the
    message) → start job → analyze → complete job (end) → the job's last event published (end)

Then how the jobs were dispatched (by their CreateJob batch, ``assay.dispatch.at_create``, or by a
dispatcher round) and how long they were held (``assay.dispatch.held_seconds``), and the GetJob
calls per job: GetJob server spans ÷ CreateJob server spans (c1's polls, when the file holds one run).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

CREATE = "/assay.v1.JobService/CreateJob"
GET = "/assay.v1.JobService/GetJob"
HOPS: tuple[tuple[str, str, str], ...] = (
    ("dispatched", "dispatch job", "start"),
    ("work published", "publish assay.work", "end"),
    ("worker has it", "process assay.work.", "start"),
    ("started", "start job", "start"),
    ("analyzer began", "analyze ", "start"),
    ("analyzer ended", "analyze ", "end"),
    ("completed", "complete job", "end"),
    ("last event published", "publish assay.events", "last_end"),
)


def offsets(spans: list[dict[str, Any]]) -> dict[str, float] | None:
    """Each hop's offset (ms) from the job's CreateJob start, or None for a trace without both ends."""
    creates = [s for s in spans if s["name"] == CREATE and s["service"] == "assay-jobs"]
    if not creates:
        return None
    t0 = min(s["start_ns"] for s in creates)
    found: dict[str, float] = {}
    for label, prefix, edge in HOPS:
        matching = [s for s in spans if s["name"].startswith(prefix)]
        if not matching:
            continue
        ends = [s["end_ns"] for s in matching]
        moment = max(ends) if edge == "last_end" else min(s[f"{edge}_ns"] for s in matching)
        found[label] = (moment - t0) / 1e6
    return found if "completed" in found else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    reads = 0
    for path in args.files:
        with path.open() as handle:
            for line in handle:
                span = json.loads(line)
                if span["name"] == GET and span["service"] == "assay-jobs":  # the polls: counted, no hop
                    reads += 1
                elif span["name"] != GET:
                    traces[span["trace_id"]].append(span)
    jobs = [found for spans in traces.values() if (found := offsets(spans)) is not None]
    print(f"{len(jobs)} jobs with a CreateJob and a completion in their trace; ms from CreateJob's start")
    print(f"{'hop':<22} {'offset p50':>10} {'p90':>8} {'hop p50':>8} {'p90':>8}")
    previous: str | None = None
    for label, _, _ in HOPS:
        values = [job[label] for job in jobs if label in job]
        if not values:
            continue
        deltas = values if previous is None else [
            job[label] - job[previous] for job in jobs if label in job and previous in job]
        print(f"{label:<22} {statistics.median(values):>10.0f} {percentile(values, 0.9):>8.0f} "
              f"{statistics.median(deltas):>8.0f} {percentile(deltas, 0.9):>8.0f}")
        previous = label
    spans = [span for trace_spans in traces.values() for span in trace_spans]
    print(dispatch_summary(spans))
    creates = sum(1 for span in spans if span["name"] == CREATE and span["service"] == "assay-jobs")
    if creates:
        print(f"GetJob per job: {reads / creates:.2f} ({reads} GetJob, {creates} CreateJob)")


def dispatch_summary(spans: list[dict[str, Any]]) -> str:
    """How the jobs were dispatched (at create / by a round) and how long they were held (ms)."""
    dispatches = [span["attributes"] for span in spans if span["name"] == "dispatch job"]
    if not dispatches:
        return "no dispatch spans"
    at_create = sum(1 for attributes in dispatches if attributes.get("assay.dispatch.at_create"))
    held = [1000 * float(attributes.get("assay.dispatch.held_seconds", 0)) for attributes in dispatches]
    return (f"dispatched: {at_create} by their create, {len(dispatches) - at_create} by a dispatcher round; "
            f"held p50 {statistics.median(held):.0f} ms, p90 {percentile(held, 0.9):.0f} ms")


if __name__ == "__main__":
    main()
