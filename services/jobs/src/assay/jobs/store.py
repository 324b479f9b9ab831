"""Job persistence: every state transition is one conditional UPDATE, with its events in the outbox.

A transition that lost a race matches no row and changes nothing; the caller then reads the job
to explain why (not found, superseded attempt, terminal state).
"""

from __future__ import annotations

import builtins
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from opentelemetry import trace
from sqlalchemy import RowMapping, TextClause, bindparam, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common import paging
from assay.common.db import system_transaction, tenant_transaction
from assay.common.errors import Aborted, AlreadyExists, AssayError, FailedPrecondition, NotFound
from assay.common.job_states import ACTIVE, STATE_NAMES, TERMINAL
from assay.common.nats import event_subject
from assay.common.telemetry import context_from_headers, current_traceparent
from assay.jobs import secret_params
from assay.jobs.audit import AuditQuery, list_events
from assay.jobs.audit_record import AuditEntry, Caller, record, record_many
from assay.jobs.batch_transitions import (
    BY_REQUEST_IDS,
    COMPLETE_BATCH,
    CREATE_BATCH,
    START_BATCH,
    CompleteItem,
    CreateItem,
    StartItem,
    complete_params,
    create_params,
    first_of_each_job,
    start_params,
)
from assay.jobs.cache import JobCache
from assay.jobs.codec import JobRows
from assay.jobs.dependencies import (
    dependency_ends,
    load_dependencies,
    lock_dependencies,
    lock_dependencies_of,
    lock_waiting_dependents,
    record_dependencies,
    settle_waiting,
)
from assay.jobs.dispatch_at_create import DispatchAtCreate
from assay.jobs.dispatcher import hold, hold_many
from assay.jobs.file_releases import (
    lock_files,
    refuse_released,
    refuse_retry_of_released,
    released_among,
    released_refusal,
)
from assay.jobs.metrics import DEPENDENTS_SETTLED
from assay.jobs.quotas import Quotas, Usage
from assay.jobs.result_cache import answerable, cached_answer, insert_answered
from assay.jobs.tables import jobs
from assay.jobs.webhook_events import WebhookOutbox, webhooks_wanted
from assay.jobs.work_messages import OUTBOX_INSERT
from assay.v1 import events_pb2, job_pb2, jobs_service_pb2

tracer = trace.get_tracer(__name__)

Row = RowMapping
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - a batch item
Created = tuple[job_pb2.Job, bool]
"""A CreateJob's job, and whether this call created it (False: its request_id named it)."""


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
    dependencies: tuple[uuid.UUID, ...] = ()
    """``inputs.jobs``: the job is created WAITING and queued once all of them have SUCCEEDED."""
    cache_key: str | None = None
    """Analyzer, params and input content digest (``result_cache``); None: never cached."""
    use_cache: bool = True
    """False: run even when a succeeded job with the same key could answer (``no_cache``)."""
    caller: Caller | None = None
    """Who asked (roles, peer, request id), captured in the CreateJob call for its audit entry, which a
    group commit writes from another task."""


@dataclass(frozen=True)
class PipelineRequest:
    """A CreatePipeline request's idempotency key (None: none given) and the digest of the rest of it."""

    request_id: str | None = None
    request_hash: str | None = None


@dataclass(frozen=True)
class PipelineStep:
    """One validated job of a CreatePipeline request; ``new.dependencies`` holds every job it waits
    for (earlier steps and ``existing`` jobs)."""

    job_id: uuid.UUID
    new: NewJob
    existing: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class ListQuery:
    """A validated ListJobs request."""

    page_size: int
    page_token: str
    state: str | None
    analyzer: str | None
    file_id: str | None
    active_only: bool
    error_code: str | None = None

    def filters(self) -> str:
        base = f"{self.state}|{self.analyzer}|{self.file_id}|{self.active_only}"
        return f"{base}|{self.error_code}" if self.error_code else base


@dataclass(frozen=True)
class RedriveQuery:
    """A validated RedriveJobs filter."""

    state: str
    error_code: str | None
    analyzer: str | None
    limit: int


@dataclass(frozen=True)
class WorkerSlot:
    """A worker process: the slot it holds (one live process at a time) and its own boot id."""

    slot: str
    boot: str


