"""The dispatcher on a real PostgreSQL: fair share across tenants, concurrency limits, replicas.

The work stream is stood in for by the outbox itself (the relay publishes it in id order; each
priority's subject is a FIFO consumer): ``Stream.next`` takes the oldest work message the dispatcher
wrote on the highest priority's subject, as a worker's fetch would, and the job is started and
completed through the store like a worker's RPCs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from harness import Postgres
from harness.jobs import SERVICE_KEYS, fresh_database
from sqlalchemy import Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.capabilities import JobCapabilities
from assay.common.db import SYSTEM_SESSION, create_engine, system_transaction
from assay.common.migrations import upgrade
from assay.jobs.config import JobsSettings
from assay.jobs.dispatcher import Dispatcher
from assay.jobs.fair_share import parse_policy
from assay.jobs.metrics import JOBS_HELD
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.jobs.server import psycopg_url
from assay.jobs.store import JobStore, NewJob
from assay.v1 import events_pb2

BACKLOG = 4


@dataclass
class Jobs:
    settings: JobsSettings
    engine: AsyncEngine
    store: JobStore

    def dispatcher(self, weights: str = "", concurrency: str = "", backlog: int = BACKLOG,
                   per_running: float = 0.0) -> Dispatcher:
        return Dispatcher(self.engine, JobCapabilities(self.settings), parse_policy(weights, concurrency),
                          backlog=backlog, backlog_per_running=per_running, poll_seconds=0.2,
                          psycopg_url=psycopg_url(self.settings.database_url))

    async def create(self, tenant: str, analyzer: str = "sentiment", priority: int = 0) -> str:
        new = NewJob(analyzer=analyzer, params={}, inputs={"text": "fine"}, request_id=None,
                     request_hash="", priority=priority, max_attempts=3, trace_id="")
        job, _ = await self.store.create(tenant, "alice", new)
        return job.id

    async def create_many(self, tenant: str, count: int) -> list[str]:
        return [await self.create(tenant) for _ in range(count)]


@pytest.fixture
async def jobs(postgres: Postgres) -> AsyncIterator[Jobs]:
    url = fresh_database(postgres, "fair")
    upgrade(MIGRATIONS, url, "jobs")
    settings = JobsSettings(database_url=url, **SERVICE_KEYS)
    engine = create_engine(settings)
    yield Jobs(settings, engine, JobStore(engine, lease_seconds=30))
    await engine.dispose()


class Stream:
    """The work messages the dispatcher wrote, oldest first, taken like a FIFO consumer's."""

    def __init__(self, jobs: Jobs) -> None:
        self._engine = jobs.engine
        self._store = jobs.store

    async def next(self) -> events_pb2.WorkMessage | None:
        async with system_transaction(self._engine) as conn:
            row = (await conn.execute(text(
                "DELETE FROM jobs.outbox WHERE id = (SELECT id FROM jobs.outbox WHERE subject LIKE 'assay.work.%'"
                " ORDER BY substring(subject from '[.]p([0-9])$')::int DESC, id LIMIT 1)"
                " RETURNING payload"))).one_or_none()
        return None if row is None else events_pb2.WorkMessage.FromString(row.payload)

    async def waiting(self) -> int:
        """Work messages written and not yet taken."""
        async with system_transaction(self._engine) as conn:
            return int((await conn.execute(text(
                "SELECT count(*) FROM jobs.outbox WHERE subject LIKE 'assay.work.%'"))).scalar_one())

    async def start(self) -> events_pb2.WorkMessage:
        message = await self.next()
        assert message is not None, "no work message was dispatched"
        outcome = await self._store.start(message.tenant_id, uuid.UUID(message.job_id), "1.0.0")
        assert outcome.decision == "RUN"
        return message

    async def complete(self, message: events_pb2.WorkMessage) -> None:
        await self._store.complete(message.tenant_id, uuid.UUID(message.job_id), message.attempt, {}, [], False)


