"""Dead-lettering of messages JetStream gave up on without the worker noticing.

The worker itself fails a job as dead-lettered when an attempt fails on the message's last
delivery (see runtime). This listener covers the other road to MaxDeliver: deliveries that never
ran an attempt to its end (worker killed while holding it, RETRY_LATER naks on the last delivery).
It listens to ``$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ASSAY_WORK.<consumer>`` (every consumer
of the worker's sources: one per analyzer and priority) in a queue group (one worker handles
each advisory), reads the message by stream sequence (it stays in the stream) and, if its job
is still QUEUED, starts it only to fail it with ``dead_lettered=True``.
A RUNNING job is left to its lease holder, or to the jobs reaper once the lease expires.
Advisories are best effort (core NATS, not emitted when MaxDeliver is lowered): the reaper
remains the guarantee that nothing stays RUNNING.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

import grpc
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from assay.analysis.consumer import WorkSource
from assay.analysis.jobs_client import JobsClient
from assay.analysis.metrics import DEAD_LETTERS
from assay.common.nats import WORK_STREAM
from assay.v1 import events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as pb

logger = logging.getLogger(__name__)

QUEUE_GROUP = "assay-analysis-dead-letters"
MAX_WAITS = 5
"""RETRY_LATER rounds for a QUEUED job before giving up (the job then needs RetryJob/operator)."""


def advisory_subject(consumer: str) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{WORK_STREAM}.{consumer}"


class DeadLetterListener:
    """Fails the jobs of max-delivered messages; runs in every worker, one handles each advisory."""

    def __init__(self, nc: Client, jobs: JobsClient, worker_id: str, sources: Sequence[WorkSource],
                 versions: dict[str, str]) -> None:
        self._nc = nc
        self._analyzers = {s.consumer: s.analyzer for s in sources}
        self._jobs = jobs
        self._worker_id = worker_id
        self._versions = versions
        self._subs: list[Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        for consumer in self._analyzers:
            self._subs.append(await self._nc.subscribe(advisory_subject(consumer), queue=QUEUE_GROUP,
                                                       cb=self._on_advisory))

    async def stop(self) -> None:
        for sub in self._subs:
            await sub.unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _on_advisory(self, advisory: Msg) -> None:
        task = asyncio.create_task(self._handle(advisory.data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, data: bytes) -> None:
        try:
            body = json.loads(data)
            analyzer = self._analyzers[str(body["consumer"])]
            raw = await self._nc.jetstream().get_msg(WORK_STREAM, int(body["stream_seq"]))
            work = events_pb2.WorkMessage.FromString(raw.data or b"")
        except Exception as exc:
            logger.warning("max-deliveries advisory not actionable", extra={"error": repr(exc)})
            return
        logger.warning("work message reached max deliveries", extra={
            "job_id": work.job_id, "tenant": work.tenant_id, "deliveries": body.get("deliveries")})
        for _ in range(MAX_WAITS):
            try:
                started = await self._jobs.start(pb.StartJobRequest(
                    id=work.job_id, tenant_id=work.tenant_id, attempt=work.attempt,
                    analyzer_version=self._versions.get(analyzer, ""), worker_id=self._worker_id,
                    capability=work.capability))
                if started.decision == pb.StartJobResponse.DECISION_RUN:
                    await self._jobs.fail(pb.FailJobRequest(
                        id=work.job_id, tenant_id=work.tenant_id, attempt=started.job.attempt,
                        dead_lettered=True, capability=started.capability or work.capability, error=job_pb2.JobError(
                            code="MAX_DELIVERIES_EXCEEDED", retryable=False,
                            message=f"the work message was delivered {body.get('deliveries')} times "
                                    "without an outcome")))
                    DEAD_LETTERS.labels(analyzer=analyzer).inc()
                    return
                if started.decision == pb.StartJobResponse.DECISION_SKIP \
                        or started.job.state != job_pb2.Job.STATE_QUEUED:
                    return  # settled, or another attempt holds a lease (its holder or the reaper settles it)
                await asyncio.sleep(started.retry_delay.ToTimedelta().total_seconds() + 0.05)
            except grpc.aio.AioRpcError as exc:
                logger.warning("dead-lettering failed", extra={"code": exc.code().name})
                await asyncio.sleep(1.0)
        logger.error("could not dead-letter a max-delivered job", extra={"job_id": work.job_id})