@dataclass(frozen=True)
class StartOutcome:
    """What StartJob decided: run (the job holds the new attempt), skip, or retry after a delay."""

    decision: str
    job: job_pb2.Job
    retry_after: float = 0.0
    dependencies: tuple[job_pb2.Job, ...] = ()
    """On RUN, the jobs in ``inputs.jobs`` (their results and artifacts), for the analyzer to read."""


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

    def __init__(self, engine: AsyncEngine, lease_seconds: float, cache: JobCache | None = None,
                 quotas: Quotas | None = None, dispatch_at_create: DispatchAtCreate | None = None) -> None:
        self._engine = engine
        self._dispatch_at_create = dispatch_at_create
        """Writes new jobs' work messages in their CreateJob batch when a round would at once (None: held)."""
        self._quotas = quotas if quotas is not None else Quotas()
        self._lease = lease_seconds
        self._cache = cache if cache is not None else JobCache(max_bytes=0, ttl_seconds=0)
        self._rows = JobRows()

    @asynccontextmanager
    async def _transaction(self, tenant: str | None) -> AsyncIterator[_Transaction]:
        """A tenant's transaction (``None``: a system one); the jobs it saw are cached once it commits."""
        scope = system_transaction(self._engine) if tenant is None else tenant_transaction(self._engine, tenant)
        try:
            async with scope as conn:
                tx = _Transaction(conn, self._rows)
                yield tx
                await tx.settle_dependents()  # before commit: a job's end and its dependents' release are one
                await tx.webhooks.settle_pipelines()  # a pipeline whose last job ended here: its webhook event
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) in _CONFLICTS:
                # A deadlock between settlements (two jobs' ends meeting in a third one's dependents):
                # PostgreSQL rolled this one back whole, and ABORTED is retried by workers and clients.
                raise Aborted("TRANSACTION_CONFLICT", "the job changed concurrently; retry the call") from None
            raise
        for job, sequence in tx.seen:
            self._cache.put(job, sequence)

    # -- client-facing ------------------------------------------------------------------------

    async def create(self, tenant: str, actor: str, new: NewJob) -> tuple[job_pb2.Job, bool]:
        """Insert a QUEUED job and its work message — or, with dependencies, a WAITING job settled at
        once if they have already finished; a repeated request_id returns the first job."""
        async with self._transaction(tenant) as tx:
            if new.dependencies:
                await lock_dependencies(tx.conn, tenant, "inputs.jobs", new.dependencies)
            await lock_files(tx.conn, tenant, _file_ids(new))
            job = await _insert(tx, tenant, actor, new, uuid.uuid4())
            if job is not None:
                await self._quotas.enforce(tx.conn, tenant, added=1)
                return job, True
            existing = (await tx.conn.execute(
                select(jobs).where(jobs.c.tenant_id == tenant, jobs.c.request_id == new.request_id)
            )).mappings().one()
        return self._repeated(existing, new)

    async def create_pipeline(
        self, tenant: str, actor: str, pipeline_id: uuid.UUID, steps: Sequence[PipelineStep],
        request: PipelineRequest = PipelineRequest(),
    ) -> uuid.UUID:
        """Insert a pipeline and its jobs in one transaction, each WAITING for the earlier steps and
        existing jobs it names (and settled at once against the existing ones). A repeated request_id
        returns the first pipeline's id and inserts nothing; with another request, ALREADY_EXISTS."""
        async with self._transaction(tenant) as tx:
            for index, step in enumerate(steps):
                if step.existing:
                    await lock_dependencies(tx.conn, tenant, f"jobs[{index}].job.inputs.jobs", step.existing)
            await lock_files(tx.conn, tenant, [file_id for step in steps for file_id in _file_ids(step.new)])
            inserted = (await tx.conn.execute(_INSERT_PIPELINE, {
                "id": pipeline_id, "tenant": tenant, "actor": actor, "request_id": request.request_id,
                "request_hash": request.request_hash})).scalar_one_or_none()
            if inserted is None:
                existing = (await tx.conn.execute(_PIPELINE_BY_REQUEST, {
                    "tenant": tenant, "request_id": request.request_id})).mappings().one()
            else:
                for index, step in enumerate(steps):
                    await _insert(tx, tenant, actor, step.new, step.job_id, pipeline=(pipeline_id, index),
                                  field=f"jobs[{index}].job.inputs.file_ids")
                await self._quotas.enforce(tx.conn, tenant, added=len(steps))
                return pipeline_id
        if existing["request_hash"] != request.request_hash:
            raise AlreadyExists("REQUEST_ID_REUSED",
                                f"request_id {request.request_id!r} was already used for a different pipeline",
                                metadata={"pipeline_id": str(existing["id"])})
        return uuid.UUID(str(existing["id"]))

    async def pipeline(self, tenant: str, pipeline_id: uuid.UUID) -> tuple[datetime, list[job_pb2.Job]]:
        """A pipeline's creation time and its jobs in request order; NOT_FOUND for other tenants'."""
        async with self._transaction(tenant) as tx:
            created = (await tx.conn.execute(_LOAD_PIPELINE, {"id": pipeline_id})).scalar_one_or_none()
            rows = (await tx.conn.execute(_PIPELINE_JOBS, {"id": pipeline_id})).mappings().all()
        if created is None:
            raise NotFound("PIPELINE_NOT_FOUND", f"pipeline {pipeline_id} not found")
        return created, [self._rows.job(row) for row in rows]

    async def cancel_pipeline(self, tenant: str, actor: str, pipeline_id: uuid.UUID) -> None:
        """Cancel every WAITING or QUEUED job of the pipeline and ask its RUNNING ones to stop."""
        async with self._transaction(tenant) as tx:
            rows = (await tx.conn.execute(_CANCEL_PIPELINE, {"id": pipeline_id})).mappings().all()
            for row in rows:
                await tx.emit(row)
                await _audit(tx.conn, row, actor, "cancel")
        for row in rows:
            _record_cancel_in_job_trace(row)

    async def usage(self, tenant: str) -> list[Usage]:
        """The tenant's job quotas and how much of each is used."""
        async with self._transaction(tenant) as tx:
            return await self._quotas.usage(tx.conn, tenant, datetime.now(UTC))

    async def get(self, tenant: str, job_id: uuid.UUID) -> job_pb2.Job:
        """One job of ``tenant``; other tenants' jobs are NOT_FOUND. May come from the job cache."""
        found = await self._lookup(tenant, job_id)
        return job_pb2.Job.FromString(found) if isinstance(found, bytes) else found

    async def get_wire(self, tenant: str, job_id: uuid.UUID) -> bytes:
        """``get``'s job as its wire bytes: a cached job as the cache holds it, never parsed."""
        found = await self._lookup(tenant, job_id)
        return found if isinstance(found, bytes) else found.SerializeToString()

    async def _lookup(self, tenant: str, job_id: uuid.UUID) -> bytes | job_pb2.Job:
        """The cached job's wire bytes, or else the job read from the database (NOT_FOUND if none)."""
        cached = self._cache.get_wire(tenant, str(job_id))
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
        if query.error_code:
            stmt = stmt.where(jobs.c.error["code"].astext == query.error_code)
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
        """WAITING or QUEUED → CANCELLED at once; RUNNING → cancel_requested; terminal → FAILED_PRECONDITION."""
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
        """Re-queue a FAILED or CANCELLED job for one more attempt (admin replay of dead letters); a
        job with dependencies goes back to WAITING and is settled at once against them."""
        async with self._transaction(tenant) as tx:
            await lock_dependencies_of(tx.conn, job_id)
            row = (await tx.conn.execute(_RETRY, {"id": job_id, "tenant": tenant})).mappings().one_or_none()
            if row is not None:
                files = [str(file_id) for file_id in row["inputs"].get("file_ids", [])]
                await lock_files(tx.conn, tenant, files)
                await refuse_retry_of_released(tx.conn, tenant, job_id, files)  # rolls the retry back
                waiting = row["state"] == "WAITING"
                job = await tx.emit(row, work=not waiting)
                await _audit(tx.conn, row, actor, "retry")
                if waiting:
                    for settled in await tx.settle([row["id"]]):
                        job = settled
                return job
            current = await _load(tx.conn, tenant, job_id)
        if current is None:
            raise _not_found(job_id)
        if current["deleting_at"] is not None:
            raise FailedPrecondition("JOB_DELETING", f"job {job_id} is being deleted; repeat the DeleteJob call")
        raise FailedPrecondition(
            "JOB_NOT_FAILED",
            f"job {job_id} is {current['state'].lower()}; only failed or cancelled jobs can be retried"
        )

    async def record_redrive(self, tenant: str, request: jobs_service_pb2.RedriveJobsRequest, retried: int,
                             refused: int) -> None:
        """The audit log's summary of a RedriveJobs call (each retry has its own ``retry`` row)."""
        async with self._transaction(tenant) as tx:
            await record(tx.conn, AuditEntry(tenant=tenant, action="redrive", resource="jobs", details={
                "state": STATE_NAMES.get(request.state, "FAILED"), "error_code": request.error_code,
                "analyzer": request.analyzer, "retried": retried, "refused": refused}))

    async def audit_events(
        self, tenant: str, query: AuditQuery,
    ) -> tuple[Sequence[jobs_service_pb2.AuditEvent], str]:
        """A page of the tenant's audit log, newest first (``audit.list_events``)."""
        return await list_events(self._engine, tenant, query)

    async def retry_candidates(self, tenant: str, query: RedriveQuery) -> Sequence[uuid.UUID]:
        """The tenant's ended jobs a redrive would retry, oldest first."""
        stmt = select(jobs.c.id).where(jobs.c.tenant_id == tenant, jobs.c.state == query.state)
        if query.error_code:
            stmt = stmt.where(jobs.c.error["code"].astext == query.error_code)
        if query.analyzer:
            stmt = stmt.where(jobs.c.analyzer == query.analyzer)
        stmt = stmt.order_by(jobs.c.created_at, jobs.c.id).limit(query.limit)
        async with self._transaction(tenant) as tx:
            return list((await tx.conn.execute(stmt)).scalars())

    # -- worker-facing ------------------------------------------------------------------------

    async def start(self, tenant: str, job_id: uuid.UUID, analyzer_version: str,
                    worker: WorkerSlot | None = None) -> StartOutcome:
        """Admit a new attempt when the job is due, or when the previous attempt's lease expired;
        ``worker``: the slot and boot of the worker process, recorded with the attempt."""
        async with self._transaction(tenant) as tx:
            row = (await tx.conn.execute(_START, {
                "id": job_id, "tenant": tenant, "lease": self._lease, "version": analyzer_version,
                "slot": worker.slot if worker else None, "boot": worker.boot if worker else None,
            })).mappings().one_or_none()
            if row is not None:
                dependencies: tuple[job_pb2.Job, ...] = ()
                if (row["inputs"] or {}).get("jobs"):  # most jobs have none: no query for them
                    dependencies = tuple(self._rows.job(dep) for dep in await load_dependencies(tx.conn, job_id))
                job = secret_params.reveal(await tx.emit(row), row["secret_params"])  # the worker's copy only
                return StartOutcome("RUN", job, dependencies=dependencies)
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

    # -- batches (batch_transitions) ---------------------------------------------------------

    async def create_many(self, items: Sequence[CreateItem]) -> Sequence[Created | Exception]:
        """``create`` for jobs without dependencies, each tenant's with one multi-row INSERT (and one
        statement each for their holds, events and audit entries) in one transaction. Each item gets
        ``create``'s answer or its own error: a file released for deletion or a request_id reused for
        another request refuses only that item; anything that fails a tenant's batch whole (a quota
        the batch would exceed, a conflict) sends its items through ``create`` one by one."""
        answers: builtins.list[Created | Exception | None] = [None] * len(items)
        by_tenant: dict[str, builtins.list[int]] = {}
        for index, item in enumerate(items):
            by_tenant.setdefault(item.tenant, []).append(index)
        for tenant, indexes in by_tenant.items():
            group: Sequence[Created | Exception]
            try:
                group = await self._create_group(tenant, [items[index] for index in indexes])
            except _Unsettled as error:  # the commit's outcome is unknown: no second try, the callers retry
                group = [error.cause] * len(indexes)
            except Exception:
                continue
            for index, answer in zip(indexes, group, strict=True):
                answers[index] = answer
        for index, item in enumerate(items):
            if answers[index] is None:
                try:
                    answers[index] = await self.create(item.tenant, item.actor, item.new)
                except Exception as error:
                    answers[index] = error
        return [answer for answer in answers if answer is not None]

    async def _create_group(self, tenant: str, items: Sequence[CreateItem]) -> Sequence[Created | Exception]:
        refused: dict[int, Exception] = {}
        repeats: builtins.list[int] = []
        inserting: builtins.list[tuple[int, uuid.UUID]] = []
        first_of_request: dict[str, int] = {}
        committing = False
        try:
            async with self._transaction(tenant) as tx:
                files = sorted({file_id for item in items for file_id in _file_ids(item.new)})
                await lock_files(tx.conn, tenant, files)
                released = await released_among(tx.conn, tenant, files)
                cached = await answerable(tx.conn, tenant, [item.new for item in items])  # result_cache
                answered: builtins.list[tuple[int, uuid.UUID]] = []
                for position, item in enumerate(items):
                    if item.new.dependencies:
                        raise ValueError("create_many takes jobs without dependencies")
                    refusal = released_refusal(_file_ids(item.new), released)
                    if refusal is not None:
                        refused[position] = refusal
                    elif item.new.request_id is not None and item.new.request_id in first_of_request:
                        repeats.append(position)  # answered by the job its first occurrence creates (or finds)
                    else:
                        if item.new.request_id is not None:
                            first_of_request[item.new.request_id] = position
                        (answered if position in cached else inserting).append((position, uuid.uuid4()))
                rows = (await tx.conn.execute(CREATE_BATCH, create_params(tenant, [
                    (job_id, items[position].actor, items[position].new) for position, job_id in inserting
                ]))).mappings().all()
                by_id = {row["id"]: row for row in rows}
                inserted = [(position, by_id[job_id]) for position, job_id in inserting if job_id in by_id]
                jobs = await tx.emit_batch([row for _, row in inserted],
                                           [items[position].traceparent for position, _ in inserted], work=True,
                                           dispatch=self._dispatch_at_create)
                await _audit_many(tx.conn, [(row, items[position].actor) for position, row in inserted], "create",
                                  [items[position].new.caller for position, _ in inserted])
                created = {position: job for (position, _), job in zip(inserted, jobs, strict=True)}
                for position, job_id in answered:  # SUCCEEDED at once from a succeeded job's result
                    if (job := await _insert(tx, tenant, items[position].actor, items[position].new, job_id)):
                        created[position] = job
                await self._quotas.enforce(tx.conn, tenant, added=len(created))
                taken = [items[position].new.request_id for position, _ in (*inserting, *answered)
                         if position not in created]
                taken += [items[position].new.request_id for position in repeats]
                existing = {} if not taken else {row["request_id"]: row for row in (await tx.conn.execute(
                    BY_REQUEST_IDS, {"tenant": tenant, "request_ids": taken})).mappings()}
                committing = True
        except Exception as error:
            if committing:
                raise _Unsettled(error) from error
            raise
        answers: builtins.list[Created | Exception] = []
        for position, item in enumerate(items):
            if position in refused:
                answers.append(refused[position])
            elif position in created:
                answers.append((created[position], True))
            else:
                try:
                    answers.append(self._repeated(existing[item.new.request_id], item.new))
                except AlreadyExists as error:
                    answers.append(error)
        return answers

    async def start_many(self, items: Sequence[StartItem]) -> Sequence[StartOutcome | Exception]:
        """``start`` for several jobs: the due ones start with one statement (their events with one
        more), each transition in its job's trace (a span per item, child of ``item.traceparent``);
        every other item is decided by ``start`` on its own afterwards, as StartJob decides it."""
        answers: builtins.list[StartOutcome | Exception | None] = [None] * len(items)
        spans = [_item_span(START_SPAN, item.traceparent, item.job_id, item.tenant, len(items)) for item in items]
        traceparents = [_span_traceparent(span, item.traceparent) for span, item in zip(spans, items, strict=True)]
        try:
            first, _repeats = first_of_each_job([item.job_id for item in items])
            async with self._transaction(None) as tx:
                rows = (await tx.conn.execute(START_BATCH, start_params(
                    [items[index] for index in first], self._lease))).mappings().all()
                by_id = {row["id"]: row for row in rows}
                started = [(index, by_id[items[index].job_id]) for index in first if items[index].job_id in by_id]
                jobs = await tx.emit_batch([row for _, row in started], [traceparents[index] for index, _ in started])
                for (index, row), job in zip(started, jobs, strict=True):
                    dependencies: tuple[job_pb2.Job, ...] = ()
                    if (row["inputs"] or {}).get("jobs"):
                        dependencies = tuple(self._rows.job(dep) for dep in await load_dependencies(tx.conn, row["id"]))
                    answers[index] = StartOutcome("RUN", secret_params.reveal(job, row["secret_params"]),
                                                  dependencies=dependencies)
            await _one_by_one(spans, answers, lambda item: self.start(
                item.tenant, item.job_id, item.analyzer_version, item.worker), items)
            return _ended(spans, answers)
        finally:
            for span in spans:
                span.end()

    async def complete_many(self, items: Sequence[CompleteItem]) -> Sequence[job_pb2.Job | Exception]:
        """``complete`` for several attempts: the ones still running under their attempt end with one
        statement (their events with one more), each in its job's trace; every other item (a repeat
        whose first answer was lost, a superseded attempt) is answered by ``complete`` on its own."""
        answers: builtins.list[job_pb2.Job | Exception | None] = [None] * len(items)
        spans = [_item_span(COMPLETE_SPAN, item.traceparent, item.job_id, item.tenant, len(items)) for item in items]
        traceparents = [_span_traceparent(span, item.traceparent) for span, item in zip(spans, items, strict=True)]
        try:
            first, _repeats = first_of_each_job([item.job_id for item in items])
            batch = [items[index] for index in first]
            async with self._transaction(None) as tx:
                rows = (await tx.conn.execute(COMPLETE_BATCH, complete_params(
                    batch, [traceparents[index] for index in first]))).mappings().all()
                by_id = {row["id"]: row for row in rows}
                ended = [(index, by_id[items[index].job_id]) for index in first if items[index].job_id in by_id]
                jobs = await tx.emit_batch([row for _, row in ended], [traceparents[index] for index, _ in ended])
                for (index, _), job in zip(ended, jobs, strict=True):
                    answers[index] = job
            await _one_by_one(spans, answers, lambda item: self.complete(
                item.tenant, item.job_id, item.attempt, item.result, item.artifacts, item.cancelled), items)
            return _ended(spans, answers)
        finally:
            for span in spans:
                span.end()

    def _repeated(self, existing: Row, new: NewJob) -> Created:
        """The job a repeated request_id names (ALREADY_EXISTS when it was another request)."""
        if existing["request_hash"] != new.request_hash:
            raise AlreadyExists(
                "REQUEST_ID_REUSED",
                f"request_id {new.request_id!r} was already used for a different request",
                metadata={"job_id": str(existing["id"])},
            )
        return self._rows.job(existing), False

    # -- system -------------------------------------------------------------------------------

    async def reap_expired_leases(self, grace_seconds: float, limit: int = 100) -> int:
        """Settle RUNNING jobs whose lease expired ``grace_seconds`` ago: re-queue or fail them."""
        return await self._settle_abandoned(_REAP, {"grace": grace_seconds, "limit": limit})

    async def release_worker(self, worker: WorkerSlot, limit: int = 100) -> int:
        """Settle, as the reaper would, every attempt RUNNING under ``worker.slot`` by another boot
        (a process of the slot that is gone: the slot is held by one live process at a time)."""
        released = 0
        while True:
            settled = await self._settle_abandoned(_RELEASE, {"slot": worker.slot, "boot": worker.boot, "limit": limit})
            released += settled
            if settled < limit:
                return released

    async def _settle_abandoned(self, statement: TextClause, params: dict[str, Any]) -> int:
        """Run a statement that settles abandoned attempts; re-queued jobs get a new work message."""
        async with self._transaction(None) as tx:
            rows = (await tx.conn.execute(statement, params)).mappings().all()
            for row in rows:
                await tx.emit(row, work=row["state"] == "QUEUED")
        return len(rows)

    # -- helpers ------------------------------------------------------------------------------

    def _refusal(self, job_id: uuid.UUID, current: Row | None, attempt: int) -> Exception:
        if current is None:
            return _not_found(job_id)
        return _superseded(self._rows.job(current), attempt)


