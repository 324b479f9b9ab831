"""Deleting finished jobs for good: DeleteJob, a file's cascade (erasure) and the retention sweep.

A job spans three stores, so its deletion is ordered to be completed by a repeat whatever step a
crash interrupts:

1. *mark* (one transaction): ``deleting_at`` is set on the finished jobs (from then on no RetryJob
   re-queues them and no result-cache lookup answers from them), their unpublished outbox rows and
   dispatch entries are deleted, and the artifacts only they reference are chosen;
2. *artifacts*: deleted through ingest (``ArtifactEraser``), which owns them; one already gone counts
   as deleted;
3. *events*: the jobs' subjects ``assay.events.<tenant>.<job>`` are purged from the events stream;
4. *rows* (one transaction): the jobs' rows (inline input, params, result) and dependency records
   are deleted and the audit log records the deletion (never its content).

A crash after 1 leaves jobs marked for deletion; the same call (or the retention sweep's next
round) redoes steps 1 to 4, each of which is idempotent. The events are purged after the outbox rows were
deleted in 1; a relay pass that had already read one of those rows holds it locked until it has
published it (``outbox._FETCH``), so 1 commits only after that publish and step 3 removes it. Step
3 runs again after 4 for the deletion notices.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
import prometheus_client
from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import tenant_transaction
from assay.common.errors import FailedPrecondition, NotFound, Unavailable
from assay.common.grpc_client import bearer
from assay.common.job_states import STATE_VALUES
from assay.common.nats import EVENTS_STREAM, event_subject
from assay.common.nats_link import NatsLink
from assay.jobs.audit_record import AuditEntry, record
from assay.jobs.cache import JobCache
from assay.jobs.derived_jobs import derived_jobs
from assay.jobs.file_releases import lock_files
from assay.v1 import events_pb2, ingest_service_pb2, ingest_service_pb2_grpc, job_pb2

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

JOBS_DELETED = prometheus_client.Counter(
    "assay_jobs_deleted_total", "Jobs deleted for good, by why: request (DeleteJob), cascade (a file's "
    "erasure) or retention (the sweep).", ["reason"])
ARTIFACTS_DELETED = prometheus_client.Counter(
    "assay_job_artifacts_deleted_total", "Artifacts deleted with their jobs (those no other job references).")
DELETION_SECONDS = prometheus_client.Histogram(
    "assay_job_deletion_seconds", "Duration of one deletion (one job, or a cascade's set of jobs).", ["reason"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class ArtifactEraser(Protocol):
    """Deletes artifacts (ingest files) with the caller's token; a file already gone is not an error."""

    async def delete_files(self, file_ids: Sequence[str], caller_token: str) -> None: ...


