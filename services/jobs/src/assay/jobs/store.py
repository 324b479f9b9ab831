"""Job persistence: every state transition is one conditional UPDATE, with its events in the outbox.

A transition that lost a race matches no row and changes nothing; the caller then reads the job
to explain why (not found, superseded attempt, terminal state).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import timestamp_pb2
from opentelemetry import trace
from sqlalchemy import RowMapping, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common import paging
from assay.common.capabilities import JobCapabilities
from assay.common.db import system_transaction, tenant_transaction
from assay.common.errors import AlreadyExists, FailedPrecondition, NotFound
from assay.common.job_states import ACTIVE, STATE_NAMES
from assay.common.nats import event_subject, work_subject
from assay.common.telemetry import context_from_headers, current_traceparent
from assay.jobs.cache import JobCache
from assay.jobs.codec import JobRows
from assay.jobs.file_releases import lock_files, refuse_released
from assay.jobs.tables import jobs
from assay.v1 import events_pb2, job_pb2

tracer = trace.get_tracer(__name__)

Row = RowMapping


@dataclass(frozen=True)
class NewJob:
    """A validated CreateJob request."""

    analyzer: str
    params: dict[str, Any]
    inputs: dict[str, Any]
    request_id: str | None
    request_hash: str
    priority: int
    max_attempts: int
    trace_id: str


@dataclass(frozen=True)
class ListQuery:
    """A validated ListJobs request."""

    page_size: int
    page_token: str
    state: str | None
    analyzer: str | None
    file_id: str | None
    active_only: bool

    def filters(self) -> str:
        return f"{self.state}|{self.analyzer}|{self.file_id}|{self.active_only}"


@dataclass(frozen=True)
class StartOutcome:
    """What StartJob decided: run (the job holds the new attempt), skip, or retry after a delay."""

    decision: str
    job: job_pb2.Job
    retry_after: float = 0.0


def _not_found(job_id: uuid.UUID) -> NotFound:
    return NotFound("JOB_NOT_FOUND", f"job {job_id} not found")


def _superseded(job: job_pb2.Job, attempt: int) -> FailedPrecondition:
    return FailedPrecondition(
        "ATTEMPT_SUPERSEDED",
        f"attempt {attempt} no longer owns job {job.id} (state {job_pb2.Job.State.Name(job.state)}, "
        f"attempt {job.attempt})",
    )


class JobStore:
    """Reads and transitions jobs; each public method is one short transaction."""

    def __init__(self, engine: AsyncEngine, lease_seconds: float, capabilities: JobCapabilities,
                 cache: JobCache | None = None) -> None:
        self._engine = engine
        self._capabilities = capabilities
        self._lease = lease_seconds
        self._cache = cache if cache is not None else JobCache(capacity=0, ttl_seconds=0)
        self._rows = JobRows()

    @asynccontextmanager
    async def _transaction(self, tenant: str | None) -> AsyncIterator[_Transaction]:
        """A tenant's transaction (``None``: a system one); the jobs it saw are cached once it commits."""
        scope = system_transaction(self._engine) if tenant is None else tenant_transaction(self._engine, tenant)
        async with scope as conn:
            tx = _Transaction(conn, self._rows, self._capabilities)
            yield tx
        for job, sequence in tx.seen:
            self._cache.put(job, sequence)

    # -- client-facing ------------------------------------------------------------------------

    async def create(self, tenant: str, actor: str, new: NewJob) -> tuple[job_pb2.Job, bool]:
        """Insert a QUEUED job and its work message; a repeated request_id returns the first job.

        Its input files are locked against a concurrent release for deletion (``file_releases``)
        and a file already released refuses the job, in the transaction that inserts it."""
        file_ids = [str(file_id) for file_id in new.inputs.get("file_ids", [])]
        async with self._transaction(tenant) as tx:
            await lock_files(tx.conn, tenant, file_ids)
            row = (await tx.conn.execute(_INSERT, {
                "id": uuid.uuid4(), "tenant": tenant, "actor": actor, "analyzer": new.analyzer,
                "params": json.dumps(new.params), "inputs": json.dumps(new.inputs),
                "max_attempts": new.max_attempts, "priority": new.priority,
                "request_id": new.request_id, "request_hash": new.request_hash,
                "trace_id": new.trace_id,
            })).mappings().one_or_none()
            if row is not None:
                await refuse_released(tx.conn, tenant, file_ids)
                job = await tx.emit(row, work=True)
                await _audit(tx.conn, row, actor, "create")
                return job, True
            existing = (await tx.conn.execute(
                select(jobs).where(jobs.c.tenant_id == tenant, jobs.c.request_id == new.request_id)
            )).mappings().one()
        if existing["request_hash"] != new.request_hash:
            raise AlreadyExists(
                "REQUEST_ID_REUSED",
                f"request_id {new.request_id!r} was already used for a different request",
                metadata={"job_id": str(existing["id"])},
            )
        return self._rows.job(existing), False

    async def get(self, tenant: str, job_id: uuid.UUID) -> job_pb2.Job:
        """One job of ``tenant``; other tenants' jobs are NOT_FOUND. May come from the job cache."""
        cached = self._cache.get(tenant, str(job_id))
        trace.get_current_span().set_attribute("assay.job_cache.hit", cached is not None)
        if cached is not None:
            return cached
        async with self._transaction(tenant) as tx:
            row = await _load(tx.conn, tenant, job_id)
            job = None if row is None else tx.read(row)
        if job is None:
            raise _not_found(job_id)
        return job

    async def snapshot(self, tenant: str, job_id: uuid.UUID) -> tuple[job_pb2.Job, int]:
        """The job and the sequence number of its latest event."""
        async with self._transaction(tenant) as tx:
            row = await _load(tx.conn, tenant, job_id)
        if row is None:
            raise _not_found(job_id)
        return self._rows.job(row), int(row["event_seq"])

    async def list(self, tenant: str, query: ListQuery) -> tuple[list[job_pb2.Job], str]:
        """A page of jobs, newest first, and the token of the next page ("" at the end)."""
        cursor = paging.decode(query.page_token, query.filters())
        stmt = select(jobs).where(jobs.c.tenant_id == tenant)
        if query.state:
            stmt = stmt.where(jobs.c.state == query.state)
        if query.analyzer:
            stmt = stmt.where(jobs.c.analyzer == query.analyzer)
        if query.file_id:
            stmt = stmt.where(jobs.c.inputs["file_ids"].contains([query.file_id]))
        if query.active_only:
            stmt = stmt.where(jobs.c.state.in_([STATE_NAMES[state] for state in ACTIVE]))
        if cursor is not None:
            stmt = stmt.where(paging.after(jobs.c.created_at, jobs.c.id, cursor))
        stmt = stmt.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(query.page_size + 1)
        async with self._transaction(tenant) as tx:
            rows = (await tx.conn.execute(stmt)).mappings().all()
        page, more = rows[: query.page_size], len(rows) > query.page_size
        token = ""
        if more:
            last = page[-1]
            token = paging.encode(paging.Cursor(last["created_at"], last["id"]), query.filters())
        return [self._rows.job(r) for r in page], token

    async def cancel(self, tenant: str, actor: str, job_id: uuid.UUID) -> job_pb2.Job:
        """QUEUED → CANCELLED at once; RUNNING → cancel_requested; terminal → FAILED_PRECONDITION."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_CANCEL, {"id": job_id, "tenant": tenant})).mappings().one_or_none()
            if row is not None:
                job = await tx.emit(row)
                await _audit(tx.conn, row, actor, "cancel")
            else:
                current = await _load(tx.conn, tenant, job_id)
        if row is not None:
            _record_cancel_in_job_trace(row)  # once committed
            return job
        if current is None:
            raise _not_found(job_id)
        job = self._rows.job(current)
        if current["state"] == "RUNNING":
            return job  # cancellation was already requested
        raise FailedPrecondition(
            "JOB_TERMINAL", f"job {job_id} is already {current['state'].lower()} and cannot be cancelled"
        )

    async def retry(self, tenant: str, actor: str, job_id: uuid.UUID) -> job_pb2.Job:
        """Re-queue a FAILED job for one more attempt (admin replay of dead letters)."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_RETRY, {"id": job_id, "tenant": tenant})).mappings().one_or_none()
            if row is not None:
                job = await tx.emit(row, work=True)
                await _audit(tx.conn, row, actor, "retry")
                return job
            current = await _load(tx.conn, tenant, job_id)
        if current is None:
            raise _not_found(job_id)
        raise FailedPrecondition(
            "JOB_NOT_FAILED", f"job {job_id} is {current['state'].lower()}; only failed jobs can be retried"
        )

    # -- worker-facing ------------------------------------------------------------------------

    async def start(self, tenant: str, job_id: uuid.UUID, analyzer_version: str) -> StartOutcome:
        """Admit a new attempt when the job is due, or when the previous attempt's lease expired."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_START, {
                "id": job_id, "tenant": tenant, "lease": self._lease, "version": analyzer_version,
            })).mappings().one_or_none()
            if row is not None:
                return StartOutcome("RUN", await tx.emit(row))
            settled = (await tx.conn.execute(
                _SETTLE_EXPIRED, {"id": job_id, "tenant": tenant})).mappings().one_or_none()
            if settled is not None:
                return StartOutcome("SKIP", await tx.emit(settled))
            current = await _load(tx.conn, tenant, job_id)
        if current is None:
            raise _not_found(job_id)
        job = self._rows.job(current)
        now = datetime.now(UTC)
        if current["state"] == "QUEUED" and current["next_attempt_at"] is not None:
            return StartOutcome("RETRY_LATER", job, _seconds_until(current["next_attempt_at"], now))
        if current["state"] == "RUNNING" and current["lease_expires_at"] is not None:
            return StartOutcome("RETRY_LATER", job, _seconds_until(current["lease_expires_at"], now) + 1)
        return StartOutcome("SKIP", job)

    async def heartbeat(
        self, tenant: str, job_id: uuid.UUID, attempt: int, progress: int,
        partial: dict[str, Any] | None,
    ) -> job_pb2.Job:
        """Extend the lease and record progress; a superseded attempt is refused."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_HEARTBEAT, {
                "id": job_id, "tenant": tenant, "attempt": attempt, "progress": progress,
                "lease": self._lease, "partial": None if partial is None else json.dumps(partial),
            })).mappings().one_or_none()
            if row is not None:
                if row["progressed"]:
                    return await tx.emit(row)
                return tx.read(row)
            current = await _load(tx.conn, tenant, job_id)
        raise self._refusal(job_id, current, attempt)

    async def complete(
        self, tenant: str, job_id: uuid.UUID, attempt: int, result: dict[str, Any] | None,
        artifacts: Sequence[dict[str, Any]], cancelled: bool,
    ) -> job_pb2.Job:
        """End the attempt SUCCEEDED (or CANCELLED); repeating the same call returns the same job."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_COMPLETE, {
                "id": job_id, "tenant": tenant, "attempt": attempt,
                "final": "CANCELLED" if cancelled else "SUCCEEDED",
                "result": None if result is None else json.dumps(result),
                "artifacts": json.dumps(list(artifacts)),
            })).mappings().one_or_none()
            if row is not None:
                return await tx.emit(row)
            current = await _load(tx.conn, tenant, job_id)
        if current is not None and current["attempt"] == attempt and current["state"] in ("SUCCEEDED", "CANCELLED"):
            return self._rows.job(current)  # a retried call whose first answer was lost
        raise self._refusal(job_id, current, attempt)

    async def fail(
        self, tenant: str, job_id: uuid.UUID, attempt: int, error: dict[str, Any],
        retryable: bool, delay_seconds: float,
    ) -> job_pb2.Job:
        """Record a failed attempt: QUEUED after ``delay_seconds`` if retryable with attempts left."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_FAIL, {
                "id": job_id, "tenant": tenant, "attempt": attempt, "retryable": retryable,
                "delay": delay_seconds, "error": json.dumps(error),
            })).mappings().one_or_none()
            if row is not None:
                return await tx.emit(row)
            current = await _load(tx.conn, tenant, job_id)
        if current is not None and current["attempt"] == attempt and current["state"] != "RUNNING" \
                and current["error"] == error:
            return self._rows.job(current)  # a retried call whose first answer was lost
        raise self._refusal(job_id, current, attempt)

    # -- system -------------------------------------------------------------------------------

    async def reap_expired_leases(self, grace_seconds: float, limit: int = 100) -> int:
        """Settle RUNNING jobs whose lease expired ``grace_seconds`` ago: re-queue or fail them."""
        async with self._transaction(None) as tx:
            rows = (await tx.conn.execute(_REAP, {"grace": grace_seconds, "limit": limit})).mappings().all()
            for row in rows:
                await tx.emit(row, work=row["state"] == "QUEUED")
        return len(rows)

    # -- helpers ------------------------------------------------------------------------------

    def _refusal(self, job_id: uuid.UUID, current: Row | None, attempt: int) -> Exception:
        if current is None:
            return _not_found(job_id)
        return _superseded(self._rows.job(current), attempt)


