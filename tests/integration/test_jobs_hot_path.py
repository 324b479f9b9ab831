"""The jobs hot path spends no statement a job does not need (issue 21: fewer round trips per job)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from test_jobs_batch_transitions import complete_item, complete_jobs
from test_jobs_lifecycle import complete, create, start

from assay.common.nats import ALL_EVENTS, connect
from assay.v1 import events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as ex


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs meanwhile (the jobs service runs in it)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


async def test_starting_a_job_without_dependencies_reads_no_dependencies(jobs_service, statements):
    job = await create(jobs_service)
    statements.clear()
    started = await start(jobs_service, job)
    assert started.decision == ex.StartJobResponse.DECISION_RUN and not started.dependencies
    assert not [s for s in statements if "jobs.dependencies" in s], statements
    done = await complete(jobs_service, job, started.job.attempt)
    assert done.job.state == job_pb2.Job.STATE_SUCCEEDED


async def test_ending_jobs_of_a_tenant_without_webhooks_queues_no_delivery(jobs_service, statements):
    """No subscription, no delivery insert (nor its payload, nor the delivery loop's wake-up), whether
    the job ends alone (CompleteJob) or in a batch (CompleteJobs); test_webhooks covers the tenants
    that do subscribe, alone and in batches."""
    single, batched = [await create(jobs_service, text=f"no hooks {n}", tenant="no-hooks") for n in range(2)]
    for job in (single, batched):
        assert (await start(jobs_service, job)).decision == ex.StartJobResponse.DECISION_RUN
    statements.clear()
    assert (await complete(jobs_service, single, 1)).job.state == job_pb2.Job.STATE_SUCCEEDED
    [ended] = await complete_jobs(jobs_service, complete_item(jobs_service, batched, 1))
    assert ended.response.job.state == job_pb2.Job.STATE_SUCCEEDED
    assert [s for s in statements if "UPDATE jobs.jobs" in s], statements  # the completions ran here
    assert not [s for s in statements if "INSERT INTO jobs.webhook_deliveries" in s], statements


async def test_the_relay_reads_and_deletes_the_outbox_without_a_pooled_transaction(jobs_service, statements):
    """The relay leader's passes run on its own autocommit connection: no BEGIN, tenant setting and
    COMMIT per pass around its read and delete. The job's events are still relayed, in order."""
    nc = await connect(jobs_service.settings, "relay-test")
    sequences: list[int] = []
    job = await create(jobs_service, text="relayed")

    async def on_event(msg) -> None:
        event = events_pb2.JobEvent.FromString(msg.data)
        if event.job.id == job.id:
            sequences.append(event.sequence)

    sub = await nc.subscribe(ALL_EVENTS, cb=on_event)
    try:
        statements.clear()
        started = await start(jobs_service, job)
        await complete(jobs_service, job, started.job.attempt)
        deadline = asyncio.get_running_loop().time() + 15
        while not sequences or sequences[-1] < 3:  # created (1), started (2), succeeded (3)
            assert asyncio.get_running_loop().time() < deadline, sequences
            await asyncio.sleep(0.05)
    finally:
        await sub.unsubscribe()
        await nc.close()
    assert sequences == sorted(sequences)
    assert not [s for s in statements if "FROM jobs.outbox" in s], statements
