"""File jobs end to end: SubmitDocument through ingest, the real sentiment analyzer in workers, artifacts back
in ingest; a SIGKILLed worker, cancellation mid-batch and a missing column."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import grpc
import nats
import pytest
from file_job_fixtures import (
    EXPECTED_LABELS,
    PROTO_LABELS,
    FileStack,
    csv_lines,
    download,
    file_stack,  # noqa: F401 - fixture
    label_counts,
    reviews_csv,
    sentiment_params,
)
from harness import eventually
from ingest_fixtures import new_tenant

from assay.common.nats import event_subject
from assay.v1 import events_pb2, job_pb2, sentiment_pb2
from assay.v1 import ingest_service_pb2 as ing

Job = job_pb2.Job
APPENDED = ["label", "positive", "negative", "neutral", "compound", "skip_reason",
            "confidence", "mixed", "language", "aspects"]  # the default, learned model's columns
BIG_ROWS = 60_000
"""About 1.8 MB of CSV (under the analyzer's 10 MB cap), a few seconds of VADER scoring."""


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


async def test_a_5000_row_csv_gets_labels_statistics_and_a_downloadable_scored_csv_of_its_tenant(
    file_stack: FileStack,
) -> None:
    tenant, rows = new_tenant(), 5000
    worker = await file_stack.start_worker()
    try:
        submitted = await file_stack.submit(reviews_csv(rows), tenant=tenant)
        assert submitted.file.media_type == "text/csv"
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=30)
    finally:
        await worker.stop(2.0)

    assert done.attempt == 1 and done.progress == 100
    result = done.result.sentiment
    stats = result.statistics
    assert (stats.rows_total, stats.rows_scored, stats.rows_skipped) == (rows, rows, 0)
    assert {c.label: c.count for c in stats.label_counts} == label_counts(rows)
    assert len(result.items) == rows and not result.items_truncated
    for index, item in enumerate(result.items):
        assert (item.row, item.label) == (index + 1, PROTO_LABELS[index % 3]), item

    # The artifact: a file of the job's tenant, registered in ingest, downloadable through a presigned URL.
    assert len(done.artifacts) == 1
    artifact = done.artifacts[0]
    assert artifact.name == "sentiment.csv" and artifact.media_type == "text/csv"
    owner = file_stack.ingest.token(tenant=tenant)
    registered = (await file_stack.ingest.files.GetFile(ing.GetFileRequest(id=artifact.file_id), metadata=owner)).file
    assert registered.tenant_id == tenant and registered.size_bytes > 0
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=artifact.file_id),
                                                        metadata=owner)
    body = await download(link.url)
    assert len(body) == registered.size_bytes
    lines = csv_lines(body)
    assert len(lines) == rows + 1
    assert lines[0] == ["id", "text", *APPENDED]
    label_at = lines[0].index("label")
    assert [line[label_at] for line in lines[1:]] == [EXPECTED_LABELS[i % 3] for i in range(rows)]
    assert [line[0] for line in lines[1:]] == [str(i + 1) for i in range(rows)]

    stranger = file_stack.ingest.token(tenant=new_tenant())
    for call, request in ((file_stack.ingest.files.GetFile, ing.GetFileRequest(id=artifact.file_id)),
                          (file_stack.ingest.files.GetDownloadUrl, ing.GetDownloadUrlRequest(id=artifact.file_id))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(request, metadata=stranger)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_sigkilled_worker_subprocess_s_batch_succeeds_once_on_attempt_two(
    file_stack: FileStack, tmp_path: Path,
) -> None:
    tenant = new_tenant()
    first = file_stack.spawn_worker(tmp_path / "worker-1")
    try:
        submitted = await file_stack.submit(reviews_csv(BIG_ROWS), tenant=tenant)
        job_id = submitted.job.id
        nc = await nats.connect(file_stack.nats.url)
        events: list[events_pb2.JobEvent] = []

        async def collect(msg) -> None:  # type: ignore[no-untyped-def]
            events.append(events_pb2.JobEvent.FromString(msg.data))

        await nc.jetstream().subscribe(event_subject(tenant, job_id), cb=collect, ordered_consumer=True)
        try:
            try:
                running = await file_stack.running_with_progress(job_id, tenant, timeout=30)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\nworker log:\n{_tail(first.log_path)}") from None
            assert running.attempt == 1 and running.progress < 100
            assert first.proc is not None
            first.proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.proc.wait, 5)

            second = file_stack.spawn_worker(tmp_path / "worker-2")
            try:
                done = await file_stack.settled(job_id, tenant, Job.STATE_SUCCEEDED, timeout=40)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\nworker log:\n{_tail(second.log_path)}") from None
            assert done.attempt == 2
            assert done.result.sentiment.statistics.rows_scored == BIG_ROWS
            assert {c.label: c.count for c in done.result.sentiment.statistics.label_counts} == label_counts(BIG_ROWS)
            assert len(done.artifacts) == 1

            # Every delivery (the killed one's redelivery, a re-queue's message) is settled, and every
            # transition is published: then exactly one of them is SUCCEEDED.
            await eventually(file_stack.work_consumer_idle, timeout=20)

            async def all_published() -> bool:
                return bool(events) and events[-1].job.state == Job.STATE_SUCCEEDED

            await eventually(all_published, timeout=10)
            assert [e.sequence for e in events] == list(range(1, len(events) + 1))
            states = Counter(e.job.state for e in events)
            assert states[Job.STATE_SUCCEEDED] == 1, [Job.State.Name(e.job.state) for e in events]
            assert {e.job.attempt for e in events if e.job.state == Job.STATE_RUNNING} == {1, 2}
        finally:
            await nc.close()
    finally:
        await asyncio.to_thread(file_stack.stop_spawned)


async def test_cancelling_a_large_batch_ends_it_within_a_heartbeat_and_the_worker_takes_the_next_job(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    worker = await file_stack.start_worker(worker_concurrency=1)
    try:
        # VADER scores every row; the learned model would answer these three repeated texts from
        # its cache faster than the cancel arrives.
        big = await file_stack.submit(reviews_csv(BIG_ROWS), tenant=tenant,
                                      params=sentiment_params(model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON))
        await file_stack.running_with_progress(big.job.id, tenant, timeout=30)
        cancelled_at = time.monotonic()
        await file_stack.cancel(big.job.id, tenant)
        cancelled = await file_stack.settled(big.job.id, tenant, Job.STATE_CANCELLED, timeout=10)
        elapsed = time.monotonic() - cancelled_at
        assert elapsed < worker.settings.worker_heartbeat_seconds + 2.0, elapsed
        assert cancelled.attempt == 1 and len(cancelled.artifacts) == 0

        following = await file_stack.submit(reviews_csv(30), tenant=tenant)
        done = await file_stack.settled(following.job.id, tenant, Job.STATE_SUCCEEDED, timeout=20)
        assert done.result.sentiment.statistics.rows_scored == 30
    finally:
        await worker.stop(2.0)


async def test_a_csv_without_the_requested_column_fails_for_good(file_stack: FileStack) -> None:
    tenant = new_tenant()
    worker = await file_stack.start_worker()
    try:
        submitted = await file_stack.submit(reviews_csv(10), tenant=tenant, params=sentiment_params("comment"))
        failed = await file_stack.settled(submitted.job.id, tenant, Job.STATE_FAILED, timeout=20)
    finally:
        await worker.stop(2.0)
    assert failed.error.code == "COLUMN_MISSING", failed.error
    assert not failed.error.retryable
    assert failed.attempt == 1
    assert "comment" in failed.error.message
