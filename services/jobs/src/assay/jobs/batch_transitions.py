"""The batch forms of CreateJob, StartJob and CompleteJob: one statement moves a whole batch.

Each statement takes the batch as arrays (``unnest``) and applies exactly the single transition's
conditions to every row, so attempt fencing, due times and leases hold per job; a row the
statement did not move is answered by the single transition afterwards (in a transaction of its
own), which explains why — superseded, not found, a retried call whose first answer was lost — as
it always did. The jobs' events go into the outbox in one more statement for the batch.

Worker-facing batches run as a system transaction (several tenants' jobs in one batch): every
statement names each job's tenant itself (``j.tenant_id = b.tenant``), which the caller took from
the job's verified capability.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from assay.jobs import secret_params
from assay.jobs.webhook_events import webhooks_wanted

if TYPE_CHECKING:
    from assay.jobs.store import NewJob, WorkerSlot


@dataclass(frozen=True)
class CreateItem:
    """One job of a group-committed CreateJob batch (no dependencies)."""

    tenant: str
    actor: str
    new: NewJob
    traceparent: str = ""
    """The CreateJob call's span: the job's first event and its hold point to it."""


@dataclass(frozen=True)
class StartItem:
    """One job of a StartJobs batch."""

    tenant: str
    job_id: uuid.UUID
    analyzer_version: str
    traceparent: str = ""
    worker: WorkerSlot | None = None
    """The worker process's slot and boot, recorded with the attempt (see ``JobStore.start``)."""


@dataclass(frozen=True)
class CompleteItem:
    """One attempt of a CompleteJobs batch."""

    tenant: str
    job_id: uuid.UUID
    attempt: int
    result: dict[str, Any] | None
    artifacts: Sequence[dict[str, Any]]
    cancelled: bool
    traceparent: str = ""


def first_of_each_job(job_ids: Sequence[uuid.UUID]) -> tuple[list[int], list[int]]:
    """Indexes of the first item of each job, and of the repeats (a job twice in one batch: the
    repeat is answered by the single transition after the batch, so it never moves the job twice)."""
    seen: set[uuid.UUID] = set()
    first: list[int] = []
    repeats: list[int] = []
    for index, job_id in enumerate(job_ids):
        (repeats if job_id in seen else first).append(index)
        seen.add(job_id)
    return first, repeats


def start_params(items: Sequence[StartItem], lease: float) -> dict[str, Any]:
    return {"ids": [item.job_id for item in items], "tenants": [item.tenant for item in items],
            "versions": [item.analyzer_version for item in items], "lease": lease,
            "slots": [item.worker.slot if item.worker else None for item in items],
            "boots": [item.worker.boot if item.worker else None for item in items]}


def complete_params(items: Sequence[CompleteItem], traceparents: Sequence[str]) -> dict[str, Any]:
    return {
        "ids": [item.job_id for item in items], "tenants": [item.tenant for item in items],
        "attempts": [item.attempt for item in items],
        "finals": ["CANCELLED" if item.cancelled else "SUCCEEDED" for item in items],
        "results": [None if item.result is None else json.dumps(item.result) for item in items],
        "artifacts": [json.dumps(list(item.artifacts)) for item in items],
        "traceparents": list(traceparents),
    }


def create_params(tenant: str, rows: Sequence[tuple[uuid.UUID, str, NewJob]]) -> dict[str, Any]:
    """The arrays of a multi-row job INSERT: (job id, actor, ``NewJob``) per job, all QUEUED."""
    params_, secrets_ = [], []
    for _, _, new in rows:
        public, secret = secret_params.split(new.params)
        params_.append(json.dumps(public))
        secrets_.append(None if secret is None else json.dumps(secret))
    return {
        "tenant": tenant, "ids": [job_id for job_id, _, _ in rows], "actors": [actor for _, actor, _ in rows],
        "analyzers": [new.analyzer for _, _, new in rows], "params": params_, "secrets": secrets_,
        "inputs": [json.dumps(new.inputs) for _, _, new in rows],
        "max_attempts": [new.max_attempts for _, _, new in rows], "priorities": [new.priority for _, _, new in rows],
        "request_ids": [new.request_id for _, _, new in rows],
        "request_hashes": [new.request_hash for _, _, new in rows],
        "trace_ids": [new.trace_id for _, _, new in rows], "cache_keys": [new.cache_key for _, _, new in rows],
    }


