"""Printing jobs for people (a table row, a progress bar) and for scripts (JSON), and API errors."""

from __future__ import annotations

import json
import sys
from typing import Any

from assay.common.errors import ErrorDetails
from assay.common.proto_json import to_json  # the REST API's rendering: every field, zero or not
from assay.v1 import job_pb2

JOB_COLUMNS = (("ID", 36), ("STATE", 9), ("ANALYZER", 15), ("PROGRESS", 8), ("CREATED", 0))
"""The ``jobs list`` table: heading and width of each column (the last one is not padded)."""


def state_name(job: job_pb2.Job) -> str:
    return job_pb2.Job.State.Name(job.state).removeprefix("STATE_")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _row(cells: tuple[str, ...]) -> str:
    return "  ".join(cell.ljust(width) for cell, (_, width) in zip(cells, JOB_COLUMNS, strict=True)).rstrip()


def job_header() -> str:
    return _row(tuple(name for name, _ in JOB_COLUMNS))


def job_line(job: job_pb2.Job) -> str:
    created = job.create_time.ToDatetime().isoformat(timespec="seconds") if job.HasField("create_time") else ""
    return _row((job.id, state_name(job), job.analyzer, f"{job.progress:>3}%".rjust(8), created))


def print_job(job: job_pb2.Job) -> None:
    print(f"job       {job.id}")
    print(f"state     {state_name(job)}   progress {job.progress}%   attempt {job.attempt}/{job.max_attempts}")
    print(f"analyzer  {job.analyzer} {job.analyzer_version}".rstrip())
    if job.cached_from:
        print(f"cached    answered from job {job.cached_from}'s result (same input and params; --no-cache runs it)")
    if job.cancel_requested and job.state == job_pb2.Job.STATE_RUNNING:
        print("cancel    requested: the worker stops the job at its next checkpoint")
    if job.HasField("error"):
        print(f"error     {job.error.code}: {job.error.message}")
    if job.HasField("result"):
        print("result")
        print(json.dumps(to_json(job.result), indent=2))
    for artifact in job.artifacts:
        print(f"artifact  {artifact.name} ({artifact.media_type}) file {artifact.file_id}")


def error_lines(details: ErrorDetails) -> list[str]:
    """An API refusal for stderr: code, reason and message, then each field violation that adds
    something (one the message already states, as ``field: description`` or as is, is left out)."""
    lines = [f"assay: {details.code.name} {details.reason}: {details.message}"]
    lines += [f"  {v.field}: {v.description}" for v in details.violations if v.description not in details.message]
    if "quota" in details.metadata:  # QUOTA_EXCEEDED
        meta = details.metadata
        line = f"  quota {meta['quota']}: {int(meta['usage']):,} of {int(meta['limit']):,} used"
        if "retry_after_seconds" in meta:
            line += f"; try again in {_duration(int(meta['retry_after_seconds']))}"
        lines.append(line)
    return lines


def _duration(seconds: int) -> str:
    """``3h 05m``, ``4m 10s``, ``9s``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def progress_bar(job: job_pb2.Job, width: int = 30) -> None:
    """Redraw one progress line on stderr (only when it is a terminal)."""
    if not sys.stderr.isatty():
        print(f"{state_name(job)} {job.progress}%", file=sys.stderr)
        return
    filled = width * job.progress // 100
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r[{bar}] {job.progress:>3}% {state_name(job):<9}", end="", file=sys.stderr, flush=True)
