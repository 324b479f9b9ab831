"""The dispatcher on a real PostgreSQL: fair share across tenants, concurrency limits, replicas.

The work stream is stood in for by the outbox itself (the relay publishes it in id order to a
FIFO consumer): ``Stream.next`` takes the oldest work message the dispatcher wrote, as a worker's
fetch would, and the job is started and completed through the store like a worker's RPCs.
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
                "DELETE FROM jobs.outbox WHERE id = (SELECT min(id) FROM jobs.outbox WHERE subject LIKE 'assay.work.%')"
                " RETURNING payload"))).one_or_none()
        return None if row is None else events_pb2.WorkMessage.FromString(row.payload)

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


async def test_a_burst_of_1000_from_one_tenant_holds_back_another_tenants_job_at_most_the_backlog(
    jobs: Jobs, stream: Stream,
) -> None:
    dispatcher = jobs.dispatcher()
    await jobs.create_many("flood", 1000)
    assert await dispatcher.dispatch_once() == BACKLOG
    trickle = await jobs.create("trickle")
    assert await dispatcher.dispatch_once() == 0  # the backlog is full: the newcomer waits, held

    started_before = 0
    while True:  # one worker slot: start, dispatch into the freed place, complete
        message = await stream.start()
        await dispatcher.dispatch_once()
        await stream.complete(message)
        if message.job_id == trickle:
            break
        started_before += 1
        assert started_before <= BACKLOG, "the trickling tenant's job is still behind the flood"
    assert started_before == BACKLOG  # only what was already in the stream went before it


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
