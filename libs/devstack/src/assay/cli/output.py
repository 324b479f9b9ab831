"""Printing jobs for people (a line, a progress bar) and for scripts (JSON)."""

from __future__ import annotations

import json
import sys
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from assay.v1 import job_pb2


def to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def state_name(job: job_pb2.Job) -> str:
    return job_pb2.Job.State.Name(job.state).removeprefix("STATE_")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def job_line(job: job_pb2.Job) -> str:
    created = job.create_time.ToDatetime().isoformat(timespec="seconds") if job.HasField("create_time") else ""
    return f"{job.id}  {state_name(job):<9}  {job.analyzer:<15}  {job.progress:>3}%  {created}"


def print_job(job: job_pb2.Job) -> None:
    print(f"job       {job.id}")
    print(f"state     {state_name(job)}   progress {job.progress}%   attempt {job.attempt}/{job.max_attempts}")
    print(f"analyzer  {job.analyzer} {job.analyzer_version}".rstrip())
    if job.HasField("error"):
        print(f"error     {job.error.code}: {job.error.message}")
    if job.HasField("result"):
        print("result")
        print(json.dumps(to_dict(job.result), indent=2))
    for artifact in job.artifacts:
        print(f"artifact  {artifact.name} ({artifact.media_type}) file {artifact.file_id}")


def progress_bar(job: job_pb2.Job, width: int = 30) -> None:
    """Redraw one progress line on stderr (only when it is a terminal)."""
    if not sys.stderr.isatty():
        print(f"{state_name(job)} {job.progress}%", file=sys.stderr)
        return
    filled = width * job.progress // 100
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r[{bar}] {job.progress:>3}% {state_name(job):<9}", end="", file=sys.stderr, flush=True)