class _Transaction:
    """One transaction's connection and the job states it read or wrote, in order."""

    def __init__(self, conn: AsyncConnection, rows: JobRows, capabilities: JobCapabilities) -> None:
        self.conn = conn
        self._rows = rows
        self._capabilities = capabilities
        self.seen: list[tuple[job_pb2.Job, int]] = []

    def read(self, row: Row) -> job_pb2.Job:
        """The job of a row this transaction loaded or updated without a new event."""
        job = self._rows.job(row)
        self.seen.append((job, int(row["event_seq"])))
        return job

    async def emit(self, row: Row, *, work: bool = False) -> job_pb2.Job:
        """Queue the lifecycle event (and a work message) in the same transaction as the change;
        returns the job (built once for the event and the RPC's answer)."""
        job = self._rows.job(row)
        self.seen.append((job, int(row["event_seq"])))
        event_time = timestamp_pb2.Timestamp()
        event_time.FromDatetime(row["updated_at"])
        event = events_pb2.JobEvent(sequence=row["event_seq"], job=job, event_time=event_time)
        traceparent = current_traceparent() or _job_traceparent(row["trace_id"])
        messages = [{
            "subject": event_subject(job.tenant_id, job.id), "msg_id": f"{job.id}.e{row['event_seq']}",
            "payload": event.SerializeToString(), "traceparent": traceparent,
        }]
        if work:
            next_attempt = job.attempt + 1
            message = events_pb2.WorkMessage(job_id=job.id, tenant_id=job.tenant_id, attempt=next_attempt,
                                             capability=self._capabilities.issue(job.tenant_id, job.id))
            messages.append({
                "subject": work_subject(job.analyzer, job.priority), "msg_id": f"{job.id}.{next_attempt}",
                "payload": message.SerializeToString(), "traceparent": traceparent,
            })
        await self.conn.execute(_OUTBOX_INSERT, messages)
        return job


