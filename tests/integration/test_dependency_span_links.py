"""A job waiting for several dependencies is released in a span that links to the span that ended each of them,
not only the last one (each dependency's CompleteJob, however long before)."""

# ruff: noqa: F811
from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_job_dependencies import create, run
from test_worker_tracing import _in_trace, span_exporter, spans  # noqa: F401 - fixtures


async def test_the_release_links_to_every_dependencys_end(jobs_service, spans: InMemorySpanExporter) -> None:
    first, second, third = await create(jobs_service), await create(jobs_service), await create(jobs_service)
    waiting = await create(jobs_service, [first, second, third])
    for dependency in (first, second, third):
        await run(jobs_service, dependency)
    (settle,) = [s for s in _in_trace(spans, waiting.trace_id) if s.name == "settle job"]
    by_id = {s.context.span_id: s for s in spans.get_finished_spans() if s.context is not None}
    linked = {(link.attributes or {}).get("assay.dependency.job_id"): by_id[link.context.span_id]
              for link in settle.links}
    assert set(linked) == {first.id, second.id, third.id}
    assert all("CompleteJob" in ended.name for ended in linked.values())
    assert len({ended.context.span_id for ended in linked.values()}) == 3, "each dependency's own CompleteJob"
