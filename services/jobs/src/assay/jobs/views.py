"""Job views (AIP-157): how much of a job a read returns."""

from __future__ import annotations

from assay.v1 import job_pb2, jobs_service_pb2

JobView = jobs_service_pb2.JobView

BASIC_LEFT_OUT = ("params", "result", "artifacts")
"""Fields a BASIC view leaves out whole; it also drops ``inputs.text`` and ``error.message``."""


def apply_view(job: job_pb2.Job, view: jobs_service_pb2.JobView.ValueType, default: int) -> job_pb2.Job:
    """``job`` as ``view`` shows it (``default`` when the view is unset); BASIC trims it in place.

    BASIC keeps what a list needs, bounded in size: ids, analyzer, state, progress, attempts,
    priority, timing, trace and pipeline ids, input file and job ids, the error's code.
    """
    if (view or default) != jobs_service_pb2.JOB_VIEW_BASIC:
        return job
    for name in BASIC_LEFT_OUT:
        job.ClearField(name)  # type: ignore[arg-type]
    if job.HasField("inputs"):  # touching an unset sub-message would make it present
        job.inputs.ClearField("text")
    if job.HasField("error"):
        job.error.ClearField("message")
    return job