class _Unsettled(Exception):
    """A batch transaction failed while committing: whether it committed is unknown."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Transaction:
    """One transaction's connection and the job states it read or wrote, in order."""

    def __init__(self, conn: AsyncConnection, rows: JobRows) -> None:
        self.conn = conn
        self._rows = rows
        self.seen: list[tuple[job_pb2.Job, int]] = []
        self._finished: list[uuid.UUID] = []
        """Jobs this transaction moved to a terminal state whose waiting dependents are not settled yet."""
        self.webhooks = WebhookOutbox(conn, rows)
        """The webhook deliveries of this transaction's terminal transitions (queued with them)."""

    async def settle(self, waiting: Sequence[uuid.UUID]) -> list[job_pb2.Job]:
        """Queue or fail the (locked) ``waiting`` jobs whose dependencies decide it, with their events."""
        settled = []
        for row in await settle_waiting(self.conn, waiting):
            outcome = row["state"].lower()
            ends = await dependency_ends(self.conn, row["id"])
            span = _span_in_job_trace(row, SETTLE_SPAN, {"assay.settle.outcome": outcome}, _dependency_links(ends))
            with trace.use_span(span, end_on_exit=True):  # its event and work message follow the job's trace
                settled.append(await self.emit(row, work=row["state"] == "QUEUED"))
            DEPENDENTS_SETTLED.labels(outcome=outcome).inc()
        return settled

    async def settle_dependents(self) -> None:
        """Settle the jobs waiting for the jobs this transaction ended, and theirs in turn (a job failed
        for its dependency fails its own dependents)."""
        while self._finished:
            finished, self._finished = self._finished, []
            waiting = await lock_waiting_dependents(self.conn, finished)
            if waiting:
                await self.settle(waiting)

    def read(self, row: Row) -> job_pb2.Job:
        """The job of a row this transaction loaded or updated without a new event."""
        job = self._rows.job(row)
        self.seen.append((job, int(row["event_seq"])))
        return job

    async def emit(self, row: Row, *, work: bool = False) -> job_pb2.Job:
        """Queue the lifecycle event (and a work message) in the same transaction as the change;
        returns the job (built once for the event and the RPC's answer)."""
        job = self._note(row)
        if job.state in TERMINAL:
            if ending := current_traceparent():  # where a dependent's release links to
                await self.conn.execute(_RECORD_END, {"id": row["id"], "traceparent": ending})
            if row.get("secret_params") is not None:  # no attempt will need them again
                await self.conn.execute(_CLEAR_SECRET_PARAMS, {"id": row["id"]})
            await self.webhooks.job_ended(row, job)
        traceparent = current_traceparent() or _job_traceparent(row["trace_id"])
        if work:  # its work message waits for the dispatcher's fair share
            await hold(self.conn, row, traceparent)
        await self.conn.execute(OUTBOX_INSERT, [_event_message(job, row, traceparent)])
        return job

    async def emit_batch(
        self, rows: Sequence[Row], traceparents: Sequence[str], *, work: bool = False,
        dispatch: DispatchAtCreate | None = None,
    ) -> list[job_pb2.Job]:
        """``emit`` for the rows of one batch statement, each event in the trace of its own
        ``traceparents`` entry: one statement for all their events (and one for their work). A
        terminal row's end traceparent and secret params must have been written by that statement.
        With ``work``, ``dispatch`` (one tenant's new jobs) writes the work messages of those a round
        would send at once with the events; the others are held."""
        jobs, messages, work_messages = [], [], []
        for row, given in zip(rows, traceparents, strict=True):
            job = self._note(row)
            jobs.append(job)
            messages.append(_event_message(job, row, given or _job_traceparent(row["trace_id"])))
        if work and rows:
            held = [(row, str(message["traceparent"])) for row, message in zip(rows, messages, strict=True)]
            if dispatch is not None:
                sent = await dispatch.dispatch(self.conn, str(rows[0]["tenant_id"]), [
                    (row, traceparent, job) for (row, traceparent), job in zip(held, jobs, strict=True)])
                sent_ids = {job_id for job_id, _ in sent}
                held = [(row, traceparent) for row, traceparent in held if row["id"] not in sent_ids]
                work_messages = [message for _, message in sent]
            await hold_many(self.conn, held)
        await self.webhooks.jobs_ended([(row, job, str(message["traceparent"]))
                                        for row, job, message in zip(rows, jobs, messages, strict=True)])
        if messages:
            await self.conn.execute(OUTBOX_INSERT, messages + work_messages)
        return jobs

    def _note(self, row: Row) -> job_pb2.Job:
        """The row's job, remembered for the cache (and, once terminal, for its dependents)."""
        job = self._rows.job(row)
        self.seen.append((job, int(row["event_seq"])))
        if job.state in TERMINAL:
            self._finished.append(row["id"])
        return job


