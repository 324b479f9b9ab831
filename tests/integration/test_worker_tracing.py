"""Trace continuity: every delivery and attempt of a job is recorded in the job's own trace.

The jobs service and the worker run in-process here, so one TracerProvider with an in-memory
exporter sees the spans of both (CreateJob, the outbox relay's publish, the worker's ``process``
consumer spans and ``analyze`` spans). OpenTelemetry's global provider can be set once per
process: the fixture installs one only if none is set yet, else adds its exporter to the one there.
"""

# ruff: noqa: F811
from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import eventually
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.common.nats import WORK_STREAM, connect
from assay.v1 import job_execution_service_pb2 as pb
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job
PROCESS = "process assay.work.sentiment"
ANALYZE = "analyze sentiment"


@pytest.fixture(scope="module")
def span_exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.skip(f"another, non-SDK tracer provider is installed: {type(provider).__name__}")
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    # The provider stays (it cannot be replaced); stop recording into this exporter.
    exporter.shutdown()


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()


def _trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def _of_job(exporter: InMemorySpanExporter, job_id: str, name: str) -> list[ReadableSpan]:
    """The finished spans called ``name`` that are about ``job_id`` (by their job attribute)."""
    found = []
    for span in exporter.get_finished_spans():
        attributes = span.attributes or {}
        if span.name == name and job_id in (attributes.get("assay.job_id"), attributes.get("job.id")):
            found.append(span)
    return found


async def _settled(stack: Stack, job_id: str, state: int) -> Job:
    async def check() -> Job | None:
        job = await stack.get(job_id)
        return job if job.state == state else None

    return await eventually(check, timeout=15)


async def test_every_delivery_and_attempt_of_a_retried_job_is_in_the_job_s_trace(
    stack: Stack, spans: InMemorySpanExporter,
) -> None:
    worker = await stack.start_worker()
    try:
        job = await stack.create("fail-until:1", max_attempts=3)
        assert len(job.trace_id) == 32 and job.trace_id != "0" * 32, "CreateJob records the job's trace"
        done = await _settled(stack, job.id, Job.STATE_SUCCEEDED)
        assert done.attempt == 2 and done.trace_id == job.trace_id

        async def both_analyzed() -> list[ReadableSpan]:
            analyzed = _of_job(spans, job.id, ANALYZE)
            return analyzed if len(analyzed) == 2 and len(_of_job(spans, job.id, PROCESS)) >= 2 else []

        analyzed = await eventually(both_analyzed, timeout=10)
    finally:
        await worker.stop(2.0)

    processed = _of_job(spans, job.id, PROCESS)
    assert all(s.kind == trace.SpanKind.CONSUMER for s in processed)
    assert {_trace_id(s) for s in processed} == {job.trace_id}, "one trace across redeliveries"
    assert {_trace_id(s) for s in analyzed} == {job.trace_id}
    # Each analyze span is a child of a delivery's process span.
    process_ids = {s.context.span_id for s in processed if s.context is not None}
    assert all(s.parent is not None and s.parent.span_id in process_ids for s in analyzed)

    by_attempt = {(s.attributes or {})["assay.attempt"]: s for s in analyzed}
    assert set(by_attempt) == {1, 2}
    assert by_attempt[1].status.status_code == trace.StatusCode.ERROR
    assert "ANALYZER_ERROR" in (by_attempt[1].status.description or "")
    assert by_attempt[2].status.status_code != trace.StatusCode.ERROR
    assert (by_attempt[2].attributes or {})["assay.outcome"] == "succeeded"


async def test_a_job_that_fails_for_good_has_an_error_analyze_span_in_its_trace(
    stack: Stack, spans: InMemorySpanExporter,
) -> None:
    worker = await stack.start_worker()
    try:
        job = await stack.create("bad", max_attempts=3)
        failed = await _settled(stack, job.id, Job.STATE_FAILED)
        assert failed.attempt == 1 and failed.error.code == "INPUT_UNPARSEABLE"

        async def analyzed_and_processed() -> list[ReadableSpan]:
            return _of_job(spans, job.id, ANALYZE) if _of_job(spans, job.id, PROCESS) else []

        (span,) = await eventually(analyzed_and_processed, timeout=10)
    finally:
        await worker.stop(2.0)
    assert _trace_id(span) == failed.trace_id
    assert span.status.status_code == trace.StatusCode.ERROR
    assert "INPUT_UNPARSEABLE" in (span.status.description or "")
    processed = _of_job(spans, job.id, PROCESS)
    assert {_trace_id(s) for s in processed} == {failed.trace_id}
    assert [s.status.status_code for s in processed] == [trace.StatusCode.ERROR], "the delivery failed too"
    assert "INPUT_UNPARSEABLE" in (processed[0].status.description or "")


