"""The outbox relay stops when its service stops, whatever it was doing at that moment."""

from __future__ import annotations

import asyncio

import nats
from harness import Postgres, eventually
from harness.jobs import fresh_database
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.db import create_engine
from assay.common.migrations import upgrade
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