async def _load(conn: AsyncConnection, tenant: str, job_id: uuid.UUID) -> Row | None:
    result = await conn.execute(_LOAD, {"id": job_id, "tenant": tenant})
    return result.mappings().one_or_none()


async def _audit(conn: AsyncConnection, row: Row, actor: str, action: str) -> None:
    await conn.execute(_AUDIT_INSERT, {
        "tenant": row["tenant_id"], "actor": actor, "action": action, "job_id": row["id"],
        "details": json.dumps({"state": row["state"], "attempt": row["attempt"]}),
    })


CANCEL_SPAN = "cancel job"


def _record_cancel_in_job_trace(row: RowMapping) -> None:
    """A span in the job's own trace for its cancellation, which the CancelJob call (a trace of its
    own, linked) would otherwise leave out of it: ``assay.cancel.outcome`` is ``cancelled`` for a
    queued job, ``requested`` for a running one (its worker stops it at the next heartbeat)."""
    if not row["trace_id"]:
        return
    request = trace.get_current_span().get_span_context()
    span = tracer.start_span(
        CANCEL_SPAN, context=context_from_headers({"traceparent": _job_traceparent(row["trace_id"])}),
        links=[trace.Link(request)] if request.is_valid else [],
        attributes={"job.id": str(row["id"]), "tenant": row["tenant_id"],
                    "assay.cancel.outcome": "cancelled" if row["state"] == "CANCELLED" else "requested"})
    span.set_status(trace.Status(trace.StatusCode.OK))
    span.end()


