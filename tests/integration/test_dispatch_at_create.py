"""Dispatch at create: a CreateJob batch writes the work messages a dispatch round would write at once.

No dispatcher runs in these tests: a job with a work message in the outbox was dispatched by its
create, a job in ``jobs.dispatch_queue`` is held for a round, as before.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

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
from assay.jobs.dispatcher import DISPATCH_LOCK_KEY
from assay.jobs.fair_share import parse_policy
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.jobs.store import JobStore, NewJob
from assay.v1 import events_pb2, job_pb2

BACKLOG = 2


@dataclass
class Jobs:
    settings: JobsSettings
    engine: AsyncEngine

    def store(self, concurrency: str = "", backlog: int = BACKLOG) -> JobStore:
        at_create = DispatchAtCreate(JobCapabilities(self.settings), parse_policy("", concurrency),
                                     lambda running: max(backlog, running))
        return JobStore(self.engine, lease_seconds=30, dispatch_at_create=at_create)

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


async def test_the_transaction_is_back_in_its_tenant_s_scope_after_the_cross_tenant_counts(jobs: Jobs) -> None:
    await create(jobs.store(), "globex", 0)
    at_create = DispatchAtCreate(JobCapabilities(jobs.settings), parse_policy("", ""), lambda running: BACKLOG)
    async with tenant_transaction(jobs.engine, "acme") as conn:
        # a batch of one: the counts read every tenant's jobs, then the scope is the tenant's again
        row = (await conn.execute(text(
            "INSERT INTO jobs.jobs (id, tenant_id, created_by, analyzer, state, params, inputs, max_attempts, priority)"
            " VALUES (gen_random_uuid(), 'acme', 'alice', 'sentiment', 'QUEUED', '{}', '{}', 3, 0) RETURNING *"
        ))).mappings().one()
        job = job_pb2.Job(id=str(row["id"]), tenant_id="acme", analyzer="sentiment")
        assert [job_id for job_id, _ in await at_create.dispatch(conn, "acme", [(row, "", job)])] == [row["id"]]
        assert (await conn.execute(text("SELECT current_setting('assay.system', true)"))).scalar_one() == ""
        tenants = {r.tenant_id for r in await conn.execute(text("SELECT tenant_id FROM jobs.jobs"))}
        assert tenants == {"acme"}


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
