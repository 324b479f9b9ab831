"""What one job costs in calls, per load phase of a span file: REST requests, the gateway's gRPC
calls, the jobs service's RPCs and the sizes of its batches.

Run: ``.venv/bin/python bench/bench_gateway_calls.py bench/.work/assay-data/traces/spans.jsonl*``
(the JSON-lines files ``ASSAY_TRACE_FILE`` writes; ``bench.compare`` leaves them there). The jobs
service's ``CreateJob`` server spans split the file into phases: a create called by the gateway
after one that was not (or the other way round), or a pause of ``--gap`` seconds or more between
two creates, starts a new phase (warm-ups, then each case and target in turn); for
every phase of at least ``--min-jobs`` creates it prints each span kind's count per job, and the
jobs per create batch (``create jobs``), per ``StartJobs`` and per ``CompleteJobs`` call. A REST
phase shows the gateway's server spans (``POST /v1/jobs``, ``GET /v1/jobs/{job_id}``, …) and its
client spans (the gRPC calls it made); a gRPC phase has none of them.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CREATE = "/assay.v1.JobService/CreateJob"
BATCHES = {"create jobs": "create jobs", "StartJobs": "/assay.v1.JobExecutionService/StartJobs",
           "CompleteJobs": "/assay.v1.JobExecutionService/CompleteJobs"}
"""Per-batch spans of the jobs service: each covers several jobs."""
SHOWN = ("assay-gateway", "assay-jobs")


@dataclass
class Phase:
    start_ns: int
    end_ns: int
    jobs: int
    rest: bool
    """Its creates came through the gateway."""
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def per_job(self, key: tuple[str, str, str]) -> float:
        return self.counts[key] / self.jobs

    def batch_size(self, name: str) -> float | None:
        found = self.counts[("assay-jobs", "INTERNAL" if name == "create jobs" else "SERVER", BATCHES[name])]
        return self.jobs / found if found else None


def read_spans(paths: Iterable[Path]) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for path in paths:
        with path.open() as handle:
            for line in handle:
                try:
                    spans.append(json.loads(line))
                except ValueError:  # a line cut by a rotation or a killed writer
                    continue
    return sorted(spans, key=lambda span: span["start_ns"])


def phases(spans: list[dict[str, Any]], gap_s: float, min_jobs: int) -> list[Phase]:
    """The load phases (runs of jobs creates without a pause of ``gap_s``), each with its spans counted."""
    gateway_calls = {span["span_id"] for span in spans
                     if span["service"] == "assay-gateway" and span["kind"] == "CLIENT" and span["name"] == CREATE}
    creates = [(span["start_ns"], span["parent_id"] in gateway_calls) for span in spans
               if span["service"] == "assay-jobs" and span["kind"] == "SERVER" and span["name"] == CREATE]
    found: list[Phase] = []
    for start, rest in creates:
        if found and found[-1].rest == rest and start - found[-1].end_ns < gap_s * 1e9:
            found[-1].end_ns, found[-1].jobs = start, found[-1].jobs + 1
        else:
            found.append(Phase(start, start, 1, rest))
    found = [phase for phase in found if phase.jobs >= min_jobs]
    # A phase's spans: from its first create to its last create plus the gap (its last jobs
    # finishing), or to the next phase's first create if that comes sooner.
    for phase, following in zip(found, [*found[1:], None], strict=True):
        lo, hi = phase.start_ns, phase.end_ns + gap_s * 1e9
        if following is not None:
            hi = min(hi, following.start_ns)
        phase.counts.update((s["service"], s["kind"], s["name"]) for s in spans if lo <= s["start_ns"] <= hi)
    return found


def report(found: list[Phase]) -> str:
    keys = sorted({key for phase in found for key in phase.counts if key[0] in SHOWN
                   and any(phase.per_job(key) >= 0.01 for phase in found)},
                  key=lambda key: (key[0], key[1], key[2]))
    header = "| per job | " + " | ".join(f"phase {i + 1}: {p.jobs} jobs, {(p.end_ns - p.start_ns) / 1e9:.1f} s"
                                         for i, p in enumerate(found)) + " |"
    lines = [header, "|---" * (len(found) + 1) + "|"]
    lines.append("| creates through the gateway (REST) | "
                 + " | ".join("yes" if p.rest else "no" for p in found) + " |")
    for key in keys:
        lines.append(f"| {key[0]} {key[1]} `{key[2]}` | " + " | ".join(f"{p.per_job(key):.3f}" for p in found) + " |")
    for name in BATCHES:
        sizes = [p.batch_size(name) for p in found]
        lines.append(f"| jobs per `{name}` batch | " + " | ".join("—" if s is None else f"{s:.2f}" for s in sizes)
                     + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spans", nargs="+", type=Path, help="span files (JSON lines)")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds without a create that end a phase")
    parser.add_argument("--min-jobs", type=int, default=200, help="phases with fewer creates are left out")
    args = parser.parse_args()
    found = phases(read_spans(args.spans), args.gap, args.min_jobs)
    if not found:
        raise SystemExit("no phase with enough CreateJob spans in these files")
    print(report(found))


if __name__ == "__main__":
    main()
