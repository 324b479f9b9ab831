"""Group-committed CreateJob: concurrent creates are inserted together, each caller answered alone.

CreateJob calls that arrive while earlier batches are being written wait and go together in the
next one (``assay.common.group_commit``): one transaction per tenant inserts their jobs with one
multi-row INSERT and their holds, events and audit entries with one statement each
(``JobStore.create_many``). Every caller still gets its own job, or its own error: a file released
for deletion or a request_id reused for another request refuses only that call; a repeated
request_id returns the first job; a batch that would exceed a quota is rolled back and its calls
are made one by one, so quotas stay exact. Jobs with dependencies (``inputs.jobs``) are created
one by one, as before.

A CreateJob whose client gives up after its batch was taken may still be created (as a single
call cancelled just after its commit would be); an idempotent request_id finds it again.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace

from assay.common.group_commit import GroupCommitter
from assay.common.telemetry import context_from_headers, current_traceparent
from assay.jobs.batch_transitions import CreateItem
from assay.jobs.store import JobStore, NewJob
from assay.v1 import job_pb2

tracer = trace.get_tracer(__name__)

BATCH_SPAN = "create jobs"


class JobCreator:
    """Creates jobs through the group committer (``max_size`` 0: one by one, as before)."""

    def __init__(self, store: JobStore, *, max_size: int = 64, concurrency: int = 2, max_wait: float = 0.0) -> None:
        self._store = store
        self._batches: GroupCommitter[CreateItem, tuple[job_pb2.Job, bool]] | None = None
        if max_size > 0:
            self._batches = GroupCommitter("create_job", self._create_batch, max_size=max_size,
                                           concurrency=concurrency, max_wait=max_wait)

    async def create(self, tenant: str, actor: str, new: NewJob) -> tuple[job_pb2.Job, bool]:
        """``JobStore.create``'s answer: the job, and whether this call created it."""
        if self._batches is None or new.dependencies:
            return await self._store.create(tenant, actor, new)
        return await self._batches.submit(CreateItem(tenant, actor, new, current_traceparent()))

    async def _create_batch(self, items: Sequence[CreateItem]) -> Sequence[tuple[job_pb2.Job, bool] | Exception]:
        """One batch, as a span linked to each CreateJob call's span."""
        links = []
        for item in items:
            context = trace.get_current_span(context_from_headers({"traceparent": item.traceparent}))
            if context.get_span_context().is_valid:
                links.append(trace.Link(context.get_span_context()))
        with tracer.start_as_current_span(BATCH_SPAN, links=links, attributes={"assay.batch.size": len(items)}):
            return await self._store.create_many(items)