@pytest.fixture
def stream(jobs: Jobs) -> Stream:
    return Stream(jobs)


async def test_a_burst_of_1000_from_one_tenant_never_holds_back_another_tenants_job(
    jobs: Jobs, stream: Stream,
) -> None:
    dispatcher = jobs.dispatcher()
    await jobs.create_many("flood", 1000)
    assert await dispatcher.dispatch_once() == BACKLOG
    assert await dispatcher.dispatch_once() == 0  # the backlog is full: the flood's next jobs stay held
    trickle = await jobs.create("trickle")
    assert await dispatcher.dispatch_once() == 1  # the newcomer's job is dispatched all the same

    message = await stream.start()  # one worker slot: the newcomer's job comes first
    assert message.job_id == trickle


async def test_with_32_running_a_tenant_with_nothing_waiting_starts_ahead_of_the_whole_backlog(
    jobs: Jobs, stream: Stream,
) -> None:
    """A batch-running worker's 32 small slots make the backlog 64 (2 per running job); the stream is
    FIFO, so a tenant's job dispatched into it used to start after all 64. Now the share rule's order
    holds: it starts next, and the tenant's following job goes ahead again."""
    dispatcher = jobs.dispatcher(backlog=2, per_running=2.0)
    await jobs.create_many("flood", 300)
    running: list[events_pb2.WorkMessage] = []
    while len(running) < 32:  # the worker fills its slots as the dispatcher refills the stream
        await dispatcher.dispatch_once()
        running += [await stream.start() for _ in range(min(2, 32 - len(running)))]
    await dispatcher.dispatch_once()
    assert await dispatcher.dispatch_once() == 0 and await stream.waiting() == 64  # the backlog is full
    first, second = await jobs.create("trickle"), await jobs.create("trickle")

    assert await dispatcher.dispatch_once() == 1  # one of the tenant's jobs at a time goes ahead
    assert (await stream.start()).job_id == first
    await dispatcher.dispatch_once()  # its first one started: nothing of it waits, the next goes ahead
    assert (await stream.start()).job_id == second
    assert (await stream.start()).tenant_id == "flood"


async def test_a_tenant_whose_waiting_jobs_all_went_ahead_sends_the_next_ahead_too_in_order(
    jobs: Jobs, stream: Stream,
) -> None:
    """A trickling tenant's next job is dispatched before its previous one started: with only one
    message ahead at a time it waited, and the backlog's next room put it behind the whole FIFO
    backlog instead (bench_tenants: 0.5-0.7 s). Both go ahead, in the tenant's order."""
    dispatcher = jobs.dispatcher(backlog=2, per_running=2.0)
    await jobs.create_many("flood", 300)
    running: list[events_pb2.WorkMessage] = []
    while len(running) < 32:
        await dispatcher.dispatch_once()
        running += [await stream.start() for _ in range(min(2, 32 - len(running)))]
    await dispatcher.dispatch_once()
    assert await dispatcher.dispatch_once() == 0 and await stream.waiting() == 64  # the backlog is full

    first = await jobs.create("trickle")
    assert await dispatcher.dispatch_once() == 1
    second = await jobs.create("trickle")
    assert await dispatcher.dispatch_once() == 1  # the first has not started: the second goes ahead too
    assert [(await stream.start()).job_id for _ in range(2)] == [first, second]
    assert (await stream.start()).tenant_id == "flood"


