"""One work message, start to settle: StartJob, inputs, the child process, heartbeats, outcome, ack.

Acknowledgement rules (the attempt number in PostgreSQL fences everything):

* SKIP → ack. RETRY_LATER → ``nak(delay=retry_delay)`` (never a bare nak: it would burn
  MaxDeliver in milliseconds). Unknown job or malformed message → term.
* success / cancellation / input error → CompleteJob or FailJob, then ack.
* a dependency unreachable (jobs for StartJob/CompleteJob/FailJob, ingest or S3 for inputs and
  artifacts) is not the job's failure: the call is retried with backoff and jitter (message kept
  in progress, lease heartbeated) for up to the wait budget, and its circuit breaker pauses
  fetching; only past the budget does it count as below.
* retryable failure (analyzer exception, crashed child, storage trouble) → FailJob(retryable);
  re-queued → ``nak(delay=retry_delay)``; FAILED → ack.
* on the message's last delivery (num_delivered >= MaxDeliver) a retryable failure is reported
  with ``dead_lettered=True`` (job FAILED, code DEAD_LETTERED) and the message is nak'ed once more,
  which JetStream refuses to redeliver: it stays in the stream for inspection and replay.
* the lease was lost (Heartbeat/Complete refused as superseded) → the child is killed and the
  message acked: whoever owns the job now settles it.
* worker shutdown with the attempt still running → child killed, FailJob(retryable,
  WORKER_SHUTDOWN) and ``nak(delay)`` so another worker takes over without waiting for the lease.

Small attempts (the work message says ``small``, the analyzer's spec ``batch_inline_text``) come
from a fetch loop of their own and run in ``small_batches`` (several per child exchange); every
rule above holds for each of them. A message of such an analyzer that is not small waits (kept in
progress) for one of the ordinary slots before StartJob.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
from nats.aio.msg import Msg
from opentelemetry import trace

from assay.analysis.child import ChildPayload
from assay.analysis.consumer import Slots
from assay.analysis.executor import Execution, Executor, Outcome
from assay.analysis.files import (
    ArtifactSink,
    ArtifactsUnavailable,
    DependencyDown,
    InputsMissing,
    InputStore,
    InputsUnavailable,
)
from assay.analysis.jobs_client import TRANSIENT, JobsClient, is_superseded, reason_of
from assay.analysis.metrics import ATTEMPT_DURATION, ATTEMPTS, DEAD_LETTERS, IN_FLIGHT, OCR_PAGES, OCR_SECONDS
from assay.analysis.plugin import AnalyzerSpec, InputDocument
from assay.analysis.registry import Registry
from assay.analysis.resilience import DEFAULT_BACKOFF, Backoff, Breakers, retry_while_unreachable
from assay.analysis.result_attributes import ocr_summary, result_attributes
from assay.analysis.small_batches import SmallBatches
from assay.common.logging import bind_log_context, log_context
from assay.common.nats import work_destination
from assay.common.telemetry import context_from_headers
from assay.v1 import events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as pb

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("assay.analysis")
CANCEL_REQUESTED_EVENT = "assay.cancel_requested"
"""Added to a delivery's ``process`` span when a heartbeat learns the job was asked to cancel."""

START = pb.StartJobResponse
T = TypeVar("T")
FILE_DEPENDENCIES = ("ingest", "s3")
"""The dependencies an attempt waits for (jobs has its own breaker, in the JobsClient)."""


@dataclass(frozen=True)
class RuntimeOptions:
    """The knobs of one attempt."""

    worker_id: str
    max_deliver: int
    worker_slot: str = ""
    """The slot this process holds (empty: none), recorded with each attempt it starts."""
    worker_boot: str = ""
    """This process's boot id within its slot."""
    heartbeat_seconds: float = 5.0
    time_limit_override_seconds: float = 0.0
    work_dir: str | None = None
    dependency_wait_seconds: float = 300.0
    """How long ingest/S3 unreachability is waited out (lease held) before it spends an attempt."""
    backoff: Backoff = DEFAULT_BACKOFF


