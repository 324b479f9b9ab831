"""Dispatch at create: a CreateJob batch ends its transaction with the dispatch round itself.

No dispatcher runs in these tests: a job with a work message in the outbox was dispatched by its
create, a job in ``jobs.dispatch_queue`` is held for a round, as before.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from harness import Postgres
from harness.jobs import SERVICE_KEYS, fresh_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.capabilities import JobCapabilities
from assay.common.db import create_engine, system_transaction, tenant_transaction
from assay.common.migrations import upgrade
from assay.jobs.batch_transitions import CreateItem
from assay.jobs.config import JobsSettings
from assay.jobs.dispatch_at_create import DispatchAtCreate
from assay.jobs.dispatcher import DISPATCH_LOCK_KEY, Dispatcher
from assay.jobs.fair_share import parse_policy
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.jobs.server import psycopg_url
from assay.jobs.store import JobStore, NewJob
from assay.v1 import events_pb2, job_pb2

BACKLOG = 2


@dataclass
class Jobs:
    settings: JobsSettings
    engine: AsyncEngine

    def dispatcher(self, concurrency: str = "", backlog: int = BACKLOG, **options: Any) -> Dispatcher:
        return Dispatcher(self.engine, JobCapabilities(self.settings), parse_policy("", concurrency),
                          backlog=backlog, backlog_per_running=1.0, poll_seconds=1.0,
                          psycopg_url=psycopg_url(self.settings.database_url), **options)

    def at_create(self, concurrency: str = "", backlog: int = BACKLOG, held_at_most: int = 64,
                  dispatcher: Dispatcher | None = None) -> DispatchAtCreate:
        dispatcher = dispatcher or self.dispatcher(concurrency, backlog)
        return DispatchAtCreate(functools.partial(dispatcher.dispatch_within, at_create=True),
                                held_at_most=held_at_most)

    def store(self, concurrency: str = "", backlog: int = BACKLOG, held_at_most: int = 64,
              dispatcher: Dispatcher | None = None) -> JobStore:
        return JobStore(self.engine, lease_seconds=30,
                        dispatch_at_create=self.at_create(concurrency, backlog, held_at_most, dispatcher))

    async def held_during_a_round(self, store: JobStore, tenant: str, count: int) -> list[job_pb2.Job]:
        """``count`` jobs created while another transaction has the dispatch lock: held."""
        async with system_transaction(self.engine) as round_conn:
            await round_conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK_KEY})
            return await create(store, tenant, *[0] * count)

    async def work_messages(self) -> list[events_pb2.WorkMessage]:
        return [message for _, message in await self.work_subjects()]

    async def work_subjects(self) -> list[tuple[str, events_pb2.WorkMessage]]:
        async with system_transaction(self.engine) as conn:
            rows = await conn.execute(text(
                "SELECT subject, payload FROM jobs.outbox WHERE subject LIKE 'assay.work.%' ORDER BY id"))
            return [(row.subject, events_pb2.WorkMessage.FromString(row.payload)) for row in rows]

    async def held(self) -> set[str]:
        async with system_transaction(self.engine) as conn:
            return {str(row.job_id) for row in await conn.execute(text("SELECT job_id FROM jobs.dispatch_queue"))}


def new_job(priority: int = 0, analyzer: str = "sentiment") -> NewJob:
    return NewJob(analyzer=analyzer, params={}, inputs={"text": "fine"}, request_id=None, request_hash="",
                  priority=priority, max_attempts=3, trace_id="")


async def create(store: JobStore, tenant: str, *priorities: int) -> list[job_pb2.Job]:
    answers = await store.create_many([CreateItem(tenant, "alice", new_job(priority)) for priority in priorities])
    jobs = []
    for answer in answers:
        assert not isinstance(answer, Exception), answer
        jobs.append(answer[0])
    return jobs


@pytest.fixture
async def jobs(postgres: Postgres) -> AsyncIterator[Jobs]:
    url = fresh_database(postgres, f"atcreate{uuid.uuid4().hex[:6]}")
    upgrade(MIGRATIONS, url, "jobs")
    settings = JobsSettings(database_url=url, **SERVICE_KEYS)
    engine = create_engine(settings)
    yield Jobs(settings, engine)
    await engine.dispose()


async def test_jobs_of_an_idle_analyzer_are_dispatched_by_their_create(jobs: Jobs) -> None:
    created = await create(jobs.store(), "acme", 0, 0)
    # same priority and creation time: the round's order (job id) decides which goes first
    assert sorted(message.job_id for message in await jobs.work_messages()) == sorted(job.id for job in created)
    assert await jobs.held() == set()
    assert all(message.attempt == 1 and message.tenant_id == "acme" for message in await jobs.work_messages())


async def test_only_the_backlog_s_room_is_dispatched_highest_priority_first_the_rest_held(jobs: Jobs) -> None:
    low, high, middle = await create(jobs.store(), "acme", 0, 9, 5)
    assert [message.job_id for message in await jobs.work_messages()] == [high.id, middle.id]
    assert await jobs.held() == {low.id}


async def test_while_a_tenant_has_jobs_held_its_new_ones_are_held_behind_them(jobs: Jobs) -> None:
    store = jobs.store()
    await create(store, "acme", 0, 0, 0)  # fills the backlog of 2, holds one
    (first,) = await jobs.held()
    (later,) = await create(store, "acme", 9)
    assert await jobs.held() == {first, later.id}  # shared out by a round, not jumping its own queue
    assert len(await jobs.work_messages()) == BACKLOG


async def test_while_another_tenant_s_jobs_are_held_a_newcomer_s_first_job_goes_ahead_as_the_next_round_would(
        jobs: Jobs) -> None:
    """globex has nothing held, nothing waiting and a smaller share than acme, which has messages
    waiting: the next round would send globex's first job ahead of the backlog, so its create does
    (before: held for that round, the trickling tenant's longest hop under a flood); the backlog's
    room stays the held jobs', so globex's second job is held."""
    store = jobs.store()
    await create(store, "acme", 0, 0, 0)  # fills the backlog of 2, holds one
    (first,) = await jobs.held()
    low, high = await create(store, "globex", 0, 5)
    subjects = {message.job_id: subject for subject, message in await jobs.work_subjects()}
    assert subjects[high.id] == "assay.work.sentiment.p9"
    assert await jobs.held() == {first, low.id}
    async with system_transaction(jobs.engine) as conn:
        ahead = {str(row.id) for row in await conn.execute(text("SELECT id FROM jobs.jobs WHERE dispatched_ahead"))}
    assert ahead == {high.id}


async def test_another_analyzer_s_held_jobs_do_not_hold_back_an_idle_one(jobs: Jobs) -> None:
    store = jobs.store()
    await create(store, "acme", 0, 0, 0)
    held = await jobs.held()
    (answer,) = await store.create_many([CreateItem("acme", "alice", new_job(analyzer="xml_to_csv"))])
    assert not isinstance(answer, Exception)
    assert answer[0].id in [message.job_id for message in await jobs.work_messages()]
    assert len(held) == 1 and await jobs.held() == held


async def test_a_tenant_at_its_concurrency_limit_has_its_new_jobs_held(jobs: Jobs) -> None:
    created = {job.id for job in await create(jobs.store(concurrency="acme=1", backlog=8), "acme", 0, 0, 0)}
    (sent,) = [message.job_id for message in await jobs.work_messages()]
    assert await jobs.held() == created - {sent}


async def test_a_create_during_a_dispatch_round_holds_its_jobs_without_waiting_for_the_round(jobs: Jobs) -> None:
    async with system_transaction(jobs.engine) as round_conn:  # a round (or another replica's create) has the lock
        await round_conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK_KEY})
        async with asyncio.timeout(10):
            (job,) = await create(jobs.store(), "acme", 0)
    assert await jobs.work_messages() == []
    assert await jobs.held() == {job.id}


async def test_the_transaction_is_back_in_its_tenant_s_scope_after_the_cross_tenant_round(jobs: Jobs) -> None:
    store = jobs.store()
    (globex,) = await jobs.held_during_a_round(store, "globex", 1)
    at_create = jobs.at_create()
    async with tenant_transaction(jobs.engine, "acme") as conn:
        # the round reads and releases every tenant's held jobs, then the scope is the tenant's again
        assert await at_create.dispatch(conn) == 1
        assert (await conn.execute(text("SELECT current_setting('assay.system', true)"))).scalar_one() == ""
        tenants = {r.tenant_id for r in await conn.execute(text("SELECT tenant_id FROM jobs.jobs"))}
        assert tenants == set()
    assert [message.job_id for message in await jobs.work_messages()] == [globex.id]


async def test_a_newcomer_s_job_goes_ahead_of_another_tenant_s_waiting_messages_as_a_round_sends_it(jobs: Jobs) -> None:
    store = jobs.store(backlog=8)
    await create(store, "acme", 0, 0, 0)  # room for all: waiting on their own priority's subject
    (first,) = await create(store, "globex", 0)  # room too, but acme has messages waiting: ahead of them
    (second,) = await create(store, "globex", 0)  # globex's only waiting message is ahead: ahead again
    subjects = {message.job_id: subject for subject, message in await jobs.work_subjects()}
    assert subjects[first.id] == subjects[second.id] == "assay.work.sentiment.p9"
    assert sorted(subjects.values()).count("assay.work.sentiment.p0") == 3
    async with system_transaction(jobs.engine) as conn:
        ahead = {str(row.id) for row in await conn.execute(text("SELECT id FROM jobs.jobs WHERE dispatched_ahead"))}
    assert ahead == {first.id, second.id}
    assert await jobs.held() == set()


async def test_while_a_few_jobs_are_held_a_create_runs_the_round_the_held_first_then_its_own(jobs: Jobs) -> None:
    """Under a steady load something is nearly always held (a create met a round, and every later
    create held its jobs behind those): now the next create that takes the lock sends them, oldest
    first, and its own behind them (before: held too, waiting for the dispatcher's round)."""
    store = jobs.store()
    (first,) = await jobs.held_during_a_round(store, "acme", 1)
    assert await jobs.held() == {first.id}
    (later,) = await create(store, "acme", 0)
    assert [message.job_id for message in await jobs.work_messages()] == [first.id, later.id]
    assert await jobs.held() == set()


async def test_the_round_at_create_sends_other_tenants_held_jobs_and_keeps_the_backlog_s_room(jobs: Jobs) -> None:
    store = jobs.store()
    (globex,) = await jobs.held_during_a_round(store, "globex", 1)
    low, high = await create(store, "acme", 0, 9)
    # the backlog (2) has room for two: globex's held job and acme's highest priority, as a round sends them
    assert sorted(message.job_id for message in await jobs.work_messages()) == sorted([globex.id, high.id])
    assert await jobs.held() == {low.id}


async def test_past_the_limit_of_held_jobs_a_create_holds_its_jobs_for_the_dispatcher(jobs: Jobs) -> None:
    """Under a burst the rounds are the dispatcher's: a create does not even try the lock while more
    than ``held_at_most`` jobs are held (every tenant's counted), its own new ones included."""
    store = jobs.store(held_at_most=2)
    (earlier,) = await jobs.held_during_a_round(store, "globex", 1)
    (later,) = await create(store, "acme", 0)
    assert [message.job_id for message in await jobs.work_messages()] == [earlier.id, later.id]  # 2 held: a round
    held = await jobs.held_during_a_round(store, "globex", 2)
    (last,) = await create(store, "acme", 0)  # 3 held
    assert len(await jobs.work_messages()) == 2
    assert await jobs.held() == {job.id for job in held} | {last.id}


async def test_while_creates_run_the_round_the_dispatcher_loop_looks_at_most_every_yield_seconds(jobs: Jobs) -> None:
    """Its round's lock would make the creates meeting it hold their jobs (under c1 two of three did)."""
    now = [100.0]
    dispatcher = jobs.dispatcher(yield_seconds=0.05, clock=lambda: now[0])
    assert dispatcher.yield_to_creates() == 0  # no create has run a round
    await create(jobs.store(dispatcher=dispatcher), "acme", 0)
    now[0] += 0.01
    assert dispatcher.yield_to_creates() == pytest.approx(0.04)
    now[0] += 0.05
    assert dispatcher.yield_to_creates() == 0
    await jobs.held_during_a_round(jobs.store(), "acme", 1)
    assert await dispatcher.dispatch_once() == 1  # the loop's own round
    assert dispatcher.yield_to_creates() == 0
    assert jobs.dispatcher().yield_to_creates() == 0  # yield_seconds 0 (the default): never
