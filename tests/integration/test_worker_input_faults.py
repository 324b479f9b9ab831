"""Deterministic input faults fail a job once, as input errors, never retried (issue 20 item 8)."""

from __future__ import annotations

import pytest
from harness import eventually
from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.v1 import job_pb2

Job = job_pb2.Job
pytestmark = pytest.mark.integration


async def failed(stack: Stack, job_id: str) -> Job:  # noqa: F811
    async def check() -> Job | None:
        job = await stack.get(job_id)
        return job if job.state == Job.STATE_FAILED else None
    return await eventually(check, timeout=30)


async def test_json_nested_too_deeply_fails_once_as_input_too_complex(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker()
    try:
        job = await stack.create("deep-json:100000", max_attempts=3)
        done = await failed(stack, job.id)
        assert (done.error.code, done.error.retryable, done.attempt) == ("INPUT_TOO_COMPLEX", False, 1)
        following = await stack.create("ok")  # the worker (and a fresh child) carries on
        async def succeeded() -> bool:
            return (await stack.get(following.id)).state == Job.STATE_SUCCEEDED
        await eventually(succeeded, timeout=30)
    finally:
        await worker.stop(2.0)


async def test_an_input_needing_more_memory_than_the_child_limit_fails_as_input_too_complex(
    stack: Stack,  # noqa: F811
) -> None:
    worker = await stack.start_worker(worker_memory_limit_bytes=1024 * 1024 * 1024)
    try:
        job = await stack.create("allocate:2048", max_attempts=3)
        done = await failed(stack, job.id)
        assert (done.error.code, done.error.retryable, done.attempt) == ("INPUT_TOO_COMPLEX", False, 1)
        assert "memory" in done.error.message
    finally:
        await worker.stop(2.0)


async def test_a_pdf_stream_inflating_past_the_cap_fails_as_input_too_complex(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker()
    try:
        job = await stack.create("pdf-bomb:64", max_attempts=3)
        done = await failed(stack, job.id)
        assert (done.error.code, done.error.retryable, done.attempt) == ("INPUT_TOO_COMPLEX", False, 1)
    finally:
        await worker.stop(2.0)