def _job_traceparent(trace_id: str) -> str:
    """A traceparent in the job's own trace, for transitions made outside any request (the reaper)."""
    return f"00-{trace_id}-{secrets.token_hex(8)}-01" if trace_id else ""


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max(0.0, (moment - now) / timedelta(seconds=1))


_LEASE = "now() + make_interval(secs => :lease)"
_EVENT = "updated_at = now(), event_seq = event_seq + 1"

_INSERT = text("""
    INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, params, inputs, state, max_attempts,
                           priority, request_id, request_hash, trace_id)
    VALUES (:id, :tenant, :actor, :analyzer, CAST(:params AS jsonb), CAST(:inputs AS jsonb), 'QUEUED',
            :max_attempts, :priority, :request_id, :request_hash, :trace_id)
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING *
""")

_CANCEL = text(f"""
    UPDATE jobs.jobs SET cancel_requested = true,
        state = CASE WHEN state = 'QUEUED' THEN 'CANCELLED' ELSE state END,
        ended_at = CASE WHEN state = 'QUEUED' THEN now() ELSE ended_at END,
        next_attempt_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant
      AND (state = 'QUEUED' OR (state = 'RUNNING' AND NOT cancel_requested))
    RETURNING *
""")

_RETRY = text(f"""
    UPDATE jobs.jobs SET state = 'QUEUED', max_attempts = attempt + 1, cancel_requested = false,
        ended_at = NULL, next_attempt_at = NULL, lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state = 'FAILED'
    RETURNING *
""")