async def test_a_round_sending_a_job_ahead_does_not_wait_for_its_row_locked_by_a_start_or_cancel(
    jobs: Jobs, stream: Stream,
) -> None:
    """A cancel or StartJob locks the job's row, then deletes its queue entry; a round deletes the entry
    first, then records the job's lane. Waiting for the row there deadlocked the two (CancelJob right
    after CreateJob answered ABORTED in the suite). The round now leaves a locked row's lane alone."""
    dispatcher = jobs.dispatcher(backlog=2, per_running=2.0)
    await jobs.create_many("flood", 40)
    running: list[events_pb2.WorkMessage] = []
    while len(running) < 8:
        await dispatcher.dispatch_once()
        running += [await stream.start() for _ in range(min(2, 8 - len(running)))]
    await dispatcher.dispatch_once()
    assert await dispatcher.dispatch_once() == 0  # the backlog is full
    trickle = await jobs.create("trickle")
    async with system_transaction(jobs.engine) as conn:  # as a cancel holds it
        await conn.execute(text("SELECT 1 FROM jobs.jobs WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(trickle)})
        assert await asyncio.wait_for(dispatcher.dispatch_once(), timeout=20) == 1  # waited for ever before
    assert (await stream.start()).job_id == trickle


async def test_weights_divide_the_starts_and_each_tenant_keeps_priority_then_age(
    jobs: Jobs, stream: Stream,
) -> None:
    dispatcher = jobs.dispatcher(weights="heavy=3", backlog=8)
    heavy = await jobs.create_many("heavy", 12)
    light = await jobs.create_many("light", 12)
    urgent = await jobs.create("light", priority=9)

    assert await dispatcher.dispatch_once() == 8
    dispatched = [await stream.next() for _ in range(8)]
    tenants = [m.tenant_id for m in dispatched if m is not None]
    assert tenants.count("heavy") == 6 and tenants.count("light") == 2
    light_ids = [m.job_id for m in dispatched if m is not None and m.tenant_id == "light"]
    assert light_ids == [urgent, light[0]]
    heavy_ids = [m.job_id for m in dispatched if m is not None and m.tenant_id == "heavy"]
    assert heavy_ids == heavy[:6]


async def test_a_tenant_limit_caps_its_jobs_in_flight_while_others_flow(jobs: Jobs, stream: Stream) -> None:
    dispatcher = jobs.dispatcher(concurrency="capped=2,*/compare=1")
    capped = await jobs.create_many("capped", 5)
    other = await jobs.create_many("other", 1)

    assert await dispatcher.dispatch_once() == 3
    first, second = await stream.start(), await stream.start()
    third = await stream.start()
    assert {first.job_id, second.job_id, third.job_id} == {*capped[:2], other[0]}
    assert await dispatcher.dispatch_once() == 0  # capped has 2 running: the rest wait in order

    done = first if first.tenant_id == "capped" else second
    await stream.complete(done)
    assert await dispatcher.dispatch_once() == 1
    assert (await stream.start()).job_id == capped[2]

    compares = [await jobs.create("other", analyzer="compare") for _ in range(2)]
    assert await dispatcher.dispatch_once() == 1  # */compare=1: one compare job of "other" at a time
    assert (await stream.start()).job_id == compares[0]


async def test_cancelled_held_jobs_are_never_dispatched(jobs: Jobs, stream: Stream) -> None:
    dispatcher = jobs.dispatcher(backlog=1)
    first, second = await jobs.create_many("acme", 2)
    await jobs.store.cancel("acme", "alice", uuid.UUID(second))
    assert await dispatcher.dispatch_once() == 1
    assert (await stream.start()).job_id == first
    assert await dispatcher.dispatch_once() == 0
    assert await stream.next() is None


async def test_dispatchers_of_several_replicas_never_dispatch_a_job_twice(jobs: Jobs) -> None:
    replicas = [jobs.dispatcher(backlog=50) for _ in range(3)]
    created = await jobs.create_many("acme", 40)

    counts = await asyncio.gather(*(replica.dispatch_once() for _ in range(3) for replica in replicas))

    assert sum(counts) == 40
    async with system_transaction(jobs.engine) as conn:
        ids = [row.msg_id.split(".")[0] for row in await conn.execute(text(
            "SELECT msg_id FROM jobs.outbox WHERE subject LIKE 'assay.work.%' ORDER BY id"))]
    assert sorted(ids) == sorted(created)


async def test_a_job_re_queued_by_the_lease_reaper_is_dispatched_again(jobs: Jobs, stream: Stream) -> None:
    dispatcher = jobs.dispatcher()
    store = JobStore(jobs.engine, lease_seconds=0)
    job_id = await jobs.create("acme")
    assert await dispatcher.dispatch_once() == 1
    message = await stream.next()
    assert message is not None
    assert (await store.start("acme", uuid.UUID(job_id), "1.0.0")).decision == "RUN"

    assert await store.reap_expired_leases(grace_seconds=0) == 1
    assert await dispatcher.dispatch_once() == 1
    again = await stream.next()
    assert again is not None and again.job_id == job_id and again.attempt == 2


async def test_the_backlog_grows_with_the_jobs_running_and_never_falls_under_its_minimum(
    jobs: Jobs, stream: Stream,
) -> None:
    dispatcher = jobs.dispatcher(backlog=1, per_running=1.0)
    await jobs.create_many("acme", 10)
    assert await dispatcher.dispatch_once() == 1  # nothing running: the minimum
    await stream.start()
    assert await dispatcher.dispatch_once() == 1  # 1 running: 1 may wait
    await stream.start()
    assert await dispatcher.dispatch_once() == 2  # 2 running: 2 may wait
    assert await dispatcher.dispatch_once() == 0


async def test_a_round_passes_over_an_entry_another_transaction_is_removing(jobs: Jobs, stream: Stream) -> None:
    """A StartJob removes its job's held entry by trigger. A round meeting an entry locked so skips it
    instead of waiting for that transaction (a StartJobs batch removing its entries in its own order
    while a round deletes them in another could deadlock): the rest are dispatched at once, and the
    skipped job is dispatched by a later round when that transaction rolls back."""
    dispatcher = jobs.dispatcher(backlog=10)
    ids = await jobs.create_many("acme", 3)
    async with jobs.engine.connect() as other:
        removing = await other.begin()
        await other.execute(text("SELECT set_config('assay.system', 'on', true)"))
        await other.execute(text("DELETE FROM jobs.dispatch_queue WHERE job_id = :id"), {"id": ids[1]})
        async with asyncio.timeout(10):  # before: the round waited for the other transaction
            assert await dispatcher.dispatch_once() == 2
        await removing.rollback()
    assert await dispatcher.dispatch_once() == 1
    dispatched = [await stream.next() for _ in range(3)]
    assert [m.job_id for m in dispatched if m is not None] == [ids[0], ids[2], ids[1]]


async def test_a_notification_with_nothing_held_costs_one_statement_not_a_round(jobs: Jobs, stream: Stream) -> None:
    """``dispatch_if_held`` (what the loop runs at each notification) looks on the dispatcher's own
    connection and opens no transaction while nothing is held; held work still gets its round, and
    so does the one look after it that clears the held gauges."""
    dispatcher = jobs.dispatcher()
    rounds: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "pg_advisory_xact_lock" in statement:
            rounds.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        async with await psycopg.AsyncConnection.connect(psycopg_url(jobs.settings.database_url),
                                                         autocommit=True) as probe:
            await probe.execute(SYSTEM_SESSION)
            assert await dispatcher.dispatch_if_held(probe) == 0
            assert rounds == []  # nothing held: no round
            job = await jobs.create("acme")
            assert await dispatcher.dispatch_if_held(probe) == 1 and len(rounds) == 1
            assert JOBS_HELD.labels("sentiment")._value.get() == 1
            assert await dispatcher.dispatch_if_held(probe) == 0 and len(rounds) == 2  # clears the gauge
            assert JOBS_HELD.labels("sentiment")._value.get() == 0
            message = await stream.start()
            assert message.job_id == job
            await stream.complete(message)
            assert await dispatcher.dispatch_if_held(probe) == 0 and len(rounds) == 2  # nothing held since
    finally:
        event.remove(Engine, "before_cursor_execute", record)