def _event_message(job: job_pb2.Job, row: Row, traceparent: str) -> dict[str, Any]:
    """The outbox row of the job's lifecycle event (``Nats-Msg-Id`` job id + event sequence)."""
    event_time = timestamp_pb2.Timestamp()
    event_time.FromDatetime(row["updated_at"])
    event = events_pb2.JobEvent(sequence=row["event_seq"], job=job, event_time=event_time)
    return {
        "subject": event_subject(job.tenant_id, job.id), "msg_id": f"{job.id}.e{row['event_seq']}",
        "payload": event.SerializeToString(), "traceparent": traceparent,
    }


def _file_ids(new: NewJob) -> list[str]:
    return [str(file_id) for file_id in new.inputs.get("file_ids", [])]


async def _insert(
    tx: _Transaction, tenant: str, actor: str, new: NewJob, job_id: uuid.UUID,
    pipeline: tuple[uuid.UUID, int] | None = None, field: str = "inputs.file_ids",
) -> job_pb2.Job | None:
    """Insert a job (QUEUED with its work message, or WAITING for its dependencies, which must be
    locked, and settled at once against them); ``None`` when its request_id is taken. Its input
    files must be locked (``file_releases.lock_files``): one released for deletion refuses the job
    (``field`` names them), rolling the transaction back."""
    params, secret = secret_params.split(new.params)
    values = {
        "id": job_id, "tenant": tenant, "actor": actor, "analyzer": new.analyzer,
        "params": json.dumps(params), "secret_params": None if secret is None else json.dumps(secret),
        "inputs": json.dumps(new.inputs),
        "state": "WAITING" if new.dependencies else "QUEUED",
        "max_attempts": new.max_attempts, "priority": new.priority,
        "request_id": new.request_id, "request_hash": new.request_hash, "trace_id": new.trace_id,
        "pipeline_id": None if pipeline is None else pipeline[0],
        "pipeline_index": None if pipeline is None else pipeline[1], "cache_key": new.cache_key,
    }
    source = await cached_answer(tx.conn, tenant, new)  # answered at once from a succeeded job's result
    if source is not None:
        row = await insert_answered(tx.conn, values, source, new)
    else:
        row = (await tx.conn.execute(_INSERT, values)).mappings().one_or_none()
    if row is None:
        return None
    await refuse_released(tx.conn, tenant, _file_ids(new), field)
    job = await tx.emit(row, work=not new.dependencies and source is None)
    await _audit_many(tx.conn, [(row, actor)], "create", [new.caller])
    if new.dependencies:
        await record_dependencies(tx.conn, tenant, row["id"], new.dependencies)
        for settled in await tx.settle([row["id"]]):
            job = settled
    return job