class IngestArtifactEraser:
    """``ArtifactEraser`` through ``IngestService.DeleteFile`` (which also has analysis forget the file)."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
        self._timeout = timeout

    async def delete_files(self, file_ids: Sequence[str], caller_token: str) -> None:
        for file_id in file_ids:
            try:
                await self._stub.DeleteFile(ingest_service_pb2.DeleteFileRequest(id=file_id),
                                            metadata=bearer(caller_token), timeout=self._timeout)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    continue  # deleted by an earlier, interrupted deletion
                if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                    raise FailedPrecondition("ARTIFACT_IN_USE", f"artifact {file_id} of the job is an input "
                                             f"of a job that has not finished: {error.details()}") from None
                raise Unavailable("INGEST_UNAVAILABLE", f"could not delete artifact {file_id}: "
                                  f"{error.code().name}; the job stays marked for deletion, repeat the call") from None


@dataclass(frozen=True)
class Marked:
    """Jobs marked for deletion and the artifacts only they reference."""

    job_ids: tuple[uuid.UUID, ...]
    artifacts: tuple[str, ...]


class JobDeletion:
    """The four steps above, for one job (DeleteJob) or a set of them (cascade, retention)."""

    def __init__(self, engine: AsyncEngine, nats: NatsLink, eraser: ArtifactEraser, cache: JobCache) -> None:
        self._engine = engine
        self._nats = nats
        self._eraser = eraser
        self._cache = cache

    async def delete_job(self, tenant: str, job_id: uuid.UUID, token: str) -> None:
        """DeleteJob: NOT_FOUND, FAILED_PRECONDITION JOB_NOT_FINISHED, or the job is gone."""
        with tracer.start_as_current_span("delete job", attributes={"job.id": str(job_id), "tenant": tenant}):
            async with tenant_transaction(self._engine, tenant) as conn:
                state = (await conn.execute(_STATE, {"id": job_id})).scalar_one_or_none()
                if state is None:
                    raise NotFound("JOB_NOT_FOUND", f"job {job_id} not found")
                if state not in _FINISHED:
                    raise FailedPrecondition(
                        "JOB_NOT_FINISHED", f"job {job_id} is {state.lower()}; cancel it or wait for it to end "
                        "before deleting it", metadata={"state": state})
            await self.delete_jobs(tenant, [job_id], token, reason="request")

    async def delete_derived(self, tenant: str, file_id: str, token: str) -> int:
        """An erasure's jobs: every job derived from ``file_id`` (``derived_jobs``), deleted together;
        FAILED_PRECONDITION JOB_NOT_FINISHED while one of them has not finished."""
        with tracer.start_as_current_span("delete derived jobs", attributes={"assay.file.id": file_id,
                                                                             "tenant": tenant}):
            async with tenant_transaction(self._engine, tenant) as conn:
                job_ids = await derived_jobs(conn, file_id)
            return await self.delete_jobs(tenant, job_ids, token, reason="cascade")

    async def delete_jobs(self, tenant: str, job_ids: Sequence[uuid.UUID], token: str, *, reason: str,
                          actor: str | None = None) -> int:
        """Delete these finished jobs of ``tenant`` together (those already gone are skipped); returns
        how many were deleted. FAILED_PRECONDITION when one has not finished or another job still
        reads one of them (inputs.jobs) and is not deleted with them."""
        if not job_ids:
            return 0
        started = time.perf_counter()
        span = trace.get_current_span()
        marked = await self._mark(tenant, job_ids)
        span.set_attribute("assay.delete.jobs", len(marked.job_ids))
        span.set_attribute("assay.delete.artifacts", len(marked.artifacts))
        if marked.artifacts:
            await self._eraser.delete_files(marked.artifacts, token)
        await self._purge_events(tenant, marked.job_ids)
        removed = await self._remove_rows(tenant, marked.job_ids, reason, actor)
        await self._announce(removed)
        await self._purge_events(tenant, marked.job_ids)  # what the relay published meanwhile, and the notices
        deleted = len(removed)
        for job_id in marked.job_ids:
            self._cache.forget(str(job_id))
        JOBS_DELETED.labels(reason=reason).inc(deleted)
        ARTIFACTS_DELETED.inc(len(marked.artifacts))
        DELETION_SECONDS.labels(reason=reason).observe(time.perf_counter() - started)
        return deleted

    async def _mark(self, tenant: str, job_ids: Sequence[uuid.UUID]) -> Marked:
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(_LOCK_JOBS, {"ids": list(job_ids)})).mappings().all()
            unfinished = [row for row in rows if row["state"] not in _FINISHED]
            if unfinished:
                raise FailedPrecondition(
                    "JOB_NOT_FINISHED", f"job {unfinished[0]['id']} is {unfinished[0]['state'].lower()}; "
                    "cancel it or wait for it to end before deleting it",
                    metadata={"job_id": str(unfinished[0]["id"])})
            ids = [row["id"] for row in rows]
            await conn.execute(_MARK, {"ids": ids})
            readers = (await conn.execute(_READERS, {"ids": ids})).all()
            if readers:
                raise FailedPrecondition(
                    "JOB_HAS_DEPENDENTS", f"job {readers[0].job_id} reads the results of job {readers[0].depends_on} "
                    "(inputs.jobs): delete it first, or delete the input file with cascade",
                    metadata={"job_id": str(readers[0].job_id)})
            artifacts = sorted({file_id for row in rows for file_id in _artifact_ids(row["artifacts"])})
            await lock_files(conn, tenant, artifacts)  # against a job being created on one of them
            shared = set((await conn.execute(_SHARED, {"ids": ids, "files": artifacts})).scalars())
            await conn.execute(_DELETE_OUTBOX, {"prefixes": [f"{job_id}.%" for job_id in ids]})
        return Marked(tuple(ids), tuple(file_id for file_id in artifacts if file_id not in shared))

    async def _purge_events(self, tenant: str, job_ids: Iterable[uuid.UUID]) -> None:
        try:
            for job_id in job_ids:
                await self._nats.client().jetstream().purge_stream(
                    EVENTS_STREAM, subject=event_subject(tenant, str(job_id)))
        except Exception as error:
            raise Unavailable("EVENTS_UNAVAILABLE", "could not purge the job's events; it stays marked for "
                              "deletion, repeat the call") from error

    async def _announce(self, removed: Sequence[Any]) -> None:
        """A ``deleted`` event per job, so that every jobs replica's cache and every gateway's job view
        drop it (best effort: they expire it anyway, ``ASSAY_JOB_CACHE_FINISHED_SECONDS``)."""
        try:
            for row in removed:
                job = job_pb2.Job(id=str(row["id"]), tenant_id=row["tenant_id"], state=STATE_VALUES[row["state"]])
                notice = events_pb2.JobEvent(sequence=row["event_seq"] + 1, job=job, deleted=True)
                await self._nats.client().publish(event_subject(job.tenant_id, job.id), notice.SerializeToString())
            await self._nats.client().flush()
        except Exception:
            logger.warning("could not announce deleted jobs; caches expire them", exc_info=True)

    async def _remove_rows(self, tenant: str, job_ids: Sequence[uuid.UUID], reason: str,
                           actor: str | None) -> list[Any]:
        async with tenant_transaction(self._engine, tenant) as conn:
            await conn.execute(_DELETE_DEPENDENCIES, {"ids": list(job_ids)})
            await conn.execute(_DELETE_WEBHOOK_DELIVERIES, {"ids": list(job_ids)})  # their payloads show the job
            deleted = (await conn.execute(_DELETE_JOBS, {"ids": list(job_ids)})).mappings().all()
            pipelines = list({row["pipeline_id"] for row in deleted if row["pipeline_id"] is not None})
            if pipelines:  # a pipeline whose every job is gone goes too (it holds its request id and digest)
                await conn.execute(_DELETE_EMPTY_PIPELINES, {"ids": pipelines})
            for row in deleted:
                await record(conn, AuditEntry(
                    tenant=tenant, action="delete", resource=f"jobs/{row['id']}", job_id=row["id"], actor=actor,
                    details={"reason": reason, "analyzer": row["analyzer"], "state": row["state"]}))
        return list(deleted)


def _artifact_ids(artifacts: Any) -> list[str]:
    return [str(artifact["file_id"]) for artifact in artifacts or () if artifact.get("file_id")]


_FINISHED = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})

_STATE = text("SELECT state FROM jobs.jobs WHERE id = :id")
_LOCK_JOBS = text("SELECT id, state, artifacts FROM jobs.jobs WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
"""Row-level security scopes it to the transaction's tenant; the lock orders the deletion after a
transition or result-cache answer in flight on the same rows."""
_MARK = text("UPDATE jobs.jobs SET deleting_at = COALESCE(deleting_at, now()) WHERE id = ANY(:ids)")
_READERS = text("""
    SELECT d.job_id, d.depends_on FROM jobs.dependencies d
    WHERE d.depends_on = ANY(:ids) AND NOT d.job_id = ANY(:ids) LIMIT 1
