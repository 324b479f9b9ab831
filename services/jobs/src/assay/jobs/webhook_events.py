"""Webhook deliveries queued in the transaction of the state change they report (an outbox).

``WebhookOutbox`` lives in one store transaction: the store calls ``job_ended`` for each job the
transaction moved to a terminal state, and ``settle_pipelines`` once before commit, which reports
every pipeline whose last job ended in it. A delivery row per enabled subscription of the tenant
that asked for the event's type is inserted by one ``INSERT … SELECT``; the delivery loop
(``webhook_delivery``) sends it. A committed change is therefore delivered at least once, whatever
restarts, and nothing is delivered of a change that rolled back.

The payload (Standard Webhooks): ``{"type", "timestamp", "data"}`` with ``data`` the job as
``GET /v1/jobs/{id}?view=BASIC`` shows it (no inline text, params, result or artifacts; the error's
code without its message), or for ``pipeline.finished`` the pipeline as ``GET /v1/pipelines/{id}``
shows it with its jobs in that BASIC form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.proto_json import to_json
from assay.common.telemetry import current_traceparent
from assay.jobs.codec import JobRows
from assay.jobs.views import apply_view
from assay.v1 import job_pb2, jobs_service_pb2

Job = job_pb2.Job

JOB_SUCCEEDED = "job.succeeded"
JOB_FAILED = "job.failed"
JOB_CANCELLED = "job.cancelled"
JOB_DEAD_LETTERED = "job.dead_lettered"
PIPELINE_FINISHED = "pipeline.finished"
EVENT_TYPES = (JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED, JOB_DEAD_LETTERED, PIPELINE_FINISHED)
"""Every type a subscription may ask for. A dead-lettered job is ``job.dead_lettered`` only (not also
``job.failed``): subscribe to both to hear of every failure."""


def job_event_type(job: Job) -> str | None:
    """The event a job's terminal state is reported as (None for a state that is not terminal)."""
    if job.state == Job.STATE_SUCCEEDED:
        return JOB_SUCCEEDED
    if job.state == Job.STATE_CANCELLED:
        return JOB_CANCELLED
    if job.state == Job.STATE_FAILED:
        return JOB_DEAD_LETTERED if job.error.code == "DEAD_LETTERED" else JOB_FAILED
    return None


def basic(job: Job) -> Job:
    """A BASIC-view copy of ``job`` (the store's own message is left whole)."""
    copy = Job()
    copy.CopyFrom(job)
    return apply_view(copy, jobs_service_pb2.JOB_VIEW_BASIC, jobs_service_pb2.JOB_VIEW_BASIC)


def webhooks_wanted(alias: str) -> str:
    """A ``RETURNING`` column of a statement ending jobs (``alias``: its jobs table): whether the job's
    tenant has any enabled subscription. A row carrying it False skips the delivery insert and its
    payload (most tenants have none: the payload's JSON and the statement were ~4 % of the jobs
    process, and the empty insert's statement trigger woke the delivery loop for nothing). A row
    without it is handled as before."""
    return (f"EXISTS (SELECT 1 FROM jobs.webhook_subscriptions s "
            f"WHERE s.tenant_id = {alias}.tenant_id AND s.enabled) AS webhooks_wanted")


def _wanted(row: RowMapping) -> bool:
    return bool(row.get("webhooks_wanted", True))