async def _load(conn: AsyncConnection, tenant: str, job_id: uuid.UUID) -> Row | None:
    result = await conn.execute(_LOAD, {"id": job_id, "tenant": tenant})
    return result.mappings().one_or_none()


async def _audit(conn: AsyncConnection, row: Row, actor: str, action: str) -> None:
    await _audit_many(conn, [(row, actor)], action)


async def _audit_many(conn: AsyncConnection, rows: Sequence[tuple[Row, str]], action: str,
                      callers: Sequence[Caller | None] | None = None) -> None:
    """The audit entries of several jobs (each with its actor, and who asked: ``NewJob.caller`` when
    made outside the call's own task, as a group commit is) in one pipelined statement."""
    await record_many(conn, [AuditEntry(
        tenant=row["tenant_id"], action=action, resource=f"jobs/{row['id']}", job_id=row["id"], actor=actor,
        details={"state": row["state"], "attempt": row["attempt"]},
        caller=None if callers is None else callers[index]) for index, (row, actor) in enumerate(rows)])


CANCEL_SPAN = "cancel job"


def _record_cancel_in_job_trace(row: RowMapping) -> None:
    """A span in the job's own trace for its cancellation, which the CancelJob call (a trace of its
    own, linked) would otherwise leave out of it: ``assay.cancel.outcome`` is ``cancelled`` for a
    queued job, ``requested`` for a running one (its worker stops it at the next heartbeat)."""
    if not row["trace_id"]:
        return
    span = _span_in_job_trace(row, CANCEL_SPAN, {
        "assay.cancel.outcome": "cancelled" if row["state"] == "CANCELLED" else "requested"})
    span.set_status(trace.Status(trace.StatusCode.OK))
    span.end()