_START = text(f"""
    UPDATE jobs.jobs SET state = 'RUNNING', attempt = attempt + 1, progress = 0, result = NULL,
        lease_expires_at = {_LEASE}, started_at = now(), next_attempt_at = NULL,
        analyzer_version = :version, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND attempt < max_attempts AND NOT cancel_requested
      AND ((state = 'QUEUED' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
           OR (state = 'RUNNING' AND lease_expires_at < now()))
    RETURNING *
""")



def _expired_error(outcome: str, retryable: bool) -> str:
    return (f"jsonb_build_object('code', 'LEASE_EXPIRED', 'retryable', {str(retryable).lower()}, "
            f"'message', 'the worker running attempt ' || attempt || ' stopped reporting; {outcome}')")


_SETTLE_EXPIRED = text(f"""
    UPDATE jobs.jobs SET state = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE 'FAILED' END,
        error = CASE WHEN cancel_requested THEN error
                     ELSE {_expired_error("no attempts are left", False)} END,
        ended_at = now(), lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state = 'RUNNING' AND lease_expires_at < now()
      AND (cancel_requested OR attempt >= max_attempts)
    RETURNING *
""")

_HEARTBEAT = text(f"""
    WITH prev AS (
        SELECT id, progress FROM jobs.jobs
        WHERE id = :id AND tenant_id = :tenant AND state = 'RUNNING' AND attempt = :attempt
        FOR UPDATE
    )
    UPDATE jobs.jobs j SET lease_expires_at = {_LEASE}, progress = GREATEST(j.progress, :progress),
        result = COALESCE(CAST(:partial AS jsonb), j.result), updated_at = now(),
        event_seq = j.event_seq + CASE WHEN :progress > prev.progress THEN 1 ELSE 0 END
    FROM prev WHERE j.id = prev.id
    RETURNING j.*, (:progress > prev.progress) AS progressed
""")

_COMPLETE = text(f"""
    UPDATE jobs.jobs SET state = :final,
        progress = CASE WHEN :final = 'SUCCEEDED' THEN 100 ELSE progress END,
        result = COALESCE(CAST(:result AS jsonb), result), artifacts = CAST(:artifacts AS jsonb),
        error = CASE WHEN :final = 'SUCCEEDED' THEN NULL ELSE error END,
        ended_at = now(), lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state = 'RUNNING' AND attempt = :attempt
    RETURNING *
""")

_WILL_RETRY = "(NOT cancel_requested AND :retryable AND attempt < max_attempts)"

_FAIL = text(f"""
    UPDATE jobs.jobs SET
        state = CASE WHEN cancel_requested THEN 'CANCELLED'
                     WHEN {_WILL_RETRY} THEN 'QUEUED' ELSE 'FAILED' END,
        next_attempt_at = CASE WHEN {_WILL_RETRY} THEN now() + make_interval(secs => :delay) END,
        ended_at = CASE WHEN {_WILL_RETRY} THEN NULL ELSE now() END,
        error = CAST(:error AS jsonb), lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state = 'RUNNING' AND attempt = :attempt
    RETURNING *
""")

_REAP = text(f"""
    UPDATE jobs.jobs SET
        state = CASE WHEN cancel_requested THEN 'CANCELLED'
                     WHEN attempt < max_attempts THEN 'QUEUED' ELSE 'FAILED' END,
        error = CASE WHEN cancel_requested THEN error
                     WHEN attempt < max_attempts THEN {_expired_error("the job was re-queued", True)}
                     ELSE {_expired_error("no attempts are left", False)} END,
        ended_at = CASE WHEN NOT cancel_requested AND attempt < max_attempts THEN NULL ELSE now() END,
        lease_expires_at = NULL, {_EVENT}
    WHERE id IN (
        SELECT id FROM jobs.jobs
        WHERE state = 'RUNNING' AND lease_expires_at < now() - make_interval(secs => :grace)
        ORDER BY lease_expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING *
""")

_LOAD = select(jobs).where(jobs.c.id == bindparam("id"), jobs.c.tenant_id == bindparam("tenant"))
"""Built once: SQLAlchemy's compiled cache still needs a cache key per execution, not a new statement."""

_OUTBOX_INSERT = text("""
    INSERT INTO jobs.outbox (subject, msg_id, payload, traceparent)
    VALUES (:subject, :msg_id, :payload, :traceparent)
""")

_AUDIT_INSERT = text("""
    INSERT INTO jobs.audit_log (tenant_id, actor, action, job_id, details)
    VALUES (:tenant, :actor, :action, :job_id, CAST(:details AS jsonb))
""")