def payload(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The signed body: compact JSON, keys in a stable order."""
    return json.dumps({"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
                       "data": data}, separators=(",", ":"))


class WebhookOutbox:
    """Queues one transaction's webhook deliveries (see the module docstring)."""

    def __init__(self, conn: AsyncConnection, rows: JobRows) -> None:
        self._conn = conn
        self._rows = rows
        self._pipelines: dict[uuid.UUID, str] = {}
        """Pipelines one of whose jobs this transaction ended, with the job's tenant."""

    async def job_ended(self, row: RowMapping, job: Job) -> None:
        """Queue the job's terminal event for the subscriptions that asked for it."""
        event_type = job_event_type(job)
        if event_type is None:
            return
        if row.get("pipeline_id") is not None:
            self._pipelines[row["pipeline_id"]] = row["tenant_id"]
        if not _wanted(row):
            return
        await self._enqueue(row["tenant_id"], event_type, f"msg_{job.id}.e{row['event_seq']}",
                            payload(event_type, row["updated_at"], to_json(basic(job))),
                            job_id=row["id"], pipeline_id=None)

    async def jobs_ended(self, ended: Sequence[tuple[RowMapping, Job, str]]) -> None:
        """``job_ended`` for the rows one batch statement moved (row, job, the item's traceparent):
        one ``INSERT … SELECT`` queues the deliveries of all the terminal ones."""
        batch = []
        for row, job, traceparent in ended:
            event_type = job_event_type(job)
            if event_type is None:
                continue
            if row.get("pipeline_id") is not None:
                self._pipelines[row["pipeline_id"]] = row["tenant_id"]
            if _wanted(row):
                batch.append((row, job, event_type, traceparent))
        if batch:
            await self._conn.execute(_ENQUEUE_MANY, {
                "tenants": [row["tenant_id"] for row, _, _, _ in batch],
                "types": [event_type for _, _, event_type, _ in batch],
                "message_ids": [f"msg_{job.id}.e{row['event_seq']}" for row, job, _, _ in batch],
                "payloads": [payload(event_type, row["updated_at"], to_json(basic(job)))
                             for row, job, event_type, _ in batch],
                "job_ids": [row["id"] for row, _, _, _ in batch],
                "traceparents": [traceparent for _, _, _, traceparent in batch]})

    async def settle_pipelines(self) -> None:
        """Queue ``pipeline.finished`` for each pipeline whose last unfinished job this transaction
        ended. The pipeline row is locked first, so of two transactions ending a pipeline's last two
        jobs at once the second decides after the first commits, and sees both ended: one event.

        The lock is ``FOR NO KEY UPDATE``, which excludes itself but not ``FOR KEY SHARE``: a
        transaction that updates its job's row a second time (``emit`` writing the end traceparent
        or clearing secret params) has PostgreSQL re-check the row's pipeline foreign key, which
        takes ``FOR KEY SHARE`` on the pipeline row. With ``FOR UPDATE`` two completions each holding
        that share waited for each other's (a deadlock PostgreSQL broke: ABORTED, retried, and the
        leases ran out meanwhile); every path takes its jobs' rows first and the pipeline row last."""
        pipelines, self._pipelines = self._pipelines, {}
        for pipeline_id in sorted(pipelines):
            created = (await self._conn.execute(_LOCK_PIPELINE, {"id": pipeline_id})).scalar_one_or_none()
            if created is None:
                continue
            rows = (await self._conn.execute(_PIPELINE_JOBS, {"id": pipeline_id})).mappings().all()
            if any(row["state"] in _UNFINISHED for row in rows):
                continue
            from assay.jobs.pipelines import pipeline_message

            jobs = [basic(self._rows.job(row)) for row in rows]
            pipeline = pipeline_message(pipeline_id, pipelines[pipeline_id], created, jobs)
            ended = max(row["updated_at"] for row in rows)
            await self._enqueue(pipelines[pipeline_id], PIPELINE_FINISHED, f"msg_{uuid.uuid4().hex}",
                                payload(PIPELINE_FINISHED, ended, to_json(pipeline)),
                                job_id=None, pipeline_id=pipeline_id)

    async def _enqueue(self, tenant: str, event_type: str, message_id: str, body: str, *,
                       job_id: uuid.UUID | None, pipeline_id: uuid.UUID | None) -> None:
        await self._conn.execute(_ENQUEUE, {
            "tenant": tenant, "type": event_type, "message_id": message_id, "payload": body,
            "job_id": job_id, "pipeline_id": pipeline_id, "traceparent": current_traceparent() or ""})


_UNFINISHED: Sequence[str] = ("WAITING", "QUEUED", "RUNNING")

_ENQUEUE = text("""
    INSERT INTO jobs.webhook_deliveries (id, tenant_id, subscription_id, message_id, event_type, payload,
                                         job_id, pipeline_id, traceparent)
    SELECT gen_random_uuid(), s.tenant_id, s.id, :message_id, :type, :payload, :job_id, :pipeline_id, :traceparent
    FROM jobs.webhook_subscriptions s
    WHERE s.tenant_id = :tenant AND s.enabled AND :type = ANY(s.event_types)
""")
_ENQUEUE_MANY = text("""
    INSERT INTO jobs.webhook_deliveries (id, tenant_id, subscription_id, message_id, event_type, payload,
                                         job_id, pipeline_id, traceparent)
    SELECT gen_random_uuid(), s.tenant_id, s.id, b.message_id, b.type, b.payload, b.job_id, NULL, b.traceparent
    FROM unnest(CAST(:tenants AS text[]), CAST(:types AS text[]), CAST(:message_ids AS text[]),
                CAST(:payloads AS text[]), CAST(:job_ids AS uuid[]), CAST(:traceparents AS text[]))
         AS b(tenant, type, message_id, payload, job_id, traceparent)
    JOIN jobs.webhook_subscriptions s ON s.tenant_id = b.tenant AND s.enabled AND b.type = ANY(s.event_types)
""")
"""``_ENQUEUE`` for the jobs of one batch (the subscriptions of each job's own tenant)."""
_LOCK_PIPELINE = text("SELECT created_at FROM jobs.pipelines WHERE id = :id FOR NO KEY UPDATE")
"""Not ``FOR UPDATE``: see ``settle_pipelines`` (the foreign key checks of jobs' rows take ``FOR KEY SHARE``)."""
_PIPELINE_JOBS = text("SELECT * FROM jobs.jobs WHERE pipeline_id = :id ORDER BY pipeline_index")