async def test_a_job_re_queued_by_the_lease_reaper_keeps_its_trace_in_the_new_work_message(
    stack: Stack, spans: InMemorySpanExporter,
) -> None:
    job = await stack.create("ok")
    worker_token = stack.jobs.worker
    nc = await connect(stack.worker_settings(), "test-work-headers")
    try:
        async def dispatched() -> bool:  # the work message a worker would start attempt 1 from
            return (await nc.jetstream().stream_info(WORK_STREAM)).state.messages == 1

        await eventually(dispatched, timeout=10)
    finally:
        await nc.close()
    # A worker that starts attempt 1 and vanishes without a heartbeat (no worker consumes here).
    started = await stack.jobs.execution.StartJob(pb.StartJobRequest(
        id=job.id, tenant_id="acme", attempt=1, analyzer_version="0.0.0-test", worker_id="vanished",
        capability=stack.jobs.capability("acme", job.id)),
        metadata=worker_token)
    assert started.decision == pb.StartJobResponse.DECISION_RUN

    async def reaped() -> Job | None:
        current = await stack.get(job.id)
        return current if current.state == Job.STATE_QUEUED and current.error.code == "LEASE_EXPIRED" else None

    await eventually(reaped, timeout=15)
    nc = await connect(stack.worker_settings(), "test-work-headers")
    try:
        js = nc.jetstream()

        async def requeue_published() -> bool:
            return (await js.stream_info(WORK_STREAM)).state.messages == 2

        await eventually(requeue_published, timeout=10)
        headers = [(await js.get_msg(WORK_STREAM, seq)).headers or {} for seq in (1, 2)]
    finally:
        await nc.close()
    assert [h["Nats-Msg-Id"] for h in headers] == [f"{job.id}.1", f"{job.id}.2"]
    assert headers[0]["traceparent"].split("-")[1] == job.trace_id
    assert headers[1]["traceparent"].split("-")[1] == job.trace_id, "the re-queued attempt left the job's trace"


def _in_trace(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if _trace_id(s) == trace_id]


async def test_a_succeeded_job_s_own_spans_are_ok(
    stack: Stack, spans: InMemorySpanExporter,
) -> None:
    worker = await stack.start_worker()
    try:
        job = await stack.create("ok")
        await _settled(stack, job.id, Job.STATE_SUCCEEDED)

        async def processed() -> list[ReadableSpan]:
            return _of_job(spans, job.id, PROCESS)

        await eventually(processed, timeout=10)
    finally:
        await worker.stop(2.0)
    in_trace = _in_trace(spans, job.trace_id)
    by_name: dict[str, list[ReadableSpan]] = {}
    for span in in_trace:
        by_name.setdefault(span.name, []).append(span)
    for name in (PROCESS, ANALYZE, "publish assay.work"):
        assert [s.status.status_code for s in by_name[name]] == [trace.StatusCode.OK], name
    # Instrumented spans follow the conventions: a server span that answered OK is left unset.
    (create,) = [s for s in by_name["/assay.v1.JobService/CreateJob"] if s.kind == trace.SpanKind.SERVER]
    assert create.status.status_code == trace.StatusCode.UNSET
    assert (create.attributes or {})["rpc.grpc.status_code"] == 0


async def test_a_refused_rpc_s_server_span_carries_its_grpc_code(
    stack: Stack, spans: InMemorySpanExporter,
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(Exception, match="NOT_FOUND"):
        await stack.jobs.jobs.GetJob(js.GetJobRequest(id=missing), metadata=stack.jobs.token())

    async def server_span() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans()
                if s.name == "/assay.v1.JobService/GetJob" and s.kind == trace.SpanKind.SERVER]

    (span,) = await eventually(server_span, timeout=5)
    assert (span.attributes or {})["rpc.grpc.status_code"] == 5, "NOT_FOUND, not the OK it started with"
    assert span.status.status_code == trace.StatusCode.UNSET, "a caller's mistake is no server error"


async def test_cancelling_a_running_job_shows_in_its_trace(stack: Stack, spans: InMemorySpanExporter) -> None:
    worker = await stack.start_worker()
    try:
        job = await stack.create("sleep:30")
        await _settled(stack, job.id, Job.STATE_RUNNING)
        await stack.cancel(job.id)
        await _settled(stack, job.id, Job.STATE_CANCELLED)

        async def processed() -> list[ReadableSpan]:
            return _of_job(spans, job.id, PROCESS)

        (process,) = await eventually(processed, timeout=10)
    finally:
        await worker.stop(2.0)
    in_trace = _in_trace(spans, job.trace_id)
    (cancel,) = [s for s in in_trace if s.name == "cancel job"]
    assert (cancel.attributes or {})["assay.cancel.outcome"] == "requested"
    assert cancel.status.status_code == trace.StatusCode.OK
    assert cancel.links, "linked to the CancelJob call's own trace"
    assert [e.name for e in process.events] == ["assay.cancel_requested"], "the worker saw the request"
    assert process.status.status_code == trace.StatusCode.OK
    (analyze,) = _of_job(spans, job.id, ANALYZE)
    assert (analyze.attributes or {})["assay.outcome"] == "cancelled"
    assert cancel.start_time <= process.events[0].timestamp


async def test_cancelling_a_queued_job_shows_in_its_trace(stack: Stack, spans: InMemorySpanExporter) -> None:
    job = await stack.create("ok")  # no worker: it stays queued
    await stack.cancel(job.id)
    (cancel,) = [s for s in _in_trace(spans, job.trace_id) if s.name == "cancel job"]
    assert (cancel.attributes or {})["assay.cancel.outcome"] == "cancelled"
    assert (cancel.attributes or {})["job.id"] == job.id