START_SPAN = "start job"
COMPLETE_SPAN = "complete job"


def _item_span(name: str, traceparent: str, job_id: uuid.UUID, tenant: str, batch_size: int) -> trace.Span:
    """A batch item's transition as a span in its job's trace (child of the worker's span for the
    job, ``traceparent``), linked to the batch call's span."""
    current = trace.get_current_span().get_span_context()
    parent = context_from_headers({"traceparent": traceparent}) if traceparent else None
    return tracer.start_span(name, context=parent, links=[trace.Link(current)] if current.is_valid else [],
                             attributes={"job.id": str(job_id), "tenant": tenant, "assay.batch.size": batch_size})


def _span_traceparent(span: trace.Span, given: str) -> str:
    """The item span's traceparent (``given``, the worker's span, when spans are not recorded)."""
    with trace.use_span(span):
        return current_traceparent() or given


async def _one_by_one(spans: Sequence[trace.Span], answers: builtins.list[T | Exception | None],
                      single: Callable[[I], Awaitable[T]], items: Sequence[I]) -> None:
    """Answer each item the batch statement did not move with its single transition (in its span)."""
    for index, item in enumerate(items):
        if answers[index] is None:
            with trace.use_span(spans[index]):
                try:
                    answers[index] = await single(item)
                except AssayError as error:
                    answers[index] = error


