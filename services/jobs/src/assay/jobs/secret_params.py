"""Secret params: the ``[debug_redact = true]`` fields of ``JobParams`` (a bank statement's PDF
``password``) kept out of everything jobs persists as params, renders or publishes.

CreateJob splits them off the params into ``jobs.secret_params``, a column no read path selects into
a ``Job`` (GetJob, ListJobs, WatchJob, lifecycle events, the GetJob cache, the audit log); only
StartJob merges them back into the job it hands the worker, and the column is cleared in the
transaction that moves the job to a terminal state.
"""

from __future__ import annotations

import copy
from typing import Any

from google.protobuf import json_format

from assay.common.proto_json import redacted_paths
from assay.v1 import job_pb2


def split(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``params`` (JSON, proto field names) without its secret fields, and those fields alone in
    the same nesting (``None`` when none is set)."""
    public = copy.deepcopy(params)
    secret: dict[str, Any] = {}
    for path in redacted_paths(job_pb2.JobParams.DESCRIPTOR):
        _move(public, secret, path)
    return public, secret or None


def reveal(job: job_pb2.Job, secret: dict[str, Any] | None) -> job_pb2.Job:
    """A copy of ``job`` whose params hold ``secret`` again (for the worker only)."""
    if not secret:
        return job
    revealed = job_pb2.Job()
    revealed.CopyFrom(job)
    merged = job_pb2.JobParams()
    json_format.ParseDict(secret, merged, ignore_unknown_fields=True)
    revealed.params.MergeFrom(merged)
    return revealed


def _move(source: Any, target: dict[str, Any], path: tuple[str, ...]) -> None:
    """Move the value at ``path`` from ``source`` into ``target`` (the same nesting)."""
    if not isinstance(source, dict) or path[0] not in source:
        return
    if len(path) == 1:
        target[path[0]] = source.pop(path[0])
        return
    into = target.setdefault(path[0], {})
    _move(source[path[0]], into, path[1:])
    if not into:
        del target[path[0]]
