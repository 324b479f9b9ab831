"""The states of a job: ``assay.v1.Job.State`` values, and the names the jobs table stores.

``QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED``; a retryable failure goes back to QUEUED.
A job with dependencies starts ``WAITING`` and becomes QUEUED (or FAILED, or CANCELLED) from there.
"""

from __future__ import annotations

from assay.v1 import job_pb2

Job = job_pb2.Job

STATE_NAMES = {
    Job.STATE_QUEUED: "QUEUED",
    Job.STATE_RUNNING: "RUNNING",
    Job.STATE_SUCCEEDED: "SUCCEEDED",
    Job.STATE_FAILED: "FAILED",
    Job.STATE_CANCELLED: "CANCELLED",
    Job.STATE_WAITING: "WAITING",
}
"""Proto state → the text stored in ``jobs.state``."""
STATE_VALUES = {name: value for value, name in STATE_NAMES.items()}
"""The text stored in ``jobs.state`` → proto state."""

ACTIVE = (Job.STATE_WAITING, Job.STATE_QUEUED, Job.STATE_RUNNING)
"""States a job can still leave."""
TERMINAL = (Job.STATE_SUCCEEDED, Job.STATE_FAILED, Job.STATE_CANCELLED)
"""States a job ends in."""