""")
_SHARED = text("""
    SELECT f FROM unnest(CAST(:files AS text[])) f WHERE EXISTS (
        SELECT 1 FROM jobs.jobs j
        WHERE j.artifacts @> jsonb_build_array(jsonb_build_object('file_id', f))
          AND NOT j.id = ANY(:ids) AND j.deleting_at IS NULL)
""")
"""Artifacts another job still references (a result-cache answer shares its source's artifacts)."""
_DELETE_OUTBOX = text("DELETE FROM jobs.outbox WHERE msg_id LIKE ANY(:prefixes)")
_DELETE_DEPENDENCIES = text("DELETE FROM jobs.dependencies WHERE job_id = ANY(:ids)")
_DELETE_WEBHOOK_DELIVERIES = text("DELETE FROM jobs.webhook_deliveries WHERE job_id = ANY(:ids)")
_DELETE_JOBS = text("""
    DELETE FROM jobs.jobs WHERE id = ANY(:ids) AND deleting_at IS NOT NULL
    RETURNING id, tenant_id, analyzer, state, pipeline_id, event_seq
""")
_DELETE_EMPTY_PIPELINES = text("""
    DELETE FROM jobs.pipelines p
    WHERE p.id = ANY(:ids) AND NOT EXISTS (SELECT 1 FROM jobs.jobs j WHERE j.pipeline_id = p.id)
""")
