"""The outbox relay stops when its service stops, whatever it was doing at that moment."""

from __future__ import annotations

import asyncio

import nats
import psycopg
import pytest
from harness import Postgres, eventually
from harness.jobs import fresh_database
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import create_engine
from assay.common.migrations import upgrade
from assay.common.nats import provision_streams
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.jobs.outbox import OutboxRelay
from assay.jobs.server import psycopg_url


def waiting_for_work(relay_task: asyncio.Task[None]) -> bool:
    """The leader is suspended until its next wake-up or poll (the lock wait is a sleep, not this)."""
    coroutine, innermost = relay_task.get_coro(), ""
    while coroutine is not None and hasattr(coroutine, "cr_code"):
        innermost, coroutine = coroutine.cr_code.co_name, coroutine.cr_await
    return innermost in {"wait", "wait_for"}


async def idle_leader(engine: AsyncEngine, nc: Client, url: str) -> tuple[OutboxRelay, asyncio.Task[None]]:
    relay = OutboxRelay(engine, nc, psycopg_url(url), batch_size=10, poll_seconds=0.01)
    task = asyncio.create_task(relay.run())

    async def idle() -> bool:
        return waiting_for_work(task)

    await eventually(idle, timeout=10)
    return relay, task


async def test_a_relay_cancelled_just_as_it_is_woken_still_stops(postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    # The cancel lands while a wake-up is being delivered. asyncio.wait_for on Python 3.11 swallows
    # such a cancel: the relay ran on and its service's shutdown waited for ever.
    url = fresh_database(postgres, "relay")
    upgrade(MIGRATIONS, url, "jobs")
    engine = create_engine(JobsSettings(database_url=url, nats_url=nats_server.url))
    nc = await nats.connect(nats_server.url)
    try:
        for _ in range(5):
            relay, task = await idle_leader(engine, nc, url)
            relay.wake()
            await asyncio.sleep(0)  # let the wake-up begin, so the cancel meets it half-delivered
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=5)
            assert done, "the relay kept running after it was cancelled"
            assert task.cancelled()
    finally:
        await nc.close()
        await engine.dispose()


async def test_a_deletion_of_outbox_rows_waits_for_the_relay_pass_that_read_them(  # type: ignore[no-untyped-def]
        postgres: Postgres, nats_server) -> None:
    # A job's deletion deletes its unpublished outbox rows, then purges its events from the stream.
    # A pass that had read a row and published it after that purge left the event in the stream for
    # ever (test_file_erasure caught it): the pass must hold its rows until it has published them.
    url = fresh_database(postgres, "relay_lock")
    upgrade(MIGRATIONS, url, "jobs")
    engine = create_engine(JobsSettings(database_url=url, nats_url=nats_server.url))
    nc = await nats.connect(nats_server.url)
    await provision_streams(nc)
    relay, task = await idle_leader(engine, nc, url)
    publishing, release = asyncio.Event(), asyncio.Event()
    publish = relay._publish

    async def held_publish(rows):  # type: ignore[no-untyped-def]
        publishing.set()
        await release.wait()
        return await publish(rows)

    relay._publish = held_publish  # type: ignore[method-assign]
    try:
        async with await psycopg.AsyncConnection.connect(psycopg_url(url), autocommit=True) as conn:
            await conn.execute("INSERT INTO jobs.outbox (subject, msg_id, payload, traceparent) "
                               "VALUES ('assay.events.t.j', 'j.1', 'x', '')")
            relay.wake()
            await asyncio.wait_for(publishing.wait(), timeout=10)  # the pass has read the row
            await conn.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                await conn.execute("DELETE FROM jobs.outbox WHERE msg_id = 'j.1'")
            release.set()
            await conn.execute("SET lock_timeout = '10s'")
            deleted = await conn.execute("DELETE FROM jobs.outbox WHERE msg_id = 'j.1'")
            assert deleted.rowcount == 0  # the pass published and deleted it before the deletion went on
    finally:
        release.set()
        task.cancel()
        await asyncio.wait([task], timeout=5)
        await nc.close()
        await engine.dispose()