def _ended(spans: Sequence[trace.Span], answers: Sequence[T | Exception | None]) -> list[T | Exception]:
    """The answers (all given), each item's span's status set from its own."""
    done: list[T | Exception] = []
    for span, answer in zip(spans, answers, strict=True):
        assert answer is not None
        if isinstance(answer, AssayError):
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"{answer.reason}: {answer.message}"))
        else:
            span.set_status(trace.Status(trace.StatusCode.OK))
        done.append(answer)
    return done


SETTLE_SPAN = "settle job"


def _span_in_job_trace(row: RowMapping, name: str, attributes: dict[str, str],
                       more_links: Sequence[trace.Link] = ()) -> trace.Span:
    """A span in the job's own trace (when it has one), linked to the current span (the request or the
    dependency's transition that acted on the job) and to ``more_links`` (every dependency's end)."""
    current = trace.get_current_span().get_span_context()
    own = context_from_headers({"traceparent": _job_traceparent(row["trace_id"])}) if row["trace_id"] else None
    links = list(more_links)
    if current.is_valid and all(link.context.span_id != current.span_id for link in links):
        links.insert(0, trace.Link(current))
    return tracer.start_span(name, context=own, links=links,
                             attributes={"job.id": str(row["id"]), "tenant": row["tenant_id"], **attributes})


def _dependency_links(ends: Sequence[RowMapping]) -> list[trace.Link]:
    """A link to the span that ended each dependency, naming it (``assay.dependency.job_id``)."""
    links = []
    for end in ends:
        context = trace.get_current_span(context_from_headers({"traceparent": end["end_traceparent"]}))
        if context.get_span_context().is_valid:
            links.append(trace.Link(context.get_span_context(), {"assay.dependency.job_id": str(end["id"])}))
    return links


def _job_traceparent(trace_id: str) -> str:
    """A traceparent in the job's own trace, for transitions made outside any request (the reaper)."""
    return f"00-{trace_id}-{secrets.token_hex(8)}-01" if trace_id else ""


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max(0.0, (moment - now) / timedelta(seconds=1))


_CONFLICTS = frozenset({"40P01", "40001"})
"""deadlock_detected, serialization_failure: the transaction was rolled back and may simply be retried."""

_LEASE = "now() + make_interval(secs => :lease)"
_EVENT = "updated_at = now(), event_seq = event_seq + 1"

_INSERT = text("""
    INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, params, secret_params, inputs, state, max_attempts,
                           priority, request_id, request_hash, trace_id, pipeline_id, pipeline_index, cache_key)
    VALUES (:id, :tenant, :actor, :analyzer, CAST(:params AS jsonb), CAST(:secret_params AS jsonb),
            CAST(:inputs AS jsonb), :state,
            :max_attempts, :priority, :request_id, :request_hash, :trace_id, :pipeline_id, :pipeline_index,
            :cache_key)
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING *
""")