class _Running:
    """The attempt's analyzer process once started (the heartbeat runs before it, while inputs load)."""

    execution: Execution | None = None


def _seconds(duration: object) -> float:
    return float(duration.ToTimedelta().total_seconds())  # type: ignore[attr-defined]


async def _remove_work_dir(work_dir: Path) -> None:
    """Delete the attempt's directory; an empty one (inline text, no artifacts) without a thread hop."""
    try:
        os.rmdir(work_dir)  # one syscall on an empty directory: cheaper than a thread hop
    except OSError:
        await asyncio.to_thread(shutil.rmtree, work_dir, True)


async def _keep_in_progress(msg: Msg) -> None:
    """Reset the message's AckWait while StartJob waits for jobs to be reachable again."""
    try:
        await msg.in_progress()
    except Exception as exc:
        logger.warning("in_progress failed", extra={"error": repr(exc)})


async def _nak(msg: Msg, delay: float | None) -> None:
    await msg.nak(delay=max(delay, 0.05) if delay is not None else None)


class AttemptRunner:
    """Handles work messages; safe to call concurrently (one call per message)."""

    def __init__(self, registry: Registry, executor: Executor, jobs: JobsClient, inputs: InputStore,
                 artifacts: ArtifactSink, options: RuntimeOptions, breakers: Breakers | None = None, *,
                 small: SmallBatches | None = None, child_slots: Slots | None = None) -> None:
        """``small``: where small attempts run (None: like any other); ``child_slots``: the ordinary
        slots, taken before StartJob by the attempts of small-work analyzers whose work message does
        not say they are small."""
        self._small = small
        self._child_slots = child_slots
        self._breakers = breakers if breakers is not None else Breakers(FILE_DEPENDENCIES)
        self._registry = registry
        self._executor = executor
        self._jobs = jobs
        self._inputs = inputs
        self._artifacts = artifacts
        self._options = options

    async def handle(self, analyzer: str, msg: Msg, release: Callable[[], None] = lambda: None) -> None:
        """Process one delivery of a work message; always acks, naks or terms it.

        ``release`` is called as soon as the attempt's analyzer process is free again, so the
        worker can fetch and start the next attempt while this one reports its outcome.
        """
        try:
            work = events_pb2.WorkMessage.FromString(msg.data)
            if not work.job_id or not work.tenant_id:
                raise ValueError("job_id and tenant_id are required")
        except Exception as exc:
            logger.error("malformed work message dropped", extra={"subject": msg.subject, "error": repr(exc)})
            ATTEMPTS.labels(analyzer=analyzer, outcome="malformed").inc()
            await msg.term()
            return
        token = log_context.set(None)
        bind_log_context(job_id=work.job_id, tenant=work.tenant_id, analyzer=analyzer)
        try:
            with tracer.start_as_current_span(
                f"process {work_destination(analyzer)}", context=context_from_headers(msg.headers),
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "nats", "messaging.destination.name": msg.subject,
                            "assay.job_id": work.job_id, "assay.attempt": work.attempt},
            ) as span:
                span.set_status(await self._handle(analyzer, msg, work, release))
        finally:
            log_context.reset(token)

    async def _handle(self, analyzer: str, msg: Msg, work: events_pb2.WorkMessage,
                      release: Callable[[], None]) -> trace.Status:
        """Settle one delivery; the returned status is its ``process`` span's."""
        entry = self._registry.get(analyzer)
        if entry is None:
            logger.error("no analyzer registered for work message")
            await _nak(msg, 30.0)
            return trace.Status(trace.StatusCode.ERROR, f"no analyzer {analyzer!r} registered")
        small_loop = self._small is not None and entry.spec.batch_inline_text  # fetched by the small slots' loop
        if small_loop and not work.small:
            # Not small work (a file, a dependency; or from a jobs service that does not say): it is
            # started only once one of the ordinary slots is its, so a worker never runs more such
            # attempts than those slots, whichever loop fetched them.
            async with self._ordinary_slot(msg) as taken:
                if not taken:  # the worker is stopping: leave the job to another worker soon
                    await _nak(msg, 1.0)
                    return trace.Status(trace.StatusCode.OK)
                return await self._start_and_run(analyzer, entry.spec, msg, work, release, small=False)
        return await self._start_and_run(analyzer, entry.spec, msg, work, release, small=small_loop)

    async def _start_and_run(self, analyzer: str, spec: AnalyzerSpec, msg: Msg, work: events_pb2.WorkMessage,
                             release: Callable[[], None], small: bool) -> trace.Status:
        delivered = msg.metadata.num_delivered or 1
        try:
            started = await self._jobs.start(pb.StartJobRequest(
                id=work.job_id, tenant_id=work.tenant_id, attempt=work.attempt,
                analyzer_version=spec.version, worker_id=self._options.worker_id,
                capability=work.capability, worker_slot=self._options.worker_slot,
                worker_boot=self._options.worker_boot if self._options.worker_slot else ""),
                keepalive=functools.partial(_keep_in_progress, msg))
        except grpc.aio.AioRpcError as exc:
            await self._start_refused(analyzer, msg, exc, delivered)
            return trace.Status(trace.StatusCode.ERROR, f"StartJob refused: {exc.code().name}")
        if started.decision == START.DECISION_SKIP:
            ATTEMPTS.labels(analyzer=analyzer, outcome="skipped").inc()
            await msg.ack()
            return trace.Status(trace.StatusCode.OK)
        if started.decision == START.DECISION_RETRY_LATER:
            ATTEMPTS.labels(analyzer=analyzer, outcome="retry_later").inc()
            await _nak(msg, _seconds(started.retry_delay))
            return trace.Status(trace.StatusCode.OK)
        last_delivery = delivered >= self._options.max_deliver
        capability = started.capability or work.capability  # fresh when the message's had expired
        return _span_status(await self._run(analyzer, msg, started, capability, last_delivery, release,
                                            small and spec.is_small(started.job.inputs)))

    async def _start_refused(self, analyzer: str, msg: Msg, exc: grpc.aio.AioRpcError, delivered: int) -> None:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            logger.warning("work message for an unknown job dropped", extra={"reason": reason_of(exc)})
            ATTEMPTS.labels(analyzer=analyzer, outcome="unknown_job").inc()
            await msg.term()
            return
        delay = 10.0 if exc.code() not in TRANSIENT else min(30.0, 0.5 * 2 ** min(delivered, 6))
        logger.warning("StartJob failed; redelivering later", extra={"code": exc.code().name, "delay": delay})
        ATTEMPTS.labels(analyzer=analyzer, outcome="start_failed").inc()
        await _nak(msg, delay)

    async def _run(self, analyzer: str, msg: Msg, started: pb.StartJobResponse, capability: str,
                   last_delivery: bool, release: Callable[[], None], small: bool = False) -> Outcome:
        """``capability``: the work message's (or StartJob's fresh one), passed on to every call about the job."""
        job = started.job
        entry = self._registry.get(analyzer)
        assert entry is not None
        bind_log_context(attempt=str(job.attempt))
        began = time.monotonic()
        IN_FLIGHT.labels(analyzer=analyzer).inc()
        work_dir = Path(tempfile.mkdtemp(prefix="assay-job-", dir=self._options.work_dir))
        execution: Execution | None = None
        running = _Running()
        lost = asyncio.Event()
        heartbeat: asyncio.Task[None] | None = None
        outcome = Outcome("failed", "WORKER_SHUTDOWN", "the worker stopped during the attempt", retryable=True)
        try:
            # Heartbeats from here on: waiting out an ingest/S3 outage keeps the lease (and the attempt).
            heartbeat = asyncio.create_task(self._heartbeat(msg, job, capability, running, lost))
            try:
                inputs = await self._waiting_out_outages("ResolveInputs", lambda: self._inputs.fetch(
                    job.tenant_id, list(job.inputs.file_ids), work_dir, job_id=job.id, capability=capability),
                    reached=FILE_DEPENDENCIES if job.inputs.file_ids else ())
                dependency_files = await self._waiting_out_outages(
                    "ResolveInputs",
                    lambda: self._fetch_dependency_files(job, started.dependencies, work_dir, capability),
                    reached=FILE_DEPENDENCIES if started.dependencies else ())
                if lost.is_set():
                    raise InputsUnavailable("the attempt lost its lease while waiting for its inputs")
            except InputsMissing as exc:
                outcome = Outcome("input_error", "INPUT_NOT_FOUND", str(exc))
            except (InputsUnavailable, OSError) as exc:
                outcome = Outcome("failed", "INPUT_UNAVAILABLE", str(exc), retryable=True)
            else:
                limit = self._options.time_limit_override_seconds or entry.spec.time_limit_seconds
                payload = ChildPayload(
                    ref=entry.ref, job_id=job.id, tenant_id=job.tenant_id, attempt=job.attempt,
                    params=job.params.SerializeToString(), text=job.inputs.text, inputs=tuple(inputs),
                    work_dir=str(work_dir), time_limit_seconds=limit,
                    dependencies=tuple(dep.SerializeToString() for dep in started.dependencies),
                    dependency_files=tuple(dependency_files))
                if small and self._small is not None:
                    outcome = await self._analyze(entry.spec, job, self._small.run(payload, job.priority),
                                                  batched=True)
                else:
                    execution = await self._executor.start(payload)
                    running.execution = execution
                    outcome = await self._analyze(entry.spec, job, execution.wait())
                release()  # the analyzer process is free: the next attempt may start meanwhile
                running.execution = None  # heartbeats go on while the outcome is reported, the run is over
            if lost.is_set():
                heartbeat.cancel()
                outcome = Outcome("failed", "ATTEMPT_SUPERSEDED", "the attempt lost its lease")
                await msg.ack()
            else:
                try:  # the lease stays held while CompleteJob/FailJob wait out an outage of jobs
                    await self._settle(analyzer, msg, job, capability, outcome, last_delivery)
                finally:
                    heartbeat.cancel()
        except asyncio.CancelledError:
            # Worker shutdown past its grace period: hand the job back now rather than at lease expiry.
            if execution is not None:
                execution.abort()
            if heartbeat is not None:
                heartbeat.cancel()
            await asyncio.shield(self._settle(analyzer, msg, job, capability, Outcome(
                "failed", "WORKER_SHUTDOWN", "the worker stopped during the attempt", retryable=True), False))
            raise
        finally:
            IN_FLIGHT.labels(analyzer=analyzer).dec()
            ATTEMPT_DURATION.labels(analyzer=analyzer, outcome=outcome.label).observe(time.monotonic() - began)
            await _remove_work_dir(work_dir)
        return outcome

    async def _fetch_dependency_files(self, job: job_pb2.Job, dependencies: Sequence[job_pb2.Job],
                                      work_dir: Path, capability: str) -> list[InputDocument]:
        """The dependencies' artifacts on local disk (the job's capability lists them)."""
        ids = [artifact.file_id for dependency in dependencies for artifact in dependency.artifacts]
        if not ids:
            return []
        trace.get_current_span().set_attribute("assay.dependency_files", len(ids))
        dest = work_dir / "dependencies"
        dest.mkdir(exist_ok=True)  # a retry after an outage fetches again into the same place
        return await self._inputs.fetch(job.tenant_id, ids, dest, job_id=job.id, capability=capability)

    @contextlib.asynccontextmanager
    async def _ordinary_slot(self, msg: Msg) -> AsyncIterator[int]:
        """One of the worker's ordinary slots (1), the delivery kept in progress while it waits for one;
        0 once the worker stops."""
        slots = self._child_slots
        if slots is None:
            yield 1
            return
        taking = asyncio.ensure_future(slots.take(1))
        try:
            while not (await asyncio.wait({taking}, timeout=self._options.heartbeat_seconds))[0]:
                await _keep_in_progress(msg)
        except BaseException:
            taking.cancel()  # a slot handed over meanwhile is given back by ``take``
            raise
        taken = taking.result()
        try:
            yield taken
        finally:
            slots.give(taken)

    async def _analyze(self, spec: AnalyzerSpec, job: job_pb2.Job, ending: Awaitable[Outcome],
                       batched: bool = False) -> Outcome:
        """The analyzer run as a span of its own: analyzer, version, job, outcome."""
        attributes: dict[str, str | int | bool] = {
            "assay.analyzer": spec.name, "assay.analyzer.version": spec.version, "job.id": job.id,
            "tenant": job.tenant_id, "assay.attempt": job.attempt, "assay.priority": job.priority,
            "assay.small_batch": batched}
        with tracer.start_as_current_span(f"analyze {spec.name}", attributes=attributes) as span:
            outcome = await ending
            span.set_attribute("assay.outcome", outcome.label)
            if outcome.result is not None:
                span.set_attributes(result_attributes(outcome.result))
                _count_ocr(spec.name, outcome.result)
            if outcome.kind != "cancelled":  # a cancelled run neither succeeded nor failed: left unset
                span.set_status(_span_status(outcome))
        return outcome

    async def _waiting_out_outages(self, what: str, call: Callable[[], Awaitable[T]], reached: Iterable[str]) -> T:
        """``call``, retried with backoff while ingest or S3 is unreachable (``DependencyDown``); an
        answer closes the breakers of ``reached``, the dependencies the call talked to."""
        return await retry_while_unreachable(
            call, what=what, budget=self._options.dependency_wait_seconds, backoff=self._options.backoff,
            breaker_of=lambda exc: self._breakers[exc.dependency] if isinstance(exc, DependencyDown) else None,
            reached=[self._breakers[name] for name in reached])

    async def _heartbeat(self, msg: Msg, job: job_pb2.Job, capability: str, running: _Running,
                         lost: asyncio.Event) -> None:
        sent_partial: job_pb2.JobResult | None = None
        cancel_seen = False
        while True:
            await asyncio.sleep(self._options.heartbeat_seconds)
            try:
                await msg.in_progress()
            except Exception as exc:
                logger.warning("in_progress failed", extra={"error": repr(exc)})
            execution = running.execution
            request = pb.HeartbeatRequest(id=job.id, tenant_id=job.tenant_id, attempt=job.attempt,
                                          progress=execution.progress if execution else 0, capability=capability)
            partial = execution.partial if execution else None
            if partial is not None and partial is not sent_partial:
                request.partial_result.CopyFrom(partial)
            try:
                response = await self._jobs.heartbeat(request)
            except grpc.aio.AioRpcError as exc:
                if is_superseded(exc):
                    logger.warning("attempt superseded; stopping it", extra={"reason": reason_of(exc)})
                    lost.set()
                    if execution is not None:
                        execution.abort()
                    return
                logger.warning("heartbeat failed", extra={"code": exc.code().name})
                continue
            sent_partial = partial
            if response.cancel_requested:
                if not cancel_seen:  # on the delivery's process span: where the job's trace shows the cancellation
                    cancel_seen = True
                    trace.get_current_span().add_event(CANCEL_REQUESTED_EVENT, {"assay.attempt": job.attempt})
                if execution is not None:
                    logger.info("cancellation requested; stopping the analyzer")
                    execution.cancel()

    async def _settle(self, analyzer: str, msg: Msg, job: job_pb2.Job, capability: str, outcome: Outcome,
                      last_delivery: bool) -> None:
        try:
            if outcome.kind == "succeeded":
                try:
                    artifacts = [await self._waiting_out_outages("StoreArtifact", functools.partial(
                        self._artifacts.store, job.tenant_id, job.id, a, capability=capability),
                        reached=FILE_DEPENDENCIES)
                                 for a in outcome.artifacts]
                except (ArtifactsUnavailable, OSError) as exc:
                    outcome = Outcome("failed", "ARTIFACT_UPLOAD_FAILED", str(exc), retryable=True)
                else:
                    await self._jobs.complete(pb.CompleteJobRequest(
                        id=job.id, tenant_id=job.tenant_id, attempt=job.attempt, result=outcome.result,
                        artifacts=artifacts, capability=capability))
                    await msg.ack()
                    ATTEMPTS.labels(analyzer=analyzer, outcome="succeeded").inc()
                    return
            if outcome.kind == "cancelled":
                await self._jobs.complete(pb.CompleteJobRequest(
                    id=job.id, tenant_id=job.tenant_id, attempt=job.attempt, cancelled=True,
                    capability=capability))
                await msg.ack()
                ATTEMPTS.labels(analyzer=analyzer, outcome="cancelled").inc()
                return
            dead = last_delivery and outcome.retryable
            message = outcome.message
            if dead:
                message = f"{outcome.code}: {message} (last of {self._options.max_deliver} deliveries)"
            failed = await self._jobs.fail(pb.FailJobRequest(
                id=job.id, tenant_id=job.tenant_id, attempt=job.attempt, dead_lettered=dead, capability=capability,
                error=job_pb2.JobError(code=outcome.code, message=message[:4000], retryable=outcome.retryable)))
            ATTEMPTS.labels(analyzer=analyzer, outcome=outcome.label).inc()
            if failed.job.state == job_pb2.Job.STATE_QUEUED:
                logger.info("attempt failed; retrying", extra={"code": outcome.code,
                                                                "delay": _seconds(failed.retry_delay)})
                await _nak(msg, _seconds(failed.retry_delay))
            elif dead:
                DEAD_LETTERS.labels(analyzer=analyzer).inc()
                logger.error("job dead-lettered", extra={"code": outcome.code, "error_message": outcome.message})
                await msg.nak()  # past MaxDeliver: not redelivered, kept in the stream for inspection
            else:
                logger.warning("job failed", extra={"code": outcome.code, "error_message": outcome.message})
                await msg.ack()
        except grpc.aio.AioRpcError as exc:
            if is_superseded(exc):
                logger.warning("outcome refused: attempt superseded", extra={"reason": reason_of(exc)})
                ATTEMPTS.labels(analyzer=analyzer, outcome="superseded").inc()
                await msg.ack()
                return
            # jobs unreachable past the report budget: leave the job to lease expiry + redelivery.
            logger.error("could not report the outcome", extra={"code": exc.code().name})
            ATTEMPTS.labels(analyzer=analyzer, outcome="report_failed").inc()
            await _nak(msg, self._options.heartbeat_seconds * 2)


def _count_ocr(analyzer: str, result: job_pb2.JobResult) -> None:
    summary = ocr_summary(result)
    if summary is not None and (summary.pages or summary.unread_pages):
        OCR_PAGES.labels(analyzer, "read").inc(len(summary.pages))
        OCR_PAGES.labels(analyzer, "unread").inc(len(summary.unread_pages))
        OCR_SECONDS.labels(analyzer).inc(summary.seconds)


def _span_status(outcome: Outcome) -> trace.Status:
    """OK for an attempt that succeeded or stopped on request, ERROR (code: message) otherwise."""
    if outcome.kind in ("succeeded", "cancelled"):
        return trace.Status(trace.StatusCode.OK)
    return trace.Status(trace.StatusCode.ERROR, f"{outcome.code}: {outcome.message}")
