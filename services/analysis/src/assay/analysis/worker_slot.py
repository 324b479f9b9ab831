"""A restarted worker takes its predecessor's jobs back at once (issue 20).

A worker process holding ``ASSAY_WORKER_SLOT`` records the slot and its own boot id with every
attempt it starts. The slot is held by one live process at a time (the supervisor starts the next
process only once the previous one has exited), so a process starting in the slot proves that every
attempt recorded under the slot with another boot id has lost its worker: jobs settles them at once
as its lease reaper would (re-queued with a new work message, or FAILED with no attempts left)
instead of after the lease and the reaper's grace. Fencing by attempt number stays what keeps a
result single-applied; the slot only decides how soon the job runs again.
"""

from __future__ import annotations

import logging

import grpc
from opentelemetry import trace

from assay.analysis.jobs_client import JobsClient, reason_of
from assay.v1 import job_execution_service_pb2 as pb

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("assay.analysis")


async def release_predecessors(jobs: JobsClient, slot: str, boot: str) -> None:
    """Have jobs settle the attempts earlier processes of ``slot`` left running (logged and counted).

    Retried while jobs is unreachable (the report budget); a refusal is logged and leaves those
    attempts to lease expiry, as without a slot."""
    with tracer.start_as_current_span("release worker slot", attributes={"assay.worker_slot": slot}) as span:
        try:
            response = await jobs.release_worker(pb.ReleaseWorkerAttemptsRequest(worker_slot=slot, worker_boot=boot))
        except grpc.aio.AioRpcError as exc:
            logger.warning("could not release the slot's earlier attempts; their leases will expire",
                           extra={"code": exc.code().name, "reason": reason_of(exc)})
            span.set_status(trace.Status(trace.StatusCode.ERROR, exc.code().name))
            return
        span.set_attribute("assay.attempts_released", response.released)
        if response.released:
            logger.warning("released the attempts an earlier process of this worker slot left running",
                           extra={"count": response.released, "slot": slot})
