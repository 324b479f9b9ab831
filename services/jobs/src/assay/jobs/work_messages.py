"""A job's work message: written into the outbox by the dispatcher when the job's turn comes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.analyzers import SPECS
from assay.common.capabilities import JobCapabilities
from assay.common.nats import work_subject
from assay.jobs.dependencies import load_dependencies
from assay.v1 import events_pb2, job_pb2


async def readable_files(conn: AsyncConnection, job: job_pb2.Job) -> list[str]:
    """What the job's capability lets its worker read: its input files and its dependencies'
    artifacts (a job is queued only once every dependency SUCCEEDED, whose artifacts never change)."""
    files = list(job.inputs.file_ids)
    if job.inputs.jobs:
        for dependency in await load_dependencies(conn, uuid.UUID(job.id)):
            files += [artifact["file_id"] for artifact in dependency["artifacts"] if artifact.get("file_id")]
    return files


async def work_message(conn: AsyncConnection, capabilities: JobCapabilities, job: job_pb2.Job,
                       traceparent: str, subject_priority: int | None = None) -> dict[str, Any]:
    """The outbox row of the job's next attempt's work message (``Nats-Msg-Id`` job id + attempt), on
    the subject of the job's priority or of ``subject_priority`` (a job the dispatcher sends ahead of
    the analyzer's backlog; the job keeps its own priority)."""
    next_attempt = job.attempt + 1
    capability = capabilities.issue(job.tenant_id, job.id, await readable_files(conn, job))
    spec = SPECS.get(job.analyzer)
    priority = job.priority if subject_priority is None else subject_priority
    message = events_pb2.WorkMessage(job_id=job.id, tenant_id=job.tenant_id, attempt=next_attempt,
                                     capability=capability, small=spec is not None and spec.is_small(job.inputs))
    return {
        "subject": work_subject(job.analyzer, priority), "msg_id": f"{job.id}.{next_attempt}",
        "payload": message.SerializeToString(), "traceparent": traceparent,
    }


OUTBOX_INSERT = text("""
    INSERT INTO jobs.outbox (subject, msg_id, payload, traceparent)
    VALUES (:subject, :msg_id, :payload, :traceparent)
""")