_EVENT = "updated_at = now(), event_seq = j.event_seq + 1"

START_BATCH = text(f"""
    UPDATE jobs.jobs j SET state = 'RUNNING', attempt = j.attempt + 1, progress = 0, result = NULL,
        lease_expires_at = now() + make_interval(secs => :lease), started_at = now(), next_attempt_at = NULL,
        analyzer_version = b.version, worker_slot = b.slot, worker_boot = b.boot, {_EVENT}
    FROM unnest(CAST(:ids AS uuid[]), CAST(:tenants AS text[]), CAST(:versions AS text[]), CAST(:slots AS text[]),
                CAST(:boots AS text[])) AS b(id, tenant, version, slot, boot)
    WHERE j.id = b.id AND j.tenant_id = b.tenant AND j.attempt < j.max_attempts AND NOT j.cancel_requested
      AND ((j.state = 'QUEUED' AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now()))
           OR (j.state = 'RUNNING' AND j.lease_expires_at < now()))
    RETURNING j.*
""")
"""StartJob's ``_START`` for a batch of jobs (the same conditions, row by row)."""

COMPLETE_BATCH = text(f"""
    UPDATE jobs.jobs j SET state = b.final,
        progress = CASE WHEN b.final = 'SUCCEEDED' THEN 100 ELSE j.progress END,
        result = COALESCE(CAST(b.result AS jsonb), j.result), artifacts = CAST(b.artifacts AS jsonb),
        error = CASE WHEN b.final = 'SUCCEEDED' THEN NULL ELSE j.error END,
        ended_at = now(), lease_expires_at = NULL, secret_params = NULL,
        end_traceparent = COALESCE(NULLIF(b.traceparent, ''), j.end_traceparent), {_EVENT}
    FROM unnest(CAST(:ids AS uuid[]), CAST(:tenants AS text[]), CAST(:attempts AS int[]), CAST(:finals AS text[]),
                CAST(:results AS text[]), CAST(:artifacts AS text[]), CAST(:traceparents AS text[]))
         AS b(id, tenant, attempt, final, result, artifacts, traceparent)
    WHERE j.id = b.id AND j.tenant_id = b.tenant AND j.state = 'RUNNING' AND j.attempt = b.attempt
    RETURNING j.*, {webhooks_wanted("j")}
""")
"""CompleteJob's ``_COMPLETE`` for a batch of attempts, with what ``emit`` does at a job's end
(its end traceparent recorded, its secret params cleared) in the same statement, and whether each
job's tenant wants webhooks (``webhooks_wanted``)."""

CREATE_BATCH = text("""
    INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, params, secret_params, inputs, state, max_attempts,
                           priority, request_id, request_hash, trace_id, cache_key)
    SELECT b.id, :tenant, b.actor, b.analyzer, CAST(b.params AS jsonb), CAST(b.secret AS jsonb),
           CAST(b.inputs AS jsonb), 'QUEUED', b.max_attempts, b.priority, b.request_id, b.request_hash, b.trace_id,
           b.cache_key
    FROM unnest(CAST(:ids AS uuid[]), CAST(:actors AS text[]), CAST(:analyzers AS text[]), CAST(:params AS text[]),
                CAST(:secrets AS text[]), CAST(:inputs AS text[]), CAST(:max_attempts AS int[]),
                CAST(:priorities AS int[]), CAST(:request_ids AS text[]), CAST(:request_hashes AS text[]),
                CAST(:trace_ids AS text[]), CAST(:cache_keys AS text[]))
         WITH ORDINALITY AS b(id, actor, analyzer, params, secret, inputs, max_attempts, priority, request_id,
                              request_hash, trace_id, cache_key, position)
    ORDER BY b.position
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING *
""")
"""CreateJob's ``_INSERT`` for a batch of QUEUED jobs of one tenant (a taken request_id inserts nothing)."""

BY_REQUEST_IDS = text("SELECT * FROM jobs.jobs WHERE tenant_id = :tenant AND request_id = ANY(:request_ids)")
