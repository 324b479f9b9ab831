"""A background loop woken by PostgreSQL ``NOTIFY``: rounds at each notification, at least every poll.

The outbox relay and the dispatcher wrote this pattern out themselves; the webhook delivery loop
uses this module (and they could too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

logger = logging.getLogger(__name__)


async def run_notified(psycopg_url: str, channel: str, one_round: Callable[[], Awaitable[bool]], *,
                       poll_seconds: float, name: str) -> None:
    """Run ``one_round`` whenever ``NOTIFY channel`` arrives and at least every ``poll_seconds``, until
    cancelled; a round answering True (more work waiting) is followed by another at once. A failure
    (the round's, or the listening connection's) is logged and the loop starts over after a poll."""
    while True:
        try:
            await _listening(psycopg_url, channel, one_round, poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s failed; restarting", name)
            await asyncio.sleep(poll_seconds)


async def _listening(psycopg_url: str, channel: str, one_round: Callable[[], Awaitable[bool]],
                     poll_seconds: float) -> None:
    wake = asyncio.Event()
    async with await psycopg.AsyncConnection.connect(psycopg_url, autocommit=True) as conn:
        await conn.execute(f"LISTEN {channel}")
        listener = asyncio.create_task(_listen(conn, wake))
        try:
            while True:
                wake.clear()
                while await one_round():
                    pass
                if listener.done():
                    listener.result()  # re-raise: the listening connection broke
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll_seconds):
                        await wake.wait()
        finally:
            listener.cancel()


async def _listen(conn: psycopg.AsyncConnection[Any], wake: asyncio.Event) -> None:
    async for _ in conn.notifies():
        wake.set()
