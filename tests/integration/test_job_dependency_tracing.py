"""A dependent job's release shows in its own trace, linked to the dependency's transition (the
CompleteJob call, which a worker makes in the dependency's trace), and its work message continues
its own trace (not the dependency's)."""

# ruff: noqa: F811
from __future__ import annotations

from harness import eventually
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_job_dependencies import create, run
from test_worker_tracing import _in_trace, _trace_id, span_exporter, spans  # noqa: F401 - fixtures


async def test_a_released_job_has_a_settle_span_in_its_own_trace_linked_to_its_dependency(
        jobs_service, spans: InMemorySpanExporter) -> None:
    dependency = await create(jobs_service)
    waiting = await create(jobs_service, [dependency])
    assert dependency.trace_id and waiting.trace_id and dependency.trace_id != waiting.trace_id
    await run(jobs_service, dependency)
    (settle,) = [s for s in _in_trace(spans, waiting.trace_id) if s.name == "settle job"]
    assert (settle.attributes or {})["assay.settle.outcome"] == "queued"
    assert (settle.attributes or {})["job.id"] == waiting.id
    (link,) = settle.links
    by_id = {s.context.span_id: s for s in spans.get_finished_spans() if s.context is not None}
    assert "CompleteJob" in by_id[link.context.span_id].name, "linked to the dependency's CompleteJob call"

    async def work_message_published_in_the_jobs_own_trace():
        published = [s for s in _in_trace(spans, waiting.trace_id) if s.name.startswith("publish assay.work")]
        return len(published) == 1 and all(_trace_id(s) == waiting.trace_id for s in published)
    await eventually(work_message_published_in_the_jobs_own_trace, timeout=10)