def _cancel(where: str) -> TextClause:
    return text(f"""
        UPDATE jobs.jobs SET cancel_requested = true,
            state = CASE WHEN state IN ('QUEUED', 'WAITING') THEN 'CANCELLED' ELSE state END,
            ended_at = CASE WHEN state IN ('QUEUED', 'WAITING') THEN now() ELSE ended_at END,
            next_attempt_at = NULL, {_EVENT}
        WHERE {where}
          AND (state IN ('QUEUED', 'WAITING') OR (state = 'RUNNING' AND NOT cancel_requested))
        RETURNING *
    """)


_CANCEL = _cancel("id = :id AND tenant_id = :tenant")
_CANCEL_PIPELINE = _cancel("pipeline_id = :id")
"""Every unfinished job of a pipeline (the tenant transaction's row-level security scopes it)."""

_RECORD_END = text("UPDATE jobs.jobs SET end_traceparent = :traceparent WHERE id = :id")
_INSERT_PIPELINE = text("""
    INSERT INTO jobs.pipelines (id, tenant_id, created_by, request_id, request_hash)
    VALUES (:id, :tenant, :actor, :request_id, :request_hash)
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING id
""")
_PIPELINE_BY_REQUEST = text(
    "SELECT id, request_hash FROM jobs.pipelines WHERE tenant_id = :tenant AND request_id = :request_id")
_LOAD_PIPELINE = text("SELECT created_at FROM jobs.pipelines WHERE id = :id")
_PIPELINE_JOBS = text("SELECT * FROM jobs.jobs WHERE pipeline_id = :id ORDER BY pipeline_index")

_RETRY = text(f"""
    UPDATE jobs.jobs SET max_attempts = attempt + 1, cancel_requested = false,
        state = CASE WHEN jsonb_array_length(COALESCE(inputs -> 'jobs', '[]')) > 0 THEN 'WAITING'
                     ELSE 'QUEUED' END,
        ended_at = NULL, next_attempt_at = NULL, lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state IN ('FAILED', 'CANCELLED') AND deleting_at IS NULL
    RETURNING *
""")

_CLEAR_SECRET_PARAMS = text("UPDATE jobs.jobs SET secret_params = NULL WHERE id = :id")

_START = text(f"""
    UPDATE jobs.jobs SET state = 'RUNNING', attempt = attempt + 1, progress = 0, result = NULL,
        lease_expires_at = {_LEASE}, started_at = now(), next_attempt_at = NULL,
        analyzer_version = :version, worker_slot = :slot, worker_boot = :boot, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND attempt < max_attempts AND NOT cancel_requested
      AND ((state = 'QUEUED' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
           OR (state = 'RUNNING' AND lease_expires_at < now()))
    RETURNING *
""")



def _expired_error(outcome: str, retryable: bool, code: str = "LEASE_EXPIRED",
                   why: str = "stopped reporting") -> str:
    return (f"jsonb_build_object('code', '{code}', 'retryable', {str(retryable).lower()}, "
            f"'message', 'the worker running attempt ' || attempt || ' {why}; {outcome}')")


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
    UPDATE jobs.jobs j SET state = :final,
        progress = CASE WHEN :final = 'SUCCEEDED' THEN 100 ELSE progress END,
        result = COALESCE(CAST(:result AS jsonb), result), artifacts = CAST(:artifacts AS jsonb),
        error = CASE WHEN :final = 'SUCCEEDED' THEN NULL ELSE error END,
        ended_at = now(), lease_expires_at = NULL, {_EVENT}
    WHERE id = :id AND tenant_id = :tenant AND state = 'RUNNING' AND attempt = :attempt
    RETURNING j.*, {webhooks_wanted("j")}
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

def _settle_abandoned(where: str, code: str, why: str) -> TextClause:
    """Re-queue (or fail, with no attempts left) the RUNNING jobs ``where`` selects, as ``code``."""
    return text(f"""
        UPDATE jobs.jobs SET
            state = CASE WHEN cancel_requested THEN 'CANCELLED'
                         WHEN attempt < max_attempts THEN 'QUEUED' ELSE 'FAILED' END,
            error = CASE WHEN cancel_requested THEN error
                         WHEN attempt < max_attempts THEN {_expired_error("the job was re-queued", True, code, why)}
                         ELSE {_expired_error("no attempts are left", False, code, why)} END,
            ended_at = CASE WHEN NOT cancel_requested AND attempt < max_attempts THEN NULL ELSE now() END,
            lease_expires_at = NULL, {_EVENT}
        WHERE id IN (
            SELECT id FROM jobs.jobs
            WHERE state = 'RUNNING' AND {where}
            ORDER BY lease_expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
        )
        RETURNING *
    """)


_REAP = _settle_abandoned("lease_expires_at < now() - make_interval(secs => :grace)", "LEASE_EXPIRED",
                          "stopped reporting")
_RELEASE = _settle_abandoned("worker_slot = :slot AND worker_boot IS DISTINCT FROM :boot", "WORKER_RESTARTED",
                             "was in a worker process that restarted")

_LOAD = select(jobs).where(jobs.c.id == bindparam("id"), jobs.c.tenant_id == bindparam("tenant"))
"""Built once: SQLAlchemy's compiled cache still needs a cache key per execution, not a new statement."""

